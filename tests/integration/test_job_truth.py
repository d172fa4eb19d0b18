"""Each state pgAgent leaves its rows in is shown exactly as it is, by the real daemon's runs."""

import asyncio
from typing import Any

import psycopg
import pytest

from pgagent_live.demo.agent import Agent
from pgagent_live.demo.cluster import Cluster
from tests.live_service import (
    of_type,
    recorder,
    rest,
    running_service,
    sql,
    wait_type,
)
from tests.pgagent_jobs import StepSpec, create_job, run_job_now

pytestmark = pytest.mark.integration

FINAL = {"job_succeeded", "job_failed", "job_aborted"}


async def until_live(url: str) -> None:
    """Until the service has read the server once: rows written after are news to it."""
    async with asyncio.timeout(30):
        while (await rest(url, "/servers"))[0]["state"] != "live":
            await asyncio.sleep(0.1)


async def job_state(url: str, job_id: int) -> dict[str, Any]:
    jobs = await rest(url, "/servers/main/jobs")
    found: dict[str, Any] = next(job for job in jobs if job["id"] == job_id)
    return found


async def test_steps_let_through_make_a_success_with_warnings(
    cluster: Cluster, agent: Agent
) -> None:
    conninfo = cluster.conninfo()
    job_id = create_job(
        conninfo,
        "warnings",
        [
            StepSpec("a sql succeed", "sql", "SELECT * FROM no_such_table", on_error="s"),
            StepSpec("b batch succeed", "batch", "echo failing; exit 3", on_error="s"),
            StepSpec("c sql ignore", "sql", "SELECT 1/0", on_error="i"),
            StepSpec("d batch ignore", "batch", "exit 4", on_error="i"),
            StepSpec("e rows", "sql", "SELECT * FROM generate_series(1, 7)"),
        ],
    )

    async with running_service({"main": conninfo}) as service, recorder(service.url) as client:
        run_job_now(conninfo, job_id)
        await client.wait_for(lambda _: any(e["type"] in FINAL for e in client.of_job(job_id)))
        state = await job_state(service.url, job_id)
        final = client.of_job(job_id)[-1]
        detail = await rest(service.url, f"/servers/main/runs/{final['run']['id']}")

    assert final["type"] == "job_succeeded"
    assert final["run"]["status"] == "succeeded_with_warnings"
    warned = [(w["name"], w["status"], w["result"]) for w in final["warnings"]]
    assert warned == [
        ("a sql succeed", "failed_as_success", -1),
        ("b batch succeed", "failed_as_success", 3),
        ("c sql ignore", "ignored", -1),
        ("d batch ignore", "ignored", 4),
    ]
    assert "no_such_table" in final["warnings"][0]["message"]
    finished = {e["step"]["name"]: e["step"] for e in of_type(client, job_id, "step_finished")}
    assert finished["e rows"]["status"] == "succeeded"
    assert finished["e rows"]["result"] == 7

    assert state["status"] == "succeeded_with_warnings"
    assert [w["name"] for w in state["last_run"]["warnings"]] == [w[0] for w in warned]
    assert detail["status"] == "succeeded_with_warnings"
    assert [s["status"] for s in detail["steps"]] == [
        "failed_as_success",
        "failed_as_success",
        "ignored",
        "ignored",
        "succeeded",
    ]


async def test_a_job_whose_steps_are_all_disabled_succeeds_and_says_why(
    cluster: Cluster, agent: Agent
) -> None:
    conninfo = cluster.conninfo()
    job_id = create_job(conninfo, "all off", [StepSpec("off", "sql", "SELECT 1", enabled=False)])

    async with running_service({"main": conninfo}) as service, recorder(service.url) as client:
        run_job_now(conninfo, job_id)
        await wait_type(client, job_id, "job_succeeded")
        state = await job_state(service.url, job_id)

    assert [e["type"] for e in client.of_job(job_id)] == ["job_started", "job_succeeded"]
    final = client.of_job(job_id)[-1]
    assert final["reason"] == "no_enabled_steps"
    assert final["run"]["status"] == "succeeded"
    assert state["status"] == "succeeded"
    assert state["last_run"]["reason"] == "no_enabled_steps"


async def test_a_job_pinned_to_a_host_no_agent_has_is_overdue(
    cluster: Cluster, agent: Agent
) -> None:
    conninfo = cluster.conninfo()
    ((host,),) = sql(
        conninfo, "SELECT jagstation FROM pgagent.pga_jobagent WHERE jagpid = %s", (agent.jagpid,)
    )
    job_id = create_job(conninfo, "pinned", [StepSpec("one", "sql", "SELECT 1")])
    sql(conninfo, "UPDATE pgagent.pga_job SET jobhostagent = 'nowhere' WHERE jobid = %s", (job_id,))

    try:
        async with (
            running_service({"main": conninfo}, overdue_grace=1) as service,
            recorder(service.url) as client,
        ):
            run_job_now(conninfo, job_id)
            await wait_type(client, job_id, "job_overdue")
            await asyncio.sleep(2)
            state = await job_state(service.url, job_id)
            snapshot_agents = (await rest(service.url, "/servers"))[0]["agents"]
    finally:
        sql(conninfo, "DELETE FROM pgagent.pga_job WHERE jobid = %s", (job_id,))

    overdue = of_type(client, job_id, "job_overdue")
    assert len(overdue) == 1
    assert overdue[0]["reason"] == "host_not_live"
    assert "nowhere" in overdue[0]["message"]
    assert host in overdue[0]["live_hosts"]
    assert of_type(client, job_id, "job_started") == []
    assert state["status"] == "overdue"
    assert state["alert"]["reason"] == "host_not_live"
    mine = [a for a in snapshot_agents if a["pid"] == agent.jagpid]
    assert mine
    assert mine[0]["alive"] is True
    assert mine[0]["host"] == host


async def test_a_step_left_running_under_an_ended_run_is_not_recorded(
    cluster: Cluster, agent: Agent
) -> None:
    # The agent leaves this when the UPDATE of a step's result fails; written here as it would.
    conninfo = cluster.conninfo()
    job_id = create_job(conninfo, "unrecorded", [StepSpec("lost", "sql", "SELECT 1")])
    ((step_id,),) = sql(
        conninfo, "SELECT jstid FROM pgagent.pga_jobstep WHERE jstjobid = %s", (job_id,)
    )

    async with running_service({"main": conninfo}) as service, recorder(service.url) as client:
        await until_live(service.url)
        with psycopg.connect(conninfo) as conn:
            conn.execute(
                "UPDATE pgagent.pga_job SET jobagentid = %s, joblastrun = now() WHERE jobid = %s",
                (agent.jagpid, job_id),
            )
        with psycopg.connect(conninfo) as conn:
            row = conn.execute(
                "INSERT INTO pgagent.pga_joblog (jlgjobid, jlgstatus) VALUES (%s, 'r')"
                " RETURNING jlgid",
                (job_id,),
            ).fetchone()
            assert row is not None
            run_id = row[0]
            conn.execute(
                "INSERT INTO pgagent.pga_jobsteplog (jsljlgid, jsljstid, jslstatus)"
                " VALUES (%s, %s, 'r')",
                (run_id, step_id),
            )
        await wait_type(client, job_id, "step_started")
        with psycopg.connect(conninfo) as conn:
            conn.execute(
                "UPDATE pgagent.pga_joblog SET jlgstatus = 'f', jlgduration = now() - jlgstart"
                " WHERE jlgid = %s",
                (run_id,),
            )
            conn.execute(
                "UPDATE pgagent.pga_job SET jobagentid = NULL, jobnextrun = NULL WHERE jobid = %s",
                (job_id,),
            )
        await wait_type(client, job_id, "job_failed")
        state = await job_state(service.url, job_id)
        detail = await rest(service.url, f"/servers/main/runs/{run_id}")

    finished = of_type(client, job_id, "step_finished")
    assert len(finished) == 1
    assert finished[0]["step"]["status"] == "not_recorded"
    assert of_type(client, job_id, "job_stuck") == []
    assert state["status"] == "failed"
    assert detail["steps"][0]["status"] == "not_recorded"


async def test_a_claim_without_a_run_is_stuck(cluster: Cluster, agent: Agent) -> None:
    # pgAgent claims, then inserts the run in a second statement: left here between the two.
    conninfo = cluster.conninfo()
    job_id = create_job(conninfo, "claimed", [StepSpec("one", "sql", "SELECT 1")])

    try:
        async with (
            running_service({"main": conninfo}, claim_grace=2) as service,
            recorder(service.url) as client,
        ):
            sql(
                conninfo,
                "UPDATE pgagent.pga_job SET jobagentid = %s, joblastrun = now() WHERE jobid = %s",
                (agent.jagpid, job_id),
            )
            await wait_type(client, job_id, "job_stuck")
            await asyncio.sleep(2)
            state = await job_state(service.url, job_id)
    finally:
        sql(conninfo, "DELETE FROM pgagent.pga_job WHERE jobid = %s", (job_id,))

    stuck = of_type(client, job_id, "job_stuck")
    assert len(stuck) == 1
    assert stuck[0]["reason"] == "claim_without_run"
    assert "run" not in stuck[0]
    assert state["status"] == "stuck"
    assert state["alert"]["reason"] == "claim_without_run"


async def test_a_run_far_longer_than_its_history_is_long_running(
    cluster: Cluster, agent: Agent
) -> None:
    conninfo = cluster.conninfo()
    job_id = create_job(conninfo, "slow today", [StepSpec("nap", "sql", "SELECT pg_sleep(4)")])
    for _ in range(3):
        sql(
            conninfo,
            "INSERT INTO pgagent.pga_joblog (jlgjobid, jlgstatus, jlgstart, jlgduration)"
            " VALUES (%s, 's', now() - interval '1 hour', interval '0.2 seconds')",
            (job_id,),
        )

    async with (
        running_service(
            {"main": conninfo}, long_running_factor=3, long_running_min_excess=1
        ) as service,
        recorder(service.url) as client,
    ):
        run_job_now(conninfo, job_id)
        await wait_type(client, job_id, "job_long_running")
        state = await job_state(service.url, job_id)
        await wait_type(client, job_id, "job_succeeded")

    long = of_type(client, job_id, "job_long_running")
    assert len(long) == 1
    assert long[0]["progress"]["expected"] == pytest.approx(0.2)
    assert long[0]["progress"]["elapsed"] >= 1.2
    assert state["status"] == "running"
    assert state["last_run"]["long_running"] is True
    assert state["alert"]["type"] == "job_long_running"
    progress = of_type(client, job_id, "job_progress")
    assert progress[-1]["progress"]["expected"] == pytest.approx(0.2)


async def test_a_long_output_is_cut_in_events_and_whole_over_rest(
    cluster: Cluster, agent: Agent
) -> None:
    conninfo = cluster.conninfo()
    script = "i=0; while [ $i -lt 1500 ]; do printf 'é'; i=$((i+1)); done"
    job_id = create_job(conninfo, "chatty", [StepSpec("talk", "batch", script)])

    async with running_service({"main": conninfo}) as service, recorder(service.url) as client:
        run_job_now(conninfo, job_id)
        await wait_type(client, job_id, "job_succeeded")
        step = of_type(client, job_id, "step_finished")[0]["step"]
        run_id = client.of_job(job_id)[-1]["run"]["id"]
        whole = await rest(
            service.url, f"/servers/main/runs/{run_id}/steps/{step['run_id']}/output"
        )

    assert step["output_size"] == 3000
    assert step["output_truncated"] is True
    assert step["output"] == "é" * 1024
    assert whole["output"] == "é" * 1500
    assert whole["output_size"] == 3000


async def test_a_run_in_the_databases_future_is_a_clock_anomaly(
    cluster: Cluster, agent: Agent
) -> None:
    # Written as an agent whose host clock runs an hour ahead, then steps back, would leave it.
    conninfo = cluster.conninfo()
    job_id = create_job(conninfo, "time traveller", [StepSpec("one", "sql", "SELECT 1")])
    ((step_id,),) = sql(
        conninfo, "SELECT jstid FROM pgagent.pga_jobstep WHERE jstjobid = %s", (job_id,)
    )

    async with running_service({"main": conninfo}) as service, recorder(service.url) as client:
        await until_live(service.url)
        with psycopg.connect(conninfo) as conn:
            conn.execute(
                "UPDATE pgagent.pga_job SET jobagentid = %s, joblastrun = now() WHERE jobid = %s",
                (agent.jagpid, job_id),
            )
        with psycopg.connect(conninfo) as conn:
            row = conn.execute(
                "INSERT INTO pgagent.pga_joblog (jlgjobid, jlgstatus, jlgstart)"
                " VALUES (%s, 'r', now() + interval '1 hour') RETURNING jlgid",
                (job_id,),
            ).fetchone()
            assert row is not None
            run_id = row[0]
        await wait_type(client, job_id, "job_started")
        running = await job_state(service.url, job_id)
        with psycopg.connect(conninfo) as conn:
            conn.execute(
                "INSERT INTO pgagent.pga_jobsteplog"
                " (jsljlgid, jsljstid, jslstatus, jslresult, jslstart, jslduration)"
                " VALUES (%s, %s, 's', 1, now() + interval '1 hour', interval '-1 second')",
                (run_id, step_id),
            )
            conn.execute(
                "UPDATE pgagent.pga_joblog SET jlgstatus = 's', jlgduration = interval '-5 seconds'"
                " WHERE jlgid = %s",
                (run_id,),
            )
            conn.execute(
                "UPDATE pgagent.pga_job SET jobagentid = NULL, jobnextrun = NULL WHERE jobid = %s",
                (job_id,),
            )
        await wait_type(client, job_id, "job_succeeded")
        ended = await job_state(service.url, job_id)

    started = of_type(client, job_id, "job_started")[0]
    assert started["run"]["clock_anomaly"] is True
    assert running["last_run"]["clock_anomaly"] is True
    progress = of_type(client, job_id, "job_progress")[0]["progress"]
    assert progress["elapsed"] is None
    step = of_type(client, job_id, "step_finished")[0]["step"]
    assert step["duration"] is None
    assert step["clock_anomaly"] is True
    final = of_type(client, job_id, "job_succeeded")[0]
    assert final["run"]["duration"] is None
    assert final["run"]["clock_anomaly"] is True
    assert ended["last_run"]["duration"] is None
    assert ended["last_run"]["clock_anomaly"] is True
