"""Planted passwords never leave the service; publishers' progress reaches viewers."""

import asyncio
import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict

from pgagent_live.demo.agent import Agent
from pgagent_live.demo.cluster import Cluster
from tests.live_service import free_port
from tests.pgagent_jobs import StepSpec, create_job, run_job_now
from tests.security_service import MAIN_TOKEN, connect, serving

pytestmark = pytest.mark.integration

PLANTED = ["Srv-Pass-7731", "Uri-Pass-4410", "Step-Pass-2208", "Quoted Pass-9&'x", "Uri-Step-5561"]


def planted_conninfos(cluster: Cluster) -> dict[str, str]:
    """Servers whose connection strings carry passwords: trust ignores them, errors show them."""
    return {
        "main": f"{cluster.conninfo()} password=Srv-Pass-7731",
        # A URI with user info whose server never answers: its errors must not carry it.
        "broken": "postgresql://monitor:Uri-Pass-4410@127.0.0.1:1/postgres",
    }


def plant_step_connstrs(conninfo: str, job_id: int) -> None:
    """Steps that connect with passwords in both forms, and one that prints a password."""
    where = conninfo_to_dict(conninfo)
    host, port = where.get("host", "/tmp"), where.get("port", "5432")
    keyword = rf"host={host} port={port} dbname=postgres password='Quoted Pass-9&\'x'"
    uri = f"postgresql://nobody:Uri-Step-5561@/postgres?host={host}&port={port}"
    with psycopg.connect(conninfo, autocommit=True) as conn:
        for name, connstr in [("b keyword", keyword), ("c uri", uri)]:
            conn.execute(
                "INSERT INTO pgagent.pga_jobstep (jstjobid, jstname, jstkind, jstcode, jstdbname,"
                " jstconnstr, jstonerror) VALUES (%s, %s, 's', 'SELECT 1', '', %s, 'i')",
                (job_id, name, connstr),
            )
        conn.execute(
            "INSERT INTO pgagent.pga_jobstep (jstjobid, jstname, jstkind, jstcode, jstdbname,"
            " jstonerror) VALUES (%s, 'd echo', 'b', 'echo password=Step-Pass-2208', '', 'i')",
            (job_id,),
        )


def assert_clean(where: str, text: str) -> None:
    for secret in PLANTED:
        assert secret not in text, f"{secret!r} leaked in {where}"


async def test_planted_passwords_appear_in_no_output(
    cluster: Cluster, agent: Agent, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    conninfo = cluster.conninfo()
    job_id = create_job(conninfo, "secrets", [StepSpec("a sql", "sql", "SELECT 1")])
    plant_step_connstrs(conninfo, job_id)

    async with serving(planted_conninfos(cluster), tmp_path / "s.toml", debug_mode=True) as service:
        client = await connect(service.url, {"token": MAIN_TOKEN})
        with contextlib.suppress(TimeoutError):
            await client.wait_for(
                lambda: (
                    any(
                        s["id"] == "broken" and s["state"] == "unreachable"
                        for snap in client.snapshots
                        for s in snap["servers"]
                    )
                    or bool(client.events)
                ),
                timeout=5,
            )
        run_job_now(conninfo, job_id)
        await client.wait_for(
            lambda: any(
                e["job"]["id"] == job_id
                and e["type"].startswith("job_")
                and e["type"] not in ("job_started", "job_progress")
                for e in client.events
            )
        )
        resynced = await client.ask("resync", {})
        await client.sio.disconnect()

        async with service.rest(MAIN_TOKEN) as rest:
            answers = [
                (await rest.get(path)).text
                for path in [
                    "/api/v1/servers",
                    "/api/v1/servers/main/jobs",
                    f"/api/v1/servers/main/jobs/{job_id}",
                    f"/api/v1/servers/main/jobs/{job_id}/runs",
                    "/api/v1/servers/broken/jobs/1",
                    "/api/v1/servers/broken/jobs/1/runs",
                ]
            ]
        servers = json.loads(answers[0])
        assert next(s for s in servers if s["id"] == "broken")["state"] == "unreachable"

    outputs = {
        "events": json.dumps(client.events),
        "snapshots": json.dumps(client.snapshots),
        "resync": json.dumps(resynced),
        "rest": "\n".join(answers),
        "logs": caplog.text,
    }
    for where, text in outputs.items():
        assert_clean(where, text)
    assert "password=***" in outputs["events"]
    assert MAIN_TOKEN not in caplog.text


def test_the_serve_command_logs_no_password_nor_token(cluster: Cluster, tmp_path: Path) -> None:
    port = free_port()
    servers = planted_conninfos(cluster)
    command = [
        sys.executable,
        "-m",
        "pgagent_live",
        "serve",
        "--debug",
        "--port",
        str(port),
        "--token",
        MAIN_TOKEN,
    ]
    for sid, conninfo in servers.items():
        command += ["--server", f"{sid}={conninfo}"]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        asyncio.run(_touch(f"http://127.0.0.1:{port}"))
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=30)
    assert "is unreachable" in output
    assert_clean("serve's output", output)
    assert MAIN_TOKEN not in output.replace(f"#token={MAIN_TOKEN}", "")

    bad = subprocess.run(
        [sys.executable, "-m", "pgagent_live", "serve", "--server", "password=Srv-Pass-7731"],
        capture_output=True,
        text=True,
    )
    assert bad.returncode != 0
    assert_clean("a refused --server", bad.stdout + bad.stderr)


async def _touch(url: str) -> None:
    async with asyncio.timeout(30):
        while True:
            try:
                client = await connect(url, {"token": MAIN_TOKEN})
                break
            except Exception:
                await asyncio.sleep(0.2)
    await asyncio.sleep(2)
    await client.ask("resync", {})
    await client.sio.disconnect()


async def test_a_publisher_reports_progress_of_a_running_job(
    cluster: Cluster, agent: Agent, tmp_path: Path
) -> None:
    conninfo = cluster.conninfo()
    job_id = create_job(conninfo, "long batch", [StepSpec("work", "sql", "SELECT pg_sleep(4)")])

    async with serving({"main": conninfo}, tmp_path / "s.toml") as service:
        publisher_token = service.issue("publisher", ["main"])
        viewer_token = service.issue("viewer")
        await asyncio.sleep(0.5)
        viewer = await connect(service.url, {"token": viewer_token})
        publisher = await connect(service.url, {"token": publisher_token})
        try:
            not_yet = await publisher.ask(
                "job_status_update", {"server": "main", "job": job_id, "run": 1, "percent": 5}
            )
            assert not_yet["error"]["code"] == "not_running"

            run_job_now(conninfo, job_id)
            await viewer.wait_for(
                lambda: any(
                    e["job"]["id"] == job_id and e["type"] == "job_started" for e in viewer.events
                )
            )
            run_id = next(e["run"]["id"] for e in viewer.events if e["job"]["id"] == job_id)
            sent = await publisher.ask(
                "job_status_update",
                {
                    "server": "main",
                    "job": job_id,
                    "run": run_id,
                    "percent": 42.5,
                    "message": "loaded 425 of 1000 rows",
                },
            )
            assert sent == {"ok": True, "data": None}
            wrong_run = await publisher.ask(
                "job_status_update",
                {"server": "main", "job": job_id, "run": run_id + 1000, "percent": 50},
            )
            assert wrong_run["error"]["code"] == "not_running"

            def published() -> list[dict[str, Any]]:
                return [
                    e
                    for e in viewer.events
                    if e["type"] == "job_progress" and "percent" in e.get("progress", {})
                ]

            await viewer.wait_for(lambda: bool(published()))
            event = published()[0]
            assert event["progress"]["percent"] == 42.5
            assert event["progress"]["message"] == "loaded 425 of 1000 rows"
            assert event["progress"]["published_by"] == publisher_token[4:12]
            assert event["run"]["id"] == run_id
            assert len(published()) == 1
        finally:
            await viewer.sio.disconnect()
            await publisher.sio.disconnect()
