"""The tracker turns recorded row sequences into the right events, each once."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from pgagent_live.pgagent.rows import JobRow, RunRow, StepLogRow, StepRow
from pgagent_live.watch.events import ServerRef
from pgagent_live.watch.tracker import GAP_TTL, Look, Tracker

T0 = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
JOB = JobRow(
    id=7,
    name="nightly",
    description="",
    enabled=True,
    host_agent="",
    next_run=None,
    last_claimed=None,
    agent_pid=None,
    agent_host=None,
)
STEPS = [
    StepRow(id=1, job_id=7, name="a extract", kind="s", enabled=True, on_error="f"),
    StepRow(id=2, job_id=7, name="b load", kind="b", enabled=True, on_error="f"),
    StepRow(id=3, job_id=7, name="c off", kind="s", enabled=False, on_error="f"),
]


def run(letter: str, run_id: int = 10, duration: float | None = None) -> RunRow:
    return RunRow(id=run_id, job_id=7, letter=letter, started_at=T0, duration=duration)


def log(
    log_id: int, step_id: int, letter: str, result: int | None = None, output: str = ""
) -> StepLogRow:
    return StepLogRow(
        id=log_id,
        run_id=10,
        step_id=step_id,
        letter=letter,
        result=result,
        started_at=T0 + timedelta(seconds=log_id),
        duration=None if letter == "r" else 0.5,
        output=output,
        output_size=len(output.encode()),
    )


def look(runs: list[RunRow], logs: list[StepLogRow], seconds: float = 0) -> Look:
    return Look(
        now=T0 + timedelta(seconds=seconds), jobs=[JOB], runs=runs, step_logs=logs, steps=STEPS
    )


def fresh() -> Tracker:
    tracker = Tracker(ServerRef(id="main", name="main"))
    tracker.seed(T0, [JOB], [], [], [], watermark=9)
    return tracker


def test_a_run_seen_whole_in_one_look_yields_every_event_in_order() -> None:
    tracker = fresh()

    events = tracker.apply(
        look([run("s", duration=2.0)], [log(100, 1, "s", 1), log(101, 2, "s", 0)])
    )

    assert [e["type"] for e in events] == [
        "job_started",
        "step_started",
        "step_finished",
        "job_progress",
        "step_started",
        "step_finished",
        "job_progress",
        "job_succeeded",
    ]
    finished = [e for e in events if e["type"] == "step_finished"]
    assert [(e["step"]["name"], e["step"]["position"], e["step"]["total"]) for e in finished] == [
        ("a extract", 1, 2),
        ("b load", 2, 2),
    ]
    assert finished[1]["step"]["kind"] == "batch"
    assert events[-1]["run"]["duration"] == 2.0
    assert events[-1]["occurred_at"] == (T0 + timedelta(seconds=2)).isoformat()


def test_a_run_seen_in_several_looks_yields_each_transition_once() -> None:
    tracker = fresh()

    first = tracker.apply(look([run("r")], [log(100, 1, "r")]))
    again = tracker.apply(look([run("r")], [log(100, 1, "r")]))
    second = tracker.apply(look([run("r")], [log(100, 1, "s", 1), log(101, 2, "r")]))
    third = tracker.apply(look([run("s", duration=3.0)], [log(101, 2, "s", 0)]))

    assert [e["type"] for e in first] == ["job_started", "step_started"]
    assert again == []
    assert [e["type"] for e in second] == [
        "step_finished",
        "job_progress",
        "step_started",
    ]
    assert second[1]["progress"]["done"] == 1
    assert second[1]["progress"]["total"] == 2
    assert [e["type"] for e in third] == ["step_finished", "job_progress", "job_succeeded"]
    assert third[1]["progress"]["done"] == 2
    assert tracker.open_run_ids() == []


def test_a_failed_run_carries_the_failing_step_and_its_error() -> None:
    tracker = fresh()

    events = tracker.apply(
        look([run("f", duration=1.0)], [log(100, 1, "f", -1, 'relation "nope" does not exist')])
    )

    final = events[-1]
    assert final["type"] == "job_failed"
    assert final["run"]["status"] == "failed"
    assert final["step"]["result"] == -1
    assert final["step"]["status"] == "failed"
    assert final.get("error") == 'relation "nope" does not exist'


def test_internal_failure_and_abort_map_to_their_events() -> None:
    tracker = fresh()

    internal = tracker.apply(look([run("i", duration=0.1)], []))
    aborted = tracker.apply(look([run("d", run_id=11)], [], seconds=30))

    assert [e["type"] for e in internal] == ["job_started", "job_failed"]
    assert internal[-1]["run"]["status"] == "internal_error"
    assert aborted[-1]["type"] == "job_aborted"
    assert aborted[-1]["run"]["duration"] is None
    assert aborted[-1]["occurred_at"] == (T0 + timedelta(seconds=30)).isoformat()


def test_a_run_open_at_start_is_followed_without_a_second_start() -> None:
    tracker = Tracker(ServerRef(id="main", name="main"))
    tracker.seed(T0, [JOB], [run("r")], [log(100, 1, "r")], STEPS, watermark=10)

    events = tracker.apply(look([run("s", duration=1.0)], [log(100, 1, "s", 1)]))

    assert [e["type"] for e in events] == ["step_finished", "job_progress", "job_succeeded"]


def test_a_run_committed_late_below_the_watermark_is_still_seen() -> None:
    tracker = fresh()
    tracker.apply(look([run("s", run_id=12, duration=1.0)], []))

    assert tracker.watermark == 12
    assert tracker.open_run_ids() == [10, 11]

    late = tracker.apply(look([run("s", run_id=11, duration=1.0)], [], seconds=5))

    assert [e["type"] for e in late] == ["job_started", "job_succeeded"]
    assert tracker.open_run_ids() == [10]


def test_a_skipped_run_id_is_forgotten_after_a_while() -> None:
    tracker = fresh()
    tracker.apply(look([run("s", run_id=11, duration=1.0)], []))

    tracker.apply(look([], [], seconds=GAP_TTL.total_seconds() + 1))

    assert tracker.open_run_ids() == []


def test_a_run_whose_job_was_deleted_vanishes_quietly() -> None:
    tracker = fresh()
    tracker.apply(look([run("r")], []))

    events = tracker.apply(Look(now=T0, jobs=[], runs=[], step_logs=[], steps=[]))

    assert events == []
    assert tracker.open_run_ids() == []
    assert tracker.job_states() == []


def test_job_state_shows_the_open_run_with_its_progress() -> None:
    tracker = fresh()
    tracker.apply(look([run("r")], [log(100, 1, "s", 1), log(101, 2, "r")]))

    state = tracker.job_state(7)

    assert state is not None
    assert state["status"] == "running"
    assert state["last_run"] is not None
    assert (state["last_run"]["steps_done"], state["last_run"]["steps_total"]) == (1, 2)


def test_a_renamed_job_is_named_anew_in_later_events() -> None:
    tracker = fresh()
    tracker.apply(look([run("r")], []))

    renamed = replace(JOB, name="nightly v2")
    events = tracker.apply(
        Look(now=T0, jobs=[renamed], runs=[run("s", duration=1.0)], step_logs=[], steps=[])
    )

    assert events[-1]["job"]["name"] == "nightly v2"
