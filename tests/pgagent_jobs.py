"""Jobs made by SQL in pgAgent's tables, the way pgAdmin makes them, for tests to run."""

from dataclasses import dataclass
from typing import Literal

import psycopg


@dataclass(frozen=True)
class StepSpec:
    """One step of a job to create; pgAgent runs steps ordered by name."""

    name: str
    kind: Literal["sql", "batch"]
    code: str
    on_error: Literal["f", "s", "i"] = "f"
    enabled: bool = True


_INSERT_JOB = """
INSERT INTO pgagent.pga_job (jobjclid, jobname, jobenabled)
VALUES ((SELECT min(jclid) FROM pgagent.pga_jobclass), %s, %s)
RETURNING jobid
"""

# A SQL step runs in this database; a batch step must leave jstdbname empty.
_INSERT_STEP = """
INSERT INTO pgagent.pga_jobstep
       (jstjobid, jstname, jstenabled, jstkind, jstcode, jstdbname, jstonerror)
VALUES (%s, %s, %s, %s, %s, CASE WHEN %s = 's' THEN current_database() ELSE '' END, %s)
"""


def create_job(conninfo: str, name: str, steps: list[StepSpec], enabled: bool = True) -> int:
    """Create a job without schedule (it runs only when asked to) and return its id."""
    with psycopg.connect(conninfo) as conn:
        row = conn.execute(_INSERT_JOB, (name, enabled)).fetchone()
        assert row is not None
        job_id: int = row[0]

        for step in steps:
            kind = "s" if step.kind == "sql" else "b"
            conn.execute(
                _INSERT_STEP,
                (job_id, step.name, step.enabled, kind, step.code, kind, step.on_error),
            )
    return job_id


def run_job_now(conninfo: str, job_id: int) -> None:
    """Make the job due now: the agent starts it at its next poll."""
    with psycopg.connect(conninfo) as conn:
        conn.execute("UPDATE pgagent.pga_job SET jobnextrun = now() WHERE jobid = %s", (job_id,))
