"""pgAgent's status letters, kept apart for job runs and step runs."""

from enum import StrEnum


class JobRunStatus(StrEnum):
    """What a job run (a ``pga_joblog`` row) is, as the product names it."""

    RUNNING = "running"
    """``r``: the run has started and not ended."""
    SUCCEEDED = "succeeded"
    """``s``: every step succeeded, or the job had no enabled step."""
    FAILED = "failed"
    """``f``: a step failed and its on-error policy stopped the job."""
    INTERNAL_ERROR = "internal_error"
    """``i``: the agent could not read or log the steps, or lost its claim."""
    ABORTED = "aborted"
    """``d``: the run was left running by an agent that died, and cleaned up later."""

    @classmethod
    def from_letter(cls, letter: str) -> "JobRunStatus":
        try:
            return _JOB_LETTERS[letter]
        except KeyError:
            expected = "a job status letter r, s, f, i or d"
            raise ValueError(f"expected {expected}, found {letter!r}") from None

    @property
    def finished(self) -> bool:
        return self is not JobRunStatus.RUNNING


class StepRunStatus(StrEnum):
    """What a step run (a ``pga_jobsteplog`` row) is, as the product names it."""

    RUNNING = "running"
    """``r``: the step has started and its result is not written yet."""
    SUCCEEDED = "succeeded"
    """``s``: succeeded, or failed under on-error = succeed (see the result code)."""
    FAILED = "failed"
    """``f``: failed, and the job stops."""
    IGNORED = "ignored"
    """``i``: failed, and on-error = ignore let the job go on."""
    ABORTED = "aborted"
    """``d``: the step was left running by an agent that died, and cleaned up later."""

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
