"""Failures between pgAgent and the service: every transition still arrives, exactly once."""

import asyncio
import os
import signal
import time
from collections.abc import Iterator
from typing import Any

import pytest
from click.testing import CliRunner

from pgagent_live.cli import main
from tests.live_service import Recorder, recorder, running_service
from tests.own_cluster import Own, own_cluster, start_agent
from tests.pgagent_jobs import StepSpec, create_job, run_job_now
from tests.transitions import finished_runs, received, written

pytestmark = pytest.mark.integration

FINAL = {"job_succeeded", "job_failed", "job_aborted"}


@pytest.fixture
def own(postgresql_installed: None) -> Iterator[Own]:
    with own_cluster() as started:
        started.sql("CREATE ROLE monitor LOGIN")
        started.sql("GRANT USAGE ON SCHEMA pgagent TO monitor")
        started.sql("GRANT SELECT ON ALL TABLES IN SCHEMA pgagent TO monitor")
        yield started


def monitor(own: Own) -> str:
    return own.conninfo.replace("user=postgres", "user=monitor")


async def install_triggers(own: Own) -> None:
    args = ["triggers", "install", "--server", f"t={own.conninfo}"]
    result = await asyncio.to_thread(CliRunner().invoke, main, args)
    assert result.exit_code == 0, result.output


def finals(client: Recorder, job_id: int, count: int) -> Any:
    def check(events: list[dict[str, Any]]) -> bool:
        ends = [e for e in events if e.get("job", {}).get("id") == job_id and e["type"] in FINAL]
        return len(ends) >= count

    return check


def states(client: Recorder) -> list[str]:
    """The server's states as the client learnt them: from its snapshot, then each change."""
    first = [server["state"] for snap in client.snapshots[:1] for server in snap["servers"]]
    return first + [status["state"] for status in client.statuses]


async def wait_state(client: Recorder, state: str, timeout: float = 90) -> None:
    async with asyncio.timeout(timeout):
        while state not in states(client):
            await asyncio.sleep(0.05)


async def wait_finished(own: Own, job_id: int, count: int, timeout: float = 60) -> None:
    async with asyncio.timeout(timeout):
        while finished_runs(own.conninfo, [job_id]) < count:
            await asyncio.sleep(0.1)


def listeners(own: Own) -> list[int]:
    rows = own.sql(
        "SELECT pid FROM pg_stat_activity WHERE application_name = 'pgagent-live listener'"
    )
    return [pid for (pid,) in rows]


async def test_a_terminated_listener_loses_and_repeats_nothing(own: Own) -> None:
    await install_triggers(own)
    job_id = create_job(
        own.conninfo, "three steps", [StepSpec(f"{k}", "sql", "SELECT pg_sleep(1)") for k in "abc"]
    )
    # No safety-net look in the test's time: only a NOTIFY can bring events while live.
    settings: dict[str, Any] = {
        "watch_mode": "notify",
        "health_timeout": 2,
        "safety_poll_interval": 3600,
    }

    async with (
        running_service({"own": monitor(own)}, **settings) as service,
        recorder(service.url) as client,
    ):
        await wait_state(client, "live")
        run_job_now(own.conninfo, job_id)
        await client.wait_for(lambda events: any(e["type"] == "step_started" for e in events))

        terminated = own.sql(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE application_name = 'pgagent-live listener'"
        )
        await client.wait_for(finals(client, job_id, 1))
        await wait_state(client, "polling")

        deadline = time.monotonic() + 60
        while not listeners(own) and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        run_job_now(own.conninfo, job_id)
        await client.wait_for(finals(client, job_id, 2))

    assert terminated == [(True,)]
    assert listeners(own) == []
    assert states(client)[-1] == "live"
    assert received(client.events, [job_id]) == written(own.conninfo, [job_id])
    assert sum(written(own.conninfo, [job_id]).values()) == 2 * (2 + 3 * 2)


@pytest.mark.parametrize("mode", ["poll", "notify"])
async def test_a_run_begun_and_ended_while_cut_off_arrives_once(own: Own, mode: str) -> None:
    if mode == "notify":
        await install_triggers(own)
    job_id = create_job(
        own.conninfo,
        "short",
        [StepSpec("one", "sql", "SELECT 1"), StepSpec("two", "sql", "SELECT 2")],
    )
    settings: dict[str, Any] = {"watch_mode": mode, "health_timeout": 2}

    async with (
        running_service({"own": monitor(own)}, **settings) as service,
        recorder(service.url) as client,
    ):
        await wait_state(client, "live")
        own.sql("ALTER ROLE monitor CONNECTION LIMIT 0")
        own.sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'monitor'")
        await wait_state(client, "unreachable")

        run_job_now(own.conninfo, job_id)
        await wait_finished(own, job_id, 1)
        own.sql("ALTER ROLE monitor CONNECTION LIMIT -1")
        await client.wait_for(finals(client, job_id, 1))

    seen = states(client)
    assert seen.index("unreachable") < seen.index("catching_up") < len(seen) - 1
    assert seen[-1] == "live"
    assert received(client.events, [job_id]) == written(own.conninfo, [job_id])
    assert sum(written(own.conninfo, [job_id]).values()) == 2 + 2 * 2


@pytest.mark.parametrize("mode", ["poll", "notify"])
async def test_a_postgresql_restart_during_a_run_loses_and_repeats_nothing(
    own: Own, mode: str
) -> None:
    if mode == "notify":
        await install_triggers(own)
    job_id = create_job(
        own.conninfo,
        "long",
        [StepSpec("one", "sql", "SELECT pg_sleep(3)"), StepSpec("two", "sql", "SELECT 1")],
    )
    settings: dict[str, Any] = {"watch_mode": mode, "health_timeout": 2}

    async with (
        running_service({"own": monitor(own)}, **settings) as service,
        recorder(service.url) as client,
    ):
        await wait_state(client, "live")
        run_job_now(own.conninfo, job_id)
        await client.wait_for(lambda events: any(e["type"] == "step_started" for e in events))

        # The agent exits with its database; the next one's start-up aborts the open run.
        await asyncio.to_thread(own.cluster.stop)
        await wait_state(client, "unreachable")
        await asyncio.to_thread(own.cluster.start)
        await asyncio.to_thread(start_agent, own)
        await client.wait_for(finals(client, job_id, 1))

        run_job_now(own.conninfo, job_id)
        await client.wait_for(finals(client, job_id, 2))

    transitions = written(own.conninfo, [job_id])
    assert received(client.events, [job_id]) == transitions
    assert [key[0] for key in transitions if key[0] in FINAL] == ["job_aborted", "job_succeeded"]
    assert states(client)[-1] == "live"


async def test_a_listener_whose_backend_stops_answering_is_replaced(own: Own) -> None:
    await install_triggers(own)
    job_id = create_job(
        own.conninfo,
        "while frozen",
        [StepSpec("a", "sql", "SELECT 1"), StepSpec("b", "sql", "SELECT 2")],
    )
    settings: dict[str, Any] = {
        "watch_mode": "notify",
        "health_timeout": 1,
        "safety_poll_interval": 3600,
    }

    async with (
        running_service({"own": monitor(own)}, **settings) as service,
        recorder(service.url) as client,
    ):
        await wait_state(client, "live")
        (frozen,) = listeners(own)

        # A stopped backend keeps its socket open and the kernel still acknowledges: only the
        # health query's deadline can tell.
        os.kill(frozen, signal.SIGSTOP)
        try:
            await wait_state(client, "polling")
            run_job_now(own.conninfo, job_id)
            await client.wait_for(finals(client, job_id, 1))
        finally:
            os.kill(frozen, signal.SIGCONT)

        deadline = time.monotonic() + 60
        while not [pid for pid in listeners(own) if pid != frozen] and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        async with asyncio.timeout(60):
            while states(client)[-1] != "live":
                await asyncio.sleep(0.05)
        run_job_now(own.conninfo, job_id)
        await client.wait_for(finals(client, job_id, 2))

    assert received(client.events, [job_id]) == written(own.conninfo, [job_id])
    assert sum(written(own.conninfo, [job_id]).values()) == 2 * (2 + 2 * 2)
