"""The runs that finished since a time: what a client that was away has missed."""

from datetime import datetime
from typing import Any

from pgagent_live.pgagent.queries import query
from pgagent_live.pgagent.reads import Connection
from pgagent_live.pgagent.status import JobRunStatus
from pgagent_live.pgagent.text import decode

PER_JOB = 50
"""Runs of each job looked at, newest first: a job that ran more often while the client was
away shows its newest runs only."""

LIMIT = 500
"""Runs in one summary at most, newest first."""


async def finished_since(
    conn: Connection, since: datetime, per_job: int = PER_JOB, limit: int = LIMIT
) -> list[dict[str, Any]]:
    """Each run that ended after ``since``, as ``{job: {id, name}, run: {...}}``.

    ``since`` is the time of the last event a client saw: runs that ended at that very
    instant are taken as seen."""
    params = {"since": since, "per_job": per_job, "limit": limit}
    cur = await conn.execute(query("finished_since"), params)
    return [
        {
            "job": {"id": job_id, "name": decode(name)},
            "run": {
                "id": run_id,
                "status": JobRunStatus.of(decode(letter)).value,
                "started_at": started.isoformat(),
                "duration": duration,
            },
        }
        for run_id, job_id, name, letter, started, duration in await cur.fetchall()
    ]
