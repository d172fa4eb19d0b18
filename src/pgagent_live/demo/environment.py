"""The whole demo: a private cluster with pgAgent's schema, the real agent and sample jobs."""

import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from pgagent_live.demo.agent import Agent
from pgagent_live.demo.cluster import Cluster
from pgagent_live.demo.samples import ensure_sample_jobs, run_now


@dataclass(frozen=True)
class DemoEnvironment:
    """What a running demo offers: where to connect and which jobs are the samples."""

    conninfo: str
    job_ids: list[int]
    cluster: Cluster
    agent: Agent


def default_data_dir() -> Path:
    """Where the demo keeps its cluster between runs."""
    if os.geteuid() == 0:
        return Path("/var/lib/pgagent-live/demo")

    # The XDG spec says to ignore a relative value.
    xdg = os.environ.get("XDG_DATA_HOME", "")
    base = Path(xdg) if os.path.isabs(xdg) else Path.home() / ".local" / "share"
    return base / "pgagent-live" / "demo"


@contextmanager
def demo_environment(data_dir: Path, poll_seconds: float = 1.0) -> Iterator[DemoEnvironment]:
    """Start everything and run each sample job once; stop the agent, then the cluster.

    The stop also happens on errors and on KeyboardInterrupt.
    """
    with ExitStack() as stack:
        cluster = stack.enter_context(Cluster(data_dir))
        cluster.ensure_pgagent()
        conninfo = cluster.conninfo()

        agent = Agent(conninfo, cluster.data_dir / "pgagent.log", poll_seconds)
        stack.enter_context(agent)

        job_ids = ensure_sample_jobs(conninfo)
        run_now(conninfo, job_ids)
        yield DemoEnvironment(conninfo, job_ids, cluster, agent)
