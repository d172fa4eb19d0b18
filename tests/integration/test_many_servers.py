"""Several monitored servers at once: one stopped, silent or without pgAgent holds up no other."""

import asyncio
import shutil
import socket
from collections.abc import Iterator

import httpx
import pytest

from pgagent_live.demo.agent import Agent
from pgagent_live.demo.cluster import Cluster
from tests.conftest import make_reachable_dir
from tests.live_service import TOKEN, recorder, running_service
from tests.pgagent_jobs import StepSpec, create_job, run_job_now

pytestmark = pytest.mark.integration


@pytest.fixture
def stopped_conninfo(postgresql_installed: None) -> Iterator[str]:
    """The connection string of a cluster that ran once and is stopped now."""
    path = make_reachable_dir()
    cluster = Cluster(path / "cluster")
    with cluster:
        conninfo = cluster.conninfo()
    yield conninfo
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def silent_conninfo() -> Iterator[str]:
    """A server that accepts connections and never says a word."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        yield f"host=127.0.0.1 port={port} dbname=postgres user=postgres"


async def test_a_stopped_or_silent_server_holds_up_no_other(
    cluster: Cluster, agent: Agent, stopped_conninfo: str, silent_conninfo: str
) -> None:
    conninfo = cluster.conninfo()
    job_id = create_job(conninfo, "among many", [StepSpec("one", "sql", "SELECT 1")])
    servers = {
        "main": conninfo,
        "stopped": stopped_conninfo,
        "silent": silent_conninfo,
        "bare": cluster.conninfo("template1"),
    }

    async with running_service(servers) as service, recorder(service.url) as client:
        run_job_now(conninfo, job_id)
        await client.wait_for(
            lambda _: any(e["type"] == "job_succeeded" for e in client.of_job(job_id))
        )
        # The silent server's first connection attempt (10 s) has not given up yet.
        async with httpx.AsyncClient(
            base_url=service.url, headers={"Authorization": f"Bearer {TOKEN}"}
        ) as http:
            while_silent = await states(http)
            async with asyncio.timeout(60):
                while (later := await states(http))["silent"] == "connecting":
                    await asyncio.sleep(0.5)
            main_jobs = (await http.get("/api/v1/servers/main/jobs")).json()
            stopped_jobs = await http.get("/api/v1/servers/stopped/jobs")

    assert while_silent["main"] == "live"
    assert while_silent["silent"] == "connecting"
    snapshot = {s["id"]: s for s in client.snapshots[0]["servers"]}
    assert set(snapshot) == set(servers)
    assert while_silent["stopped"] == "unreachable"
    assert while_silent["bare"] == "not_installed"
    assert later["silent"] == "unreachable"
    assert later["main"] == "live"
    assert next(job for job in main_jobs if job["id"] == job_id)["status"] == "succeeded"
    assert (stopped_jobs.status_code, stopped_jobs.json()["code"]) == (503, "server_unreachable")


async def states(http: httpx.AsyncClient) -> dict[str, str]:
    response = await http.get("/api/v1/servers")
    return {server["id"]: server["state"] for server in response.json()}
