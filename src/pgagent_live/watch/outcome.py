"""What a run and its steps truly came to: step statuses, warnings and reasons from the rows."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from pgagent_live.pgagent.rows import RunRow, StepLogRow, StepRow
from pgagent_live.pgagent.status import JobRunStatus, StepRunStatus, step_status
from pgagent_live.watch.events import (
    OUTPUT_EXCERPT_BYTES,
    RunWarning,
    StepRef,
    excerpt,
    first_line,
)

CLOCK_TOLERANCE = 1.0
"""Seconds a start may lie after the look's ``now()`` before it counts as a clock anomaly:
a look's ``now()`` is taken just before the snapshot that shows the row."""


@dataclass(slots=True)
class Outcome:
    """A finished run as the service shows it."""

    status: JobRunStatus
    duration: float | None
    warnings: list[RunWarning] = field(default_factory=list)
    reason: str | None = None
    message: str | None = None
    clock_anomaly: bool = False


def step_of(
    log: StepLogRow,
    *,
    position: int,
    total: int,
    run_ended: bool,
    steps: Mapping[int, StepRow] | None = None,
) -> StepRef:
    """A step run as events carry it."""
    definition = (steps or {}).get(log.step_id)
    kind = log.kind or (definition.kind if definition else None)
    name = log.name or (definition.name if definition else f"step {log.step_id}")
    status = step_status(log.letter, kind, log.result, run_ended=run_ended)
    duration, anomaly = checked_duration(log.duration)
    output = excerpt(log.output)
    ref = StepRef(
        id=log.step_id,
        run_id=log.id,
        name=name,
        kind="batch" if kind == "b" else "sql",
        status=status.value,
        result=log.result,
        position=position,
        total=max(total, position),
        started_at=log.started_at.isoformat(),
        duration=duration,
        output=output,
        output_size=log.output_size,
    )
    if log.output_size > len(output.encode("utf-8")) or log.output_size > OUTPUT_EXCERPT_BYTES:
        ref["output_truncated"] = True
    if anomaly:
        ref["clock_anomaly"] = True
    return ref


def warnings_of(
    logs: Iterable[StepLogRow], *, run_ended: bool, steps: Mapping[int, StepRow] | None = None
) -> list[RunWarning]:
    """The steps of a run that did not work although the run went on, in the order they ran."""
    found = []
    for log in sorted(logs, key=lambda log: log.id):
        definition = (steps or {}).get(log.step_id)
        kind = log.kind or (definition.kind if definition else None)
        status = step_status(log.letter, kind, log.result, run_ended=run_ended)
        if not status.is_warning:
            continue
        found.append(
            RunWarning(
                step_id=log.step_id,
                step_run_id=log.id,
                name=log.name or (definition.name if definition else f"step {log.step_id}"),
                status=status.value,
                result=log.result,
                message=_warning_message(status, kind, log),
            )
        )
    return found


def outcome_of(run: RunRow, logs: list[StepLogRow], steps: Mapping[int, StepRow]) -> Outcome:
    """What a finished run came to, from its row and all its step rows."""
    status = JobRunStatus.of(run.letter)
    warnings = warnings_of(logs, run_ended=True, steps=steps)
    if status is JobRunStatus.SUCCEEDED and warnings:
        status = JobRunStatus.SUCCEEDED_WITH_WARNINGS

    duration, anomaly = checked_duration(run.duration)
    if status is JobRunStatus.ABORTED:
        # Clean-up leaves the duration NULL: how long the run really took is not known.
        duration = None
    outcome = Outcome(status=status, duration=duration, warnings=warnings, clock_anomaly=anomaly)
    outcome.reason, outcome.message = _reason(status, bool(logs))
    return outcome


def checked_duration(duration: float | None) -> tuple[float | None, bool]:
    """A stored duration, or None with the anomaly flag when it is negative."""
    if duration is not None and duration < 0:
        return None, True
    return duration, False


def elapsed(started_at: datetime, now: datetime) -> float | None:
    """Seconds since a start by the database clock; None when the start lies in the future."""
    seconds = (now - started_at).total_seconds()
    if seconds < -CLOCK_TOLERANCE:
        return None
    return max(seconds, 0.0)


def _reason(status: JobRunStatus, has_steps: bool) -> tuple[str | None, str | None]:
    if status is JobRunStatus.ABORTED:
        return "agent_lost", "the agent running it died; a later agent marked the run aborted"
    if has_steps:
        return None, None
    if status is JobRunStatus.SUCCEEDED:
        return "no_enabled_steps", "the job had no enabled step, which pgAgent counts a success"
    if status in (JobRunStatus.INTERNAL_ERROR, JobRunStatus.FAILED):
        return "steps_not_run", "the agent could not read or log the steps, or lost its claim"
    return None, None


def _warning_message(status: StepRunStatus, kind: str | None, log: StepLogRow) -> str:
    said = first_line(log.output)
    if status is StepRunStatus.NOT_RECORDED:
        return "the agent never wrote this step's result"
    if status is StepRunStatus.FAILED_AS_SUCCESS:
        what = f"exit code {log.result}" if kind == "b" else "the SQL failed"
        text = f"{what}; on-error = succeed counted it as a success"
    else:
        what = f"exit code {log.result}" if kind == "b" else "failed"
        text = f"{what}; on-error = ignore let the job go on"
    return f"{text}: {said}" if said else text
