"""What changed in the jobs' definitions between two looks."""

from pgagent_live.pgagent.rows import JobRow

_WATCHED = {
    "name": "name",
    "description": "description",
    "enabled": "enabled",
    "host_agent": "host_agent",
    "steps_digest": "steps",
    "schedules_digest": "schedules",
}
"""Fields of a job whose change is announced, with the name ``changes`` uses for each.

``next_run`` is left out: it moves with every run; a schedule edit that moves it shows as
``schedules``. The claim columns belong to runs, not to the definition.
"""


def changes(before: JobRow | None, after: JobRow) -> list[str]:
    """What differs between two versions of a job; ``["created"]`` for a new one."""
    if before is None:
        return ["created"]
    return [
        name for field, name in _WATCHED.items() if getattr(before, field) != getattr(after, field)
    ]


def removed(before: dict[int, JobRow], after: dict[int, JobRow]) -> list[JobRow]:
    return [job for job_id, job in before.items() if job_id not in after]
