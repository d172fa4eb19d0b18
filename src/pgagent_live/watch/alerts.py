"""Conditions of a job that no status letter shows: stuck claims, overdue and long runs."""

import statistics
from dataclasses import dataclass
from datetime import datetime

from pgagent_live.pgagent.rows import JobRow
from pgagent_live.watch.events import EventType

HISTORY_RUNS = 20
"""How many of a job's newest successful runs its expected duration is taken from."""


@dataclass(frozen=True, slots=True)
class Thresholds:
    """When a condition becomes worth announcing; see the settings of the same names."""

    claim_grace: float = 30.0
    """Seconds a job may stay claimed by an agent without a run row."""
    overdue_grace: float = 60.0
    """Seconds a job's next run may lie in the past with no run started."""
    long_running_factor: float = 3.0
    """A run is long when it takes more than this many times its job's median."""
    long_running_min_excess: float = 60.0
    """... and at least this many seconds more than the median."""


@dataclass(frozen=True, slots=True)
class Finding:
    """One condition found; ``key`` tells one occurrence from the next, so each is told once."""

    type: EventType
    reason: str
    message: str
    since: datetime
    key: tuple[object, ...]
    live_hosts: tuple[str, ...] | None = None


def claim_without_run(job: JobRow, now: datetime, limits: Thresholds) -> Finding | None:
    """A job an agent claimed without starting a run, for longer than the grace period."""
    if job.agent_pid is None or job.last_claimed is None:
        return None
    if (now - job.last_claimed).total_seconds() <= limits.claim_grace:
        return None
    host = f" on {job.agent_host}" if job.agent_host else ""
    return Finding(
        type="job_stuck",
        reason="claim_without_run",
        message=f"agent {job.agent_pid}{host} claimed the job but no run row followed",
        since=job.last_claimed,
        key=("claim", job.last_claimed, job.agent_pid),
    )


def overdue(
    job: JobRow, now: datetime, limits: Thresholds, live_hosts: list[str]
) -> Finding | None:
    """An enabled, unclaimed job whose next run is past by more than the grace period."""
    if not job.enabled or job.next_run is None or job.agent_pid is not None:
        return None
    if (now - job.next_run).total_seconds() <= limits.overdue_grace:
        return None

    if not live_hosts:
        reason, message = "no_live_agent", "no live pgAgent is connected to this database"
    elif job.host_agent and job.host_agent not in live_hosts:
        reason = "host_not_live"
        message = f"the job runs only on host {job.host_agent!r}, which no live agent reports"
    else:
        reason, message = "unknown", "live agents can run it, but none has started it"
    return Finding(
        type="job_overdue",
        reason=reason,
        message=message,
        since=job.next_run,
        key=("overdue", job.next_run, reason),
        live_hosts=tuple(live_hosts),
    )


def expected_duration(history: list[float]) -> float | None:
    """The median of a job's recent successful durations; None without any."""
    recent = history[:HISTORY_RUNS]
    return statistics.median(recent) if recent else None


def long_running(elapsed: float | None, expected: float | None, limits: Thresholds) -> bool:
    """Whether a run has taken far longer than its job's recent successful runs."""
    if elapsed is None or expected is None:
        return False
    return (
        elapsed > limits.long_running_factor * expected
        and elapsed - expected >= limits.long_running_min_excess
    )
