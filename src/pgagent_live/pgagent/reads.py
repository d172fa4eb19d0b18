"""Reads of pgAgent's tables, each one named query turned into typed rows."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from psycopg import AsyncConnection

from pgagent_live.pgagent.queries import query
from pgagent_live.pgagent.rows import (
    AgentRow,
    JobRow,
    RunRow,
    ScheduleRow,
    StepLogRow,
    StepRow,
)
from pgagent_live.pgagent.text import decode
from pgagent_live.watch.events import OUTPUT_EXCERPT_BYTES

Connection = AsyncConnection[tuple[Any, ...]]


async def clock(conn: Connection) -> datetime:
    cur = await conn.execute(query("clock"))
    row = await cur.fetchone()
    assert row is not None
    value: datetime = row[0]
    return value


async def jobs(conn: Connection) -> list[JobRow]:
    cur = await conn.execute(query("jobs"))
    return [
        JobRow(
            id=r[0],
            name=decode(r[1]),
            description=decode(r[2]),
            enabled=r[3],
            host_agent=decode(r[4]),
            next_run=r[5],
            last_claimed=r[6],
            agent_pid=r[7],
            agent_host=None if r[8] is None else decode(r[8]),
            steps_enabled=r[9],
            steps_digest=decode(r[10]),
            schedules_digest=decode(r[11]),
        )
        for r in await cur.fetchall()
    ]


async def latest_runs(conn: Connection) -> list[RunRow]:
    cur = await conn.execute(query("latest_runs"))
    return [_run(r) for r in await cur.fetchall()]


async def max_run_id(conn: Connection) -> int:
    cur = await conn.execute(query("max_run_id"))
    row = await cur.fetchone()
    assert row is not None
    value: int = row[0]
    return value


async def changed_runs(conn: Connection, after: int, ids: Sequence[int]) -> list[RunRow]:
    cur = await conn.execute(query("changed_runs"), {"after": after, "ids": list(ids)})
    return [_run(r) for r in await cur.fetchall()]


async def step_logs(
    conn: Connection, runs: Sequence[int], done: Sequence[int] = ()
) -> list[StepLogRow]:
    if not runs:
        return []
    params = {"runs": list(runs), "done": list(done), "excerpt_chars": OUTPUT_EXCERPT_BYTES}
    cur = await conn.execute(query("step_logs"), params)
    return [
        StepLogRow(
            id=r[0],
            run_id=r[1],
            step_id=r[2],
            letter=decode(r[3]),
            result=r[4],
            started_at=r[5],
            duration=r[6],
            output=decode(r[7]),
            output_size=r[8],
            name=None if r[9] is None else decode(r[9]),
            kind=None if r[10] is None else decode(r[10]),
        )
        for r in await cur.fetchall()
    ]


async def steps(conn: Connection, job_ids: Sequence[int]) -> list[StepRow]:
    if not job_ids:
        return []
    cur = await conn.execute(query("steps"), {"jobs": list(job_ids)})
    return [
        StepRow(
            id=r[0],
            job_id=r[1],
            name=decode(r[2]),
            kind=decode(r[3]),
            enabled=r[4],
            on_error=decode(r[5]),
        )
        for r in await cur.fetchall()
    ]


async def schedules(conn: Connection, job_id: int) -> list[ScheduleRow]:
    cur = await conn.execute(query("schedules"), {"job": job_id})
    return [ScheduleRow(id=r[0], name=decode(r[1]), enabled=r[2]) for r in await cur.fetchall()]


JobFacts = tuple[str, datetime | None, datetime | None]
"""A job's class name, when it was created and when it was last changed."""


async def job_facts(conn: Connection, job_id: int) -> JobFacts | None:
    """A job's class name, creation and last change; None when there is no such job."""
    cur = await conn.execute(query("job_facts"), {"job": job_id})
    row = await cur.fetchone()
    return (decode(row[0]), row[1], row[2]) if row else None


async def run_now(conn: Connection, job_id: int) -> bool:
    """Ask the agents to run a job at their next poll; False when there is no such job."""
    cur = await conn.execute(query("run_now"), {"job": job_id})
    return await cur.fetchone() is not None


async def set_enabled(conn: Connection, job_id: int, enabled: bool) -> bool:
    """Enable or disable a job; False when there is no such job."""
    cur = await conn.execute(query("set_enabled"), {"job": job_id, "enabled": enabled})
    return await cur.fetchone() is not None


async def agents(conn: Connection) -> list[AgentRow]:
    cur = await conn.execute(query("agents"))
    return [
        AgentRow(pid=r[0], login_time=r[1], host=decode(r[2]), alive=r[3])
        for r in await cur.fetchall()
    ]


async def success_durations(
    conn: Connection, job_ids: Sequence[int], count: int = 20, scan: int = 100
) -> dict[int, list[float]]:
    """Seconds taken by each job's newest successful runs (at most ``count`` of the newest
    ``scan`` runs), newest first; a job without any maps to an empty list."""
    found: dict[int, list[float]] = {job_id: [] for job_id in job_ids}
    if not job_ids:
        return found
    params = {"jobs": list(job_ids), "count": count, "scan": scan}
    cur = await conn.execute(query("success_durations"), params)
    for job_id, duration in await cur.fetchall():
        found[job_id].append(duration)
    return found


async def run(conn: Connection, run_id: int) -> RunRow | None:
    cur = await conn.execute(query("run"), {"run": run_id})
    row = await cur.fetchone()
    return None if row is None else _run(row)


async def step_output(conn: Connection, run_id: int, step_run_id: int) -> tuple[str, int] | None:
    """A step run's whole output, decoded, with its size in bytes as stored."""
    cur = await conn.execute(query("step_output"), {"run": run_id, "step_run": step_run_id})
    row = await cur.fetchone()
    return None if row is None else (decode(row[0]), row[1])


def _run(r: tuple[Any, ...]) -> RunRow:
    return RunRow(id=r[0], job_id=r[1], letter=decode(r[2]), started_at=r[3], duration=r[4])
