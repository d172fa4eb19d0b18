"""Sample jobs that show every kind of run: quick, long, failed and failed-but-ignored."""

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import psycopg
from psycopg.rows import TupleRow

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Step:
    name: str
    code: str
    on_error: str = "f"


@dataclass(frozen=True)
class _Job:
    name: str
    description: str
    steps: tuple[_Step, ...]
    every_minute: bool = False


# pgAgent runs steps ordered by name, hence the numbers.
SAMPLE_JOBS = (
    _Job(
        "demo: quick check",
        "One quick SQL step, every minute.",
        (_Step("1 check", "SELECT 1"),),
        every_minute=True,
    ),
    _Job(
        "demo: nightly load",
        "Three steps of about seven seconds each.",
        (
            _Step("1 extract", "SELECT pg_sleep(7)"),
            _Step("2 transform", "SELECT pg_sleep(7)"),
            _Step("3 load", "SELECT pg_sleep(6)"),
        ),
    ),
    _Job(
        "demo: broken report",
        "A step that fails: its table does not exist.",
        (_Step("1 report", "SELECT * FROM demo_missing_report_table"),),
    ),
    _Job(
        "demo: cleanup with ignored failure",
        "A failing step whose failure is ignored, then a good one.",
        (
            _Step("1 purge archive", "DELETE FROM demo_missing_archive_table", on_error="i"),
            _Step("2 count runs", "SELECT count(*) FROM pgagent.pga_joblog"),
        ),
    ),
)

# Two demos starting at once on one database must not both create the jobs.
_LOCK = "SELECT pg_advisory_xact_lock(hashtext('pgagent-live sample jobs'))"

_FIND_JOB = "SELECT min(jobid) FROM pgagent.pga_job WHERE jobname = %s"

_INSERT_JOB = """
INSERT INTO pgagent.pga_job (jobjclid, jobname, jobdesc)
SELECT coalesce(
         (SELECT jclid FROM pgagent.pga_jobclass WHERE jclname = 'Routine Maintenance'),
         (SELECT min(jclid) FROM pgagent.pga_jobclass)),
       %s, %s
RETURNING jobid
"""

_INSERT_STEP = """
INSERT INTO pgagent.pga_jobstep (jstjobid, jstname, jstkind, jstcode, jstdbname, jstonerror)
VALUES (%s, %s, 's', %s, current_database(), %s)
"""

# Every minute of every hour of every day; slot 32 of the month days is "last day".
_INSERT_SCHEDULE = """
INSERT INTO pgagent.pga_schedule
       (jscjobid, jscname, jscstart,
        jscminutes, jschours, jscweekdays, jscmonthdays, jscmonths)
VALUES (%s, 'every minute', now(),
        array_fill(true, ARRAY[60]), array_fill(true, ARRAY[24]), array_fill(true, ARRAY[7]),
        array_fill(true, ARRAY[32]), array_fill(true, ARRAY[12]))
"""


def ensure_sample_jobs(conninfo: str) -> list[int]:
    """Create the sample jobs that are missing, found by name; return all their ids in order."""
    job_ids = []
    with psycopg.connect(conninfo) as conn, conn.transaction():
        conn.execute(_LOCK)
        for job in SAMPLE_JOBS:
            row = conn.execute(_FIND_JOB, (job.name,)).fetchone()
            found: int | None = row[0] if row is not None else None
            job_ids.append(found if found is not None else _create(conn, job))
    return job_ids


def run_now(conninfo: str, job_ids: Sequence[int]) -> None:
    """Ask for a run at the agent's next poll, which is all pgAdmin's "Run now" does."""
    with psycopg.connect(conninfo) as conn:
        conn.execute(
            "UPDATE pgagent.pga_job SET jobnextrun = now() WHERE jobid = ANY(%s)", (list(job_ids),)
        )


def _create(conn: psycopg.Connection[TupleRow], job: _Job) -> int:
    row = conn.execute(_INSERT_JOB, (job.name, job.description)).fetchone()
    assert row is not None
    job_id = int(row[0])

    for step in job.steps:
        conn.execute(_INSERT_STEP, (job_id, step.name, step.code, step.on_error))
    if job.every_minute:
        conn.execute(_INSERT_SCHEDULE, (job_id,))

    logger.info("created sample job %d %r", job_id, job.name)
    return job_id
