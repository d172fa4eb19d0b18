"""pgAgent's letters map to two separate status models, and results refine step letters."""

import pytest

from pgagent_live.pgagent.status import JobRunStatus, StepRunStatus, run_status, step_status


@pytest.mark.parametrize(
    ("letter", "status"),
    [
        ("r", JobRunStatus.RUNNING),
        ("s", JobRunStatus.SUCCEEDED),
        ("f", JobRunStatus.FAILED),
        ("i", JobRunStatus.INTERNAL_ERROR),
        ("d", JobRunStatus.ABORTED),
    ],
)
def test_job_letters(letter: str, status: JobRunStatus) -> None:
    assert JobRunStatus.from_letter(letter) is status
    assert JobRunStatus.of(letter) is status


@pytest.mark.parametrize(
    ("letter", "status"),
    [
        ("r", StepRunStatus.RUNNING),
        ("s", StepRunStatus.SUCCEEDED),
        ("f", StepRunStatus.FAILED),
        ("i", StepRunStatus.IGNORED),
        ("d", StepRunStatus.ABORTED),
    ],
)
def test_step_letters(letter: str, status: StepRunStatus) -> None:
    assert StepRunStatus.from_letter(letter) is status


def test_the_same_letter_means_a_failure_for_a_job_and_a_let_through_for_a_step() -> None:
    assert JobRunStatus.from_letter("i") is JobRunStatus.INTERNAL_ERROR
    assert StepRunStatus.from_letter("i") is StepRunStatus.IGNORED
    assert StepRunStatus.IGNORED.is_warning
    assert JobRunStatus.INTERNAL_ERROR.finished


@pytest.mark.parametrize(
    ("letter", "kind", "result", "expected"),
    [
        ("s", "s", 1, StepRunStatus.SUCCEEDED),
        ("s", "s", 5, StepRunStatus.SUCCEEDED),
        ("s", "s", 0, StepRunStatus.SUCCEEDED),
        ("s", "s", -1, StepRunStatus.FAILED_AS_SUCCESS),
        ("s", "b", 0, StepRunStatus.SUCCEEDED),
        ("s", "b", 3, StepRunStatus.FAILED_AS_SUCCESS),
        ("s", "b", -1, StepRunStatus.FAILED_AS_SUCCESS),
        ("s", None, -1, StepRunStatus.SUCCEEDED),
        ("s", "s", None, StepRunStatus.SUCCEEDED),
        ("i", "s", -1, StepRunStatus.IGNORED),
        ("f", "b", 2, StepRunStatus.FAILED),
        ("d", "s", None, StepRunStatus.ABORTED),
        ("r", "s", None, StepRunStatus.RUNNING),
        ("x", "s", None, StepRunStatus.UNKNOWN),
    ],
)
def test_step_status_reads_the_result_code(
    letter: str, kind: str | None, result: int | None, expected: StepRunStatus
) -> None:
    assert step_status(letter, kind, result) is expected


def test_a_running_step_under_an_ended_run_is_not_recorded() -> None:
    assert step_status("r", "s", None, run_ended=True) is StepRunStatus.NOT_RECORDED
    assert StepRunStatus.NOT_RECORDED.finished
    assert step_status("s", "s", 1, run_ended=True) is StepRunStatus.SUCCEEDED


@pytest.mark.parametrize("letter", ["", "R", "x", "ss"])
def test_an_unknown_letter_is_refused_strictly_and_named_leniently(letter: str) -> None:
    with pytest.raises(ValueError, match="expected a job status letter"):
        JobRunStatus.from_letter(letter)
    with pytest.raises(ValueError, match="expected a step status letter"):
        StepRunStatus.from_letter(letter)
    assert JobRunStatus.of(letter) is JobRunStatus.UNKNOWN


def test_only_stuck_and_running_runs_are_unfinished() -> None:
    assert {s for s in JobRunStatus if not s.finished} == {
        JobRunStatus.RUNNING,
        JobRunStatus.STUCK,
    }


def test_a_run_that_went_on_past_a_failing_step_succeeded_with_warnings() -> None:
    ok, ignored = StepRunStatus.SUCCEEDED, StepRunStatus.IGNORED
    assert run_status("s", [ok, ok]) is JobRunStatus.SUCCEEDED
    assert run_status("s", [ok, ignored]) is JobRunStatus.SUCCEEDED_WITH_WARNINGS
    assert run_status("s", [StepRunStatus.FAILED_AS_SUCCESS]) is (
        JobRunStatus.SUCCEEDED_WITH_WARNINGS
    )
    assert run_status("f", [ignored, StepRunStatus.FAILED]) is JobRunStatus.FAILED
    assert run_status("x", []) is JobRunStatus.UNKNOWN
