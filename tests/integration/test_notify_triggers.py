"""The notify triggers: installed and removed by the command, harmless to pgAgent's own writes."""

import asyncio
import time
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner

from pgagent_live.cli import main
from tests.live_service import recorder, running_service
from tests.own_cluster import Own, own_cluster
from tests.pgagent_jobs import StepSpec, create_job, run_job_now

pytestmark = pytest.mark.integration

BIG = 3_000_000
"""Bytes of output of the big batch step: far above any NOTIFY payload's limit."""


@pytest.fixture(scope="module")
def own(postgresql_installed: None) -> Iterator[Own]:
    with own_cluster() as started:
        yield started


def triggers(own: Own, action: str, conninfo: str | None = None) -> Any:
    server = f"t={conninfo or own.conninfo}"
    return CliRunner().invoke(main, ["triggers", action, "--server", server])


def run_to_end(own: Own, job_id: int, timeout: float = 60) -> int:
    """Run the job now and wait until pgAgent has finished the run; return its id."""
    (before,) = own.sql("SELECT coalesce(max(jlgid), 0) FROM pgagent.pga_joblog")[0]
    run_job_now(own.conninfo, job_id)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = own.sql(
            "SELECT jlgid FROM pgagent.pga_joblog"
            " WHERE jlgjobid = %s AND jlgid > %s AND jlgstatus <> 'r'",
            (job_id, before),
        )
        if rows:
            run_id: int = rows[0][0]
            return run_id
        time.sleep(0.2)
    raise AssertionError(f"expected job {job_id} to finish within {timeout} s, found it did not")


def outcome(own: Own, run_id: int) -> list[tuple[Any, ...]]:
    """What pgAgent wrote for a run, without the ids and times that differ between runs."""
    run = own.sql("SELECT jlgstatus FROM pgagent.pga_joblog WHERE jlgid = %s", (run_id,))
    steps = own.sql(
        "SELECT s.jstname, l.jslstatus, l.jslresult, octet_length(l.jsloutput), md5(l.jsloutput)"
        " FROM pgagent.pga_jobsteplog l JOIN pgagent.pga_jobstep s ON s.jstid = l.jsljstid"
        " WHERE l.jsljlgid = %s ORDER BY l.jslid",
        (run_id,),
    )
    return run + steps


def test_install_is_idempotent_and_remove_leaves_nothing(own: Own) -> None:
    assert "triggers absent" in triggers(own, "status").output

    first = triggers(own, "install")
    again = triggers(own, "install")
    status = triggers(own, "status")
    count = own.sql("SELECT count(*) FROM pg_trigger WHERE tgname = 'pgagent_live_notify'")

    assert first.exit_code == 0, first.output
    assert again.exit_code == 0, again.output
    assert "triggers installed" in status.output
    assert count == [(7,)]

    removed = triggers(own, "remove")
    left = own.sql(
        "SELECT (SELECT count(*) FROM pg_trigger WHERE tgname = 'pgagent_live_notify'),"
        " to_regnamespace('pgagent_live') IS NULL"
    )
    assert removed.exit_code == 0, removed.output
    assert "triggers absent" in triggers(own, "status").output
    assert left == [(0, True)]


def test_a_big_output_run_ends_the_same_with_and_without_triggers(own: Own) -> None:
    job_id = create_job(
        own.conninfo,
        "big output",
        [
            StepSpec("1 big", "batch", f"head -c {BIG} /dev/zero | tr '\\0' 'x'"),
            StepSpec("2 fails", "sql", "SELECT * FROM no_such_table", on_error="i"),
            StepSpec("3 sql", "sql", "SELECT repeat('y', 100000)"),
        ],
    )
    triggers(own, "remove")
    without = outcome(own, run_to_end(own, job_id))

    assert triggers(own, "install").exit_code == 0
    with psycopg.connect(own.conninfo, autocommit=True) as listener:
        listener.execute("LISTEN pgagent_live")
        run_id = run_to_end(own, job_id)
        with_triggers = outcome(own, run_id)
        payloads = [n.payload for n in listener.notifies(timeout=2)]
    triggers(own, "remove")

    assert without == with_triggers
    assert without[0] == ("s",)
    assert [row[1] for row in without[1:]] == ["s", "i", "s"]
    assert without[1][3] == BIG
    assert f"run:{run_id}:{job_id}:r" in payloads
    assert f"run:{run_id}:{job_id}:s" in payloads
    assert all(len(p.encode()) <= 200 for p in payloads)


def test_a_failing_notify_never_fails_the_write(own: Own) -> None:
    own.sql("CREATE ROLE writer LOGIN")
    own.sql("GRANT USAGE ON SCHEMA pgagent TO writer")
    own.sql("GRANT INSERT, SELECT ON pgagent.pga_job TO writer")
    own.sql("GRANT USAGE ON SEQUENCE pgagent.pga_job_jobid_seq TO writer")
    own.sql("REVOKE EXECUTE ON FUNCTION pg_notify(text, text) FROM PUBLIC")
    assert triggers(own, "install").exit_code == 0
    writer = own.conninfo.replace("user=postgres", "user=writer")

    try:
        with psycopg.connect(writer, autocommit=True) as conn:
            denied = conn.execute(
                "SELECT has_function_privilege('pg_notify(text, text)', 'EXECUTE')"
            ).fetchone()
            conn.execute("INSERT INTO pgagent.pga_job (jobjclid, jobname) VALUES (1, 'by writer')")
        stored = own.sql("SELECT count(*) FROM pgagent.pga_job WHERE jobname = 'by writer'")
    finally:
        own.sql("GRANT EXECUTE ON FUNCTION pg_notify(text, text) TO PUBLIC")
        triggers(own, "remove")

    assert denied == (False,)
    assert stored == [(1,)]


def test_installing_without_privileges_names_the_grants(own: Own) -> None:
    own.sql("CREATE ROLE weak LOGIN")
    weak = own.conninfo.replace("user=postgres", "user=weak")

    result = triggers(own, "install", weak)

    assert result.exit_code == 1
    assert "role 'weak' may not install the triggers" in result.output
    assert "GRANT USAGE ON SCHEMA pgagent TO weak" in result.output
    assert "GRANT TRIGGER ON pgagent.pga_exception, pgagent.pga_job" in result.output
    assert own.sql("SELECT count(*) FROM pg_trigger WHERE tgname = 'pgagent_live_notify'") == [(0,)]


async def test_auto_mode_follows_triggers_installed_and_removed_while_running(own: Own) -> None:
    def listening() -> bool:
        rows = own.sql(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pgagent-live listener'"
        )
        return rows == [(1,)]

    async def until(check: Callable[[], bool], timeout: float = 60) -> None:
        async with asyncio.timeout(timeout):
            while not check():
                await asyncio.sleep(0.1)

    job_id = create_job(own.conninfo, "auto", [StepSpec("one", "sql", "SELECT 1")])
    settings: dict[str, Any] = {"safety_poll_interval": 1}
    async with (
        running_service({"own": own.conninfo}, **settings) as service,
        recorder(service.url) as client,
    ):
        await asyncio.sleep(1)
        before = listening()
        assert (await asyncio.to_thread(triggers, own, "install")).exit_code == 0
        await until(listening)
        run_job_now(own.conninfo, job_id)
        await client.wait_for(
            lambda events: any(e["type"] == "job_succeeded" for e in client.of_job(job_id))
        )
        assert (await asyncio.to_thread(triggers, own, "remove")).exit_code == 0
        await until(lambda: not listening())

    assert before is False
    assert [e["type"] for e in client.of_job(job_id) if e["type"] != "job_progress"] == [
        "job_started",
        "step_started",
        "step_finished",
        "job_succeeded",
    ]
