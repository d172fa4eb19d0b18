"""Fixtures shared by the tests: a private PostgreSQL cluster and the real pgAgent daemon."""

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from pgagent_live.demo.agent import Agent
from pgagent_live.demo.cluster import Cluster, ClusterError, find_bindir


def make_reachable_dir() -> Path:
    """A fresh directory the postgres user can reach, unlike pytest's tmp_path (mode 0700)."""
    path = Path(tempfile.mkdtemp(prefix="pgagent-live-test-", dir="/tmp"))
    path.chmod(0o755)
    return path


@pytest.fixture(scope="session")
def postgresql_installed() -> None:
    """Skip, saying why, where PostgreSQL's server programs or pgagent are missing."""
    try:
        find_bindir()
    except ClusterError as error:
        pytest.skip(str(error))
    if shutil.which("pgagent") is None:
        pytest.skip("expected the pgagent program on PATH, found none")


@pytest.fixture
def reachable_tmp_path() -> Iterator[Path]:
    path = make_reachable_dir()
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def cluster(postgresql_installed: None) -> Iterator[Cluster]:
    """A started cluster with the pgagent extension in ``postgres``, for the whole session."""
    path = make_reachable_dir()

    with Cluster(path / "cluster") as started:
        started.ensure_pgagent()
        yield started

    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def agent(cluster: Cluster) -> Iterator[Agent]:
    """The real pgAgent daemon polling the session cluster every second."""
    with Agent(cluster.conninfo(), cluster.data_dir / "pgagent.log", poll_seconds=1) as started:
        yield started
