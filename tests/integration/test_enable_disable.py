"""Operators may enable and disable a job, on the socket and over REST; viewers may not."""

import asyncio
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from pgagent_live.demo.cluster import Cluster
from tests.pgagent_jobs import StepSpec, create_job
from tests.security_service import Client, connect, serving

pytestmark = pytest.mark.integration


def enabled(conninfo: str, job_id: int) -> bool:
    with psycopg.connect(conninfo) as conn:
        row = conn.execute(
            "SELECT jobenabled FROM pgagent.pga_job WHERE jobid = %s", (job_id,)
        ).fetchone()
    assert row is not None
    return bool(row[0])


async def test_an_operator_disables_and_enables_a_job(cluster: Cluster, tmp_path: Path) -> None:
    conninfo = cluster.conninfo()
    job_id = create_job(conninfo, "switched", [StepSpec("one", "sql", "SELECT 1")])

    def announced(client: Client, state: bool) -> Callable[[], bool]:
        return lambda: any(
            e["type"] == "job_changed"
            and e["job"] == {"id": job_id, "name": "switched", "enabled": state}
            for e in client.events
        )

    async with serving({"main": conninfo}, tmp_path / "s.toml") as service:
        token = service.issue("operator")
        await asyncio.sleep(0.5)
        client = await connect(service.url, {"token": token})
        try:
            await client.wait_for(lambda: bool(client.snapshots))

            async with service.rest(token) as rest:
                disabled = await rest.post(f"/api/v1/servers/main/jobs/{job_id}/disable")
                missing = await rest.post("/api/v1/servers/main/jobs/999999/enable")
            assert disabled.status_code == 200
            assert (missing.status_code, missing.json()["code"]) == (404, "not_found")
            assert enabled(conninfo, job_id) is False
            await client.wait_for(announced(client, False))

            answer = await client.ask(
                "set_enabled", {"server": "main", "job": job_id, "enabled": True}
            )
            assert answer["ok"], answer
            assert enabled(conninfo, job_id) is True
            await client.wait_for(announced(client, True))
        finally:
            await client.sio.disconnect()


async def test_a_viewer_may_neither_enable_nor_disable(cluster: Cluster, tmp_path: Path) -> None:
    conninfo = cluster.conninfo()
    job_id = create_job(conninfo, "not switched", [StepSpec("one", "sql", "SELECT 1")])

    async with serving({"main": conninfo}, tmp_path / "s.toml") as service:
        token = service.issue("viewer")
        await asyncio.sleep(0.5)

        async with service.rest(token) as rest:
            refused = await rest.post(f"/api/v1/servers/main/jobs/{job_id}/disable")
        assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")

        client = await connect(service.url, {"token": token})
        try:
            answer = await client.ask(
                "set_enabled", {"server": "main", "job": job_id, "enabled": False}
            )
            bad = await client.ask("set_enabled", {"server": "main", "job": job_id})
        finally:
            await client.sio.disconnect()

    assert answer["ok"] is False
    assert answer["error"]["code"] == "forbidden"
    assert bad["ok"] is False
    assert enabled(conninfo, job_id) is True
