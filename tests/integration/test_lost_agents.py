"""Agents that die, are missing or never came, and definitions edited under a running job."""

import asyncio
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from pgagent_live.demo.agent import Agent
from pgagent_live.demo.cluster import Cluster
from tests.conftest import make_reachable_dir
from tests.live_service import (
    Recorder,
    of_type,
    recorder,
    rest,
    running_service,
    sql,
    wait_type,
)
from tests.pgagent_jobs import StepSpec, create_job, run_job_now

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def private(postgresql_installed: None) -> Iterator[tuple[Cluster, Path]]:
    """A cluster of this module's own, without an agent: its tests start and kill their own."""
    path = make_reachable_dir()
    with Cluster(path / "cluster") as started:
        started.ensure_pgagent()
        yield started, path
    shutil.rmtree(path, ignore_errors=True)


async def job_state(url: str, job_id: int) -> dict[str, Any] | None:
    jobs = await rest(url, "/servers/main/jobs")
    return next((job for job in jobs if job["id"] == job_id), None)


async def test_a_run_now_while_no_agent_runs_is_overdue(private: tuple[Cluster, Path]) -> None:
    cluster, _ = private
    conninfo = cluster.conninfo()
    job_id = create_job(conninfo, "nobody home", [StepSpec("one", "sql", "SELECT 1")])

    try:
        async with (
            running_service({"main": conninfo}, overdue_grace=1) as service,
            recorder(service.url) as client,
        ):
            run_job_now(conninfo, job_id)
            await wait_type(client, job_id, "job_overdue")
            await asyncio.sleep(2)
            state = await job_state(service.url, job_id)
    finally:
        sql(conninfo, "DELETE FROM pgagent.pga_job WHERE jobid = %s", (job_id,))

    overdue = of_type(client, job_id, "job_overdue")
    assert len(overdue) == 1
    assert overdue[0]["reason"] == "no_live_agent"
    assert overdue[0]["live_hosts"] == []
    assert state is not None
    assert state["status"] == "overdue"


async def test_an_agent_killed_mid_step_leaves_a_stuck_run_then_one_abort(
    private: tuple[Cluster, Path],
) -> None:
    cluster, path = private
    conninfo = cluster.conninfo()
    job_id = create_job(conninfo, "long step", [StepSpec("nap", "sql", "SELECT pg_sleep(20)")])
    first = Agent(conninfo, path / "first.log", poll_seconds=1)
    second = Agent(conninfo, path / "second.log", poll_seconds=1)
    first.start()

    try:
        async with running_service({"main": conninfo}) as service, recorder(service.url) as client:
            run_job_now(conninfo, job_id)
            await wait_type(client, job_id, "step_started")
            first.kill()
            await wait_type(client, job_id, "job_stuck")
            stuck_state = await job_state(service.url, job_id)
            run_id = of_type(client, job_id, "job_stuck")[0]["run"]["id"]
            stuck_detail = await rest(service.url, f"/servers/main/runs/{run_id}")

            second.start()
            await wait_type(client, job_id, "job_aborted")
            await asyncio.sleep(3)
            final_state = await job_state(service.url, job_id)
            agents = (await rest(service.url, "/servers"))[0]["agents"]
    finally:
        first.kill()
        second.stop()

    stuck = of_type(client, job_id, "job_stuck")
    assert len(stuck) == 1
    assert stuck[0]["reason"] == "agent_lost"
    assert stuck[0]["run"]["status"] == "stuck"
    assert stuck_state is not None
    assert stuck_state["status"] == "stuck"
    assert stuck_state["last_run"]["status"] == "stuck"
    assert stuck_detail["status"] == "stuck"

    aborted = of_type(client, job_id, "job_aborted")
    assert len(aborted) == 1
    assert aborted[0]["run"]["duration"] is None
    assert aborted[0]["reason"] == "agent_lost"
    assert of_type(client, job_id, "job_failed") == []
    assert final_state is not None
    assert final_state["status"] == "aborted"
    assert final_state["last_run"]["duration"] is None

    offline = [e for e in client.events if e["type"] == "agent_offline"]
    online = [e for e in client.events if e["type"] == "agent_online"]
    assert first.jagpid in [e["agent"]["pid"] for e in offline]
    assert second.jagpid in [e["agent"]["pid"] for e in online]
    assert {a["pid"]: a["alive"] for a in agents}.get(second.jagpid) is True


async def test_definitions_edited_while_a_job_runs_and_its_deletion_show_up(
    private: tuple[Cluster, Path],
) -> None:
    cluster, path = private
    conninfo = cluster.conninfo()
    job_id = create_job(
        conninfo,
        "edited",
        [StepSpec("a nap", "sql", "SELECT pg_sleep(3)"), StepSpec("b nap", "sql", "SELECT 1")],
    )
    agent = Agent(conninfo, path / "editing.log", poll_seconds=1)
    agent.start()

    try:
        async with running_service({"main": conninfo}) as service, recorder(service.url) as client:
            run_job_now(conninfo, job_id)
            await wait_type(client, job_id, "step_started")

            sql(
                conninfo,
                "UPDATE pgagent.pga_job SET jobname = 'renamed' WHERE jobid = %s",
                (job_id,),
            )
            await client.wait_for(lambda _: changed(client, job_id, "name"))
            sql(
                conninfo,
                "UPDATE pgagent.pga_job SET jobenabled = false WHERE jobid = %s",
                (job_id,),
            )
            await client.wait_for(lambda _: changed(client, job_id, "enabled"))
            sql(
                conninfo,
                "UPDATE pgagent.pga_jobstep SET jstcode = 'SELECT 2' WHERE jstjobid = %s"
                " AND jstname = 'b nap'",
                (job_id,),
            )
            await client.wait_for(lambda _: changed(client, job_id, "steps"))
            sql(
                conninfo,
                "INSERT INTO pgagent.pga_schedule (jscjobid, jscname) VALUES (%s, 'nightly')",
                (job_id,),
            )
            await client.wait_for(lambda _: changed(client, job_id, "schedules"))
            renamed = await job_state(service.url, job_id)

            sql(conninfo, "DELETE FROM pgagent.pga_job WHERE jobid = %s", (job_id,))
            await wait_type(client, job_id, "job_removed")
            created = create_job(conninfo, "newcomer", [StepSpec("one", "sql", "SELECT 1")])
            await client.wait_for(lambda _: changed(client, created, "created"))
            await asyncio.sleep(5)
            gone = await job_state(service.url, job_id)
            servers = await rest(service.url, "/servers")
    finally:
        agent.stop()

    events = client.of_job(job_id)
    removed_at = [e["type"] for e in events].index("job_removed")
    assert events[removed_at + 1 :] == []
    assert len(of_type(client, job_id, "job_removed")) == 1
    assert renamed is not None
    assert renamed["name"] == "renamed"
    assert renamed["enabled"] is False
    assert gone is None
    name_change = next(e for e in events if "name" in e.get("changes", []))
    assert name_change["job"]["name"] == "renamed"
    assert name_change["state"]["name"] == "renamed"
    assert servers[0]["state"] == "live"


def changed(client: Recorder, job_id: int, what: str) -> bool:
    return any(what in e.get("changes", []) for e in of_type(client, job_id, "job_changed"))


async def test_text_in_a_sql_ascii_database_is_decoded_value_by_value(
    private: tuple[Cluster, Path],
) -> None:
    cluster, path = private
    sql(
        cluster.conninfo(),
        "CREATE DATABASE latin ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0",
    )
    cluster.ensure_pgagent("latin")
    conninfo = cluster.conninfo("latin")

    # Names in Windows-1252 and in UTF-8 side by side; output in Windows-1252 with a euro sign.
    with psycopg.connect(conninfo, autocommit=True) as conn:
        row = conn.execute(
            "INSERT INTO pgagent.pga_job (jobjclid, jobname) VALUES"
            " ((SELECT min(jclid) FROM pgagent.pga_jobclass), E'caf\\xe9 latin1')"
            " RETURNING jobid"
        ).fetchone()
        assert row is not None
        job_id = row[0]
        conn.execute(
            "INSERT INTO pgagent.pga_job (jobjclid, jobname) VALUES"
            " ((SELECT min(jclid) FROM pgagent.pga_jobclass), E'na\\xc3\\xafve')"
        )
        conn.execute(
            "INSERT INTO pgagent.pga_jobstep (jstjobid, jstname, jstkind, jstcode, jstdbname)"
            " VALUES (%s, E'\\xe9tape', 'b', %s, '')",
            (job_id, r"printf 'caf\351 \200 sortie\n'"),
        )
    agent = Agent(conninfo, path / "latin.log", poll_seconds=1)
    agent.start()

    try:
        async with running_service({"main": conninfo}) as service, recorder(service.url) as client:
            run_job_now(conninfo, job_id)
            await wait_type(client, job_id, "job_succeeded")
            jobs = await rest(service.url, "/servers/main/jobs")
            step = of_type(client, job_id, "step_finished")[0]["step"]
            run_id = step and client.of_job(job_id)[-1]["run"]["id"]
            path_ = f"/servers/main/runs/{run_id}/steps/{step['run_id']}/output"
            whole = await rest(service.url, path_)
    finally:
        agent.stop()

    names = {job["name"] for job in jobs}
    assert {"café latin1", "naïve"} <= names
    assert client.of_job(job_id)[0]["job"]["name"] == "café latin1"
    assert step["name"] == "étape"
    assert step["output"] == "café € sortie\n"
    assert step["output_size"] == len(b"caf\xe9 \x80 sortie\n")
    assert whole["output"] == "café € sortie\n"
