"""A PostgreSQL cluster and pgAgent daemon of a test's own, for tests that break or change them."""

import contextlib
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

from pgagent_live.demo.agent import Agent
from pgagent_live.demo.cluster import Cluster
from tests.conftest import make_reachable_dir
from tests.live_service import free_port


@dataclass
class Own:
    cluster: Cluster
    agent: Agent | None
    path: Path

    @property
    def conninfo(self) -> str:
        return self.cluster.conninfo()

    def sql(self, statement: str, params: Any = None) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.conninfo, autocommit=True) as conn:
            cur = conn.execute(statement, params)
            return cur.fetchall() if cur.description else []


@contextlib.contextmanager
def own_cluster(*, pgagent: bool = True, agent: bool = True) -> Iterator[Own]:
    """A started cluster (with the pgagent extension, and its daemon, unless asked not to)."""
    path = make_reachable_dir()
    # A fixed port keeps the connection string valid across restarts.
    cluster = Cluster(path / "cluster", port=free_port())
    try:
        cluster.start()
        if pgagent:
            cluster.ensure_pgagent()
        daemon = None
        if agent:
            daemon = Agent(cluster.conninfo(), path / "pgagent.log", poll_seconds=1)
            daemon.start()
        own = Own(cluster, daemon, path)
        try:
            yield own
        finally:
            if own.agent is not None:
                own.agent.stop()
    finally:
        cluster.stop()
        shutil.rmtree(path, ignore_errors=True)


def start_agent(own: Own) -> Agent:
    """Start a new daemon, as an operator does after the old one exited or was killed."""
    if own.agent is not None:
        own.agent.stop()
    own.agent = Agent(own.conninfo, own.path / "pgagent.log", poll_seconds=1)
    own.agent.start()
    return own.agent
