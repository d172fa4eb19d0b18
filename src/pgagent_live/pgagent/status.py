"""pgAgent's status letters, kept apart for job runs and step runs, and what they truly mean."""

from collections.abc import Iterable
from enum import StrEnum


class JobRunStatus(StrEnum):
    """What a job run (a ``pga_joblog`` row) is, as the product names it.

    The first five come from ``jlgstatus``; the others are what the service finds beyond it.
    """

    RUNNING = "running"
    """``r``: the run has started and not ended, and its agent is alive."""
    SUCCEEDED = "succeeded"
    """``s``: every step that ran succeeded, or the job had no enabled step."""
    FAILED = "failed"
    """``f``: a step failed and its on-error policy stopped the job."""
    INTERNAL_ERROR = "internal_error"
    """``i``: a failure: the agent could not read or log the steps, or lost its claim."""
    ABORTED = "aborted"
    """``d``: the run was left running by an agent that died, and cleaned up later."""
    SUCCEEDED_WITH_WARNINGS = "succeeded_with_warnings"
    """``s``, but a step failed and its on-error policy (succeed or ignore) let the job go on."""
    STUCK = "stuck"
    """``r``, but the agent that holds the job is gone: no result will ever be written."""
    UNKNOWN = "unknown"
    """A letter this version of the service does not know."""

    @classmethod
    def from_letter(cls, letter: str) -> "JobRunStatus":
        try:
            return _JOB_LETTERS[letter]
        except KeyError:
            expected = "a job status letter r, s, f, i or d"
            raise ValueError(f"expected {expected}, found {letter!r}") from None

    @classmethod
    def of(cls, letter: str) -> "JobRunStatus":
        """Like ``from_letter``, but ``UNKNOWN`` for a letter it does not know."""
        return _JOB_LETTERS.get(letter, JobRunStatus.UNKNOWN)

    @property
    def finished(self) -> bool:
        return self not in (JobRunStatus.RUNNING, JobRunStatus.STUCK)


class StepRunStatus(StrEnum):
    """What a step run (a ``pga_jobsteplog`` row) is, as the product names it."""

    RUNNING = "running"
    """``r`` under a running job run: the step has started and its result is not written yet."""
    SUCCEEDED = "succeeded"
    """``s`` with a result that says the step worked."""
    FAILED = "failed"
    """``f``: failed, and the job stops."""
    IGNORED = "ignored"
    """``i``: failed, and on-error = ignore let the job go on."""
    ABORTED = "aborted"
    """``d``: the step was left running by an agent that died, and cleaned up later."""
    FAILED_AS_SUCCESS = "failed_as_success"
    """``s`` with a failing result (SQL -1, batch exit code not 0): on-error = succeed."""
    NOT_RECORDED = "not_recorded"
    """``r`` under a run that has ended: the agent never wrote the step's result."""
    UNKNOWN = "unknown"
    """A letter this version of the service does not know."""

    @classmethod
    def from_letter(cls, letter: str) -> "StepRunStatus":
        try:
            return _STEP_LETTERS[letter]
        except KeyError:
            expected = "a step status letter r, s, f, i or d"
            raise ValueError(f"expected {expected}, found {letter!r}") from None

    @property
    def finished(self) -> bool:
        return self is not StepRunStatus.RUNNING

    @property
    def is_warning(self) -> bool:
        """A step that did not work in a run that went on."""
        return self in _WARNINGS


def step_status(
    letter: str, kind: str | None, result: int | None, *, run_ended: bool = False
) -> StepRunStatus:
    """What a step run truly is, from its letter, its kind (``s`` SQL, ``b`` batch) and result.

    pgAgent stores ``s`` for a step that failed under on-error = succeed; only the result code
    tells: -1 for a SQL step (a good one stores a row count), the exit code for a batch step.
    """
    status = _STEP_LETTERS.get(letter, StepRunStatus.UNKNOWN)
    if status is StepRunStatus.RUNNING and run_ended:
        return StepRunStatus.NOT_RECORDED
    if status is StepRunStatus.SUCCEEDED and _failed_result(kind, result):
        return StepRunStatus.FAILED_AS_SUCCESS
    return status


def run_status(letter: str, steps: Iterable[StepRunStatus]) -> JobRunStatus:
    """What a job run truly is, from its letter and what its step runs truly are.

    A run stored ``s`` in which a step did not work (the job went on) succeeded with warnings.
    """
    status = JobRunStatus.of(letter)
    if status is JobRunStatus.SUCCEEDED and any(step.is_warning for step in steps):
        return JobRunStatus.SUCCEEDED_WITH_WARNINGS
    return status


def _failed_result(kind: str | None, result: int | None) -> bool:
    if result is None:
        return False
    if kind == "b":
        return result != 0
    if kind == "s":
        return result == -1
    return False


_JOB_LETTERS = {
    "r": JobRunStatus.RUNNING,
    "s": JobRunStatus.SUCCEEDED,
    "f": JobRunStatus.FAILED,
    "i": JobRunStatus.INTERNAL_ERROR,
    "d": JobRunStatus.ABORTED,
}

_STEP_LETTERS = {
    "r": StepRunStatus.RUNNING,
    "s": StepRunStatus.SUCCEEDED,
    "f": StepRunStatus.FAILED,
    "i": StepRunStatus.IGNORED,
    "d": StepRunStatus.ABORTED,
}

_WARNINGS = {StepRunStatus.IGNORED, StepRunStatus.FAILED_AS_SUCCESS, StepRunStatus.NOT_RECORDED}
