"""Transitions counted two ways: from what pgAgent wrote, and from the events a client got."""

from collections import Counter
from typing import Any

import psycopg

Transition = tuple[str, int, int | None]
"""An event type, the run id and the step run id (None for a run's own events)."""

RUN_TYPES = {"job_started", "step_started", "step_finished"}
FINAL = {"s": "job_succeeded", "f": "job_failed", "i": "job_failed", "d": "job_aborted"}


def written(conninfo: str, job_ids: list[int]) -> Counter[Transition]:
    """Every transition the runs and step runs of these jobs went through, as stored now."""
    found: Counter[Transition] = Counter()
    with psycopg.connect(conninfo, autocommit=True) as conn:
        runs = conn.execute(
            "SELECT jlgid, jlgstatus FROM pgagent.pga_joblog WHERE jlgjobid = ANY(%s)",
            (job_ids,),
        ).fetchall()
        steps = conn.execute(
            "SELECT l.jslid, l.jsljlgid, l.jslstatus FROM pgagent.pga_jobsteplog l"
            " JOIN pgagent.pga_joblog r ON r.jlgid = l.jsljlgid WHERE r.jlgjobid = ANY(%s)",
            (job_ids,),
        ).fetchall()
    for run_id, letter in runs:
        found["job_started", run_id, None] += 1
        if letter != "r":
            found[FINAL[letter], run_id, None] += 1
    for step_run_id, run_id, letter in steps:
        found["step_started", run_id, step_run_id] += 1
        if letter != "r":
            found["step_finished", run_id, step_run_id] += 1
    return found


def received(events: list[dict[str, Any]], job_ids: list[int]) -> Counter[Transition]:
    """The same transitions as the events announced them, duplicates counted."""
    found: Counter[Transition] = Counter()
    kinds = RUN_TYPES | set(FINAL.values())
    for event in events:
        if event["type"] not in kinds or event.get("job", {}).get("id") not in job_ids:
            continue
        step = event.get("step")
        step_run = step["run_id"] if step and event["type"].startswith("step_") else None
        found[event["type"], event["run"]["id"], step_run] += 1
    return found


def finished_runs(conninfo: str, job_ids: list[int]) -> int:
    with psycopg.connect(conninfo, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pgagent.pga_joblog WHERE jlgjobid = ANY(%s) AND jlgstatus <> 'r'",
            (job_ids,),
        ).fetchone()
    assert row is not None
    count: int = row[0]
    return count
