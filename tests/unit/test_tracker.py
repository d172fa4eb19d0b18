"""The tracker turns recorded row sequences into the right events, each once."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from pgagent_live.pgagent.rows import AgentRow, JobRow, RunRow, StepLogRow, StepRow
from pgagent_live.watch.alerts import Thresholds
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
    last_claimed=T0,
    agent_pid=500,
    agent_host="db1",
    steps_enabled=2,
)
IDLE = replace(JOB, last_claimed=None, agent_pid=None, agent_host=None)
AGENT = AgentRow(pid=500, host="db1", login_time=T0 - timedelta(days=1), alive=True)
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


def look(
    runs: list[RunRow],
    logs: list[StepLogRow],
    seconds: float = 0,
    *,
    job: JobRow = JOB,
    agents: list[AgentRow] | None = None,
    history: dict[int, list[float]] | None = None,
) -> Look:
    """A look where the job is claimed by a live agent while any run is open."""
    if all(r.letter != "r" for r in runs) and job is JOB:
        job = IDLE
    return Look(
        now=T0 + timedelta(seconds=seconds),
        jobs=[job],
        runs=runs,
        step_logs=logs,
        steps=STEPS,
        agents=[AGENT] if agents is None else agents,
        history=history or {},
    )


def fresh(limits: Thresholds | None = None) -> Tracker:
    tracker = Tracker(ServerRef(id="main", name="main"), limits)
    tracker.seed(T0, [IDLE], [], [], [], watermark=9, agents=[AGENT])
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
    tracker.seed(T0, [JOB], [run("r")], [log(100, 1, "r")], STEPS, watermark=10, agents=[AGENT])

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


def test_a_run_whose_job_was_deleted_ends_with_job_removed_only() -> None:
    tracker = fresh()
    tracker.apply(look([run("r")], []))

    events = tracker.apply(Look(now=T0, jobs=[], runs=[], step_logs=[], agents=[AGENT]))

    assert [e["type"] for e in events] == ["job_removed"]
    assert events[0]["job"]["id"] == 7
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

    renamed = replace(IDLE, name="nightly v2")
    events = tracker.apply(
        Look(now=T0, jobs=[renamed], runs=[run("s", duration=1.0)], step_logs=[], agents=[AGENT])
    )

    assert events[0]["type"] == "job_changed"
    assert events[0]["changes"] == ["name"]
    assert events[-1]["job"]["name"] == "nightly v2"


def test_a_finished_run_carries_the_next_run_of_its_job() -> None:
    tracker = fresh()
    tracker.apply(look([run("r")], []))

    due = replace(IDLE, next_run=T0 + timedelta(minutes=1))
    events = tracker.apply(look([run("s", duration=1.0)], [], job=due))

    final = events[-1]
    assert final["type"] == "job_succeeded"
    assert "state" in final
    assert final["state"]["next_run"] == (T0 + timedelta(minutes=1)).isoformat()
    assert final["state"]["last_run"] is not None
    assert final["state"]["last_run"]["status"] == "succeeded"


def sql_log(log_id: int, letter: str, result: int | None, output: str = "") -> StepLogRow:
    return replace(log(log_id, 1, letter, result, output), name="a extract", kind="s")


def batch_log(log_id: int, letter: str, result: int | None, output: str = "") -> StepLogRow:
    return replace(log(log_id, 2, letter, result, output), name="b load", kind="b")


def test_a_good_sql_step_touching_rows_gives_no_warning() -> None:
    events = fresh().apply(look([run("s", duration=1.0)], [sql_log(100, "s", 5)]))

    assert events[-1]["run"]["status"] == "succeeded"
    assert "warnings" not in events[-1]
    assert events[2]["step"]["status"] == "succeeded"


def test_steps_let_through_by_their_on_error_policy_make_warnings() -> None:
    tracker = fresh()

    events = tracker.apply(
        look(
            [run("s", duration=1.0)],
            [
                sql_log(100, "s", -1, 'ERROR:  relation "nope" does not exist'),
                batch_log(101, "s", 3),
                batch_log(102, "i", 4, "disk full"),
            ],
        )
    )

    final = events[-1]
    assert final["type"] == "job_succeeded"
    assert final["run"]["status"] == "succeeded_with_warnings"
    warnings = final["warnings"]
    assert [(w["step_run_id"], w["status"], w["result"]) for w in warnings] == [
        (100, "failed_as_success", -1),
        (101, "failed_as_success", 3),
        (102, "ignored", 4),
    ]
    assert "does not exist" in warnings[0]["message"]
    assert "exit code 3" in warnings[1]["message"]
    finished = [e["step"]["status"] for e in events if e["type"] == "step_finished"]
    assert finished == ["failed_as_success", "failed_as_success", "ignored"]

    state = tracker.job_state(7)
    assert state is not None
    assert state["status"] == "succeeded_with_warnings"
    assert state["last_run"] is not None
    assert state["last_run"].get("warnings") == warnings


def test_a_run_without_step_rows_says_why() -> None:
    tracker = fresh()

    succeeded = tracker.apply(look([run("s", duration=0.0)], []))
    failed = tracker.apply(look([run("i", run_id=11, duration=0.0)], []))

    assert succeeded[-1]["reason"] == "no_enabled_steps"
    assert succeeded[-1]["run"]["status"] == "succeeded"
    assert failed[-1]["type"] == "job_failed"
    assert failed[-1]["run"]["status"] == "internal_error"
    assert failed[-1]["reason"] == "steps_not_run"


def test_a_run_whose_agent_died_is_stuck_once_then_aborted_once() -> None:
    tracker = fresh()
    dead = replace(AGENT, alive=False)
    tracker.apply(look([run("r")], [sql_log(100, "r", None)]))

    lost = tracker.apply(look([run("r")], [sql_log(100, "r", None)], 1, agents=[dead]))
    again = tracker.apply(look([run("r")], [sql_log(100, "r", None)], 2, agents=[dead]))
    state = tracker.job_state(7)
    aborted_run = run("d")
    aborted = tracker.apply(look([aborted_run], [sql_log(100, "d", None)], 60, job=IDLE, agents=[]))

    assert [e["type"] for e in lost] == ["agent_offline", "job_stuck"]
    assert lost[1]["reason"] == "agent_lost"
    assert lost[1]["run"]["status"] == "stuck"
    assert again == []
    assert state is not None
    assert state["status"] == "stuck"
    alert = state.get("alert")
    assert alert is not None
    assert alert["reason"] == "agent_lost"
    assert [e["type"] for e in aborted] == ["step_finished", "job_progress", "job_aborted"]
    assert aborted[0]["step"]["status"] == "aborted"
    assert aborted[-1]["run"]["duration"] is None
    assert aborted[-1]["reason"] == "agent_lost"
    assert tracker.job_states()[0]["status"] == "aborted"


def test_a_step_left_running_under_an_ended_run_is_not_recorded() -> None:
    tracker = fresh()
    tracker.apply(look([run("r")], [sql_log(100, "r", None)]))

    events = tracker.apply(look([run("f", duration=2.0)], [sql_log(100, "r", None)], 3))

    assert [e["type"] for e in events] == ["step_finished", "job_failed"]
    assert events[0]["step"]["status"] == "not_recorded"
    state = tracker.job_state(7)
    assert state is not None
    assert state["status"] == "failed"
    assert tracker.open_run_ids() == []


def test_a_claim_without_a_run_is_stuck_after_the_grace_period_once() -> None:
    tracker = fresh(Thresholds(claim_grace=30))
    claimed = replace(JOB, last_claimed=T0)

    early = tracker.apply(look([], [], 10, job=claimed))
    late = tracker.apply(look([], [], 31, job=claimed))
    later = tracker.apply(look([], [], 40, job=claimed))
    state = tracker.job_state(7)

    assert early == []
    assert [e["type"] for e in late] == ["job_stuck"]
    assert late[0]["reason"] == "claim_without_run"
    assert "run" not in late[0]
    assert later == []
    assert state is not None
    assert state["status"] == "stuck"


@pytest.mark.parametrize(
    ("host", "agents", "reason", "live_hosts"),
    [
        ("", [], "no_live_agent", []),
        ("", [replace(AGENT, alive=False)], "no_live_agent", []),
        ("elsewhere", [AGENT], "host_not_live", ["db1"]),
        ("db1", [AGENT], "unknown", ["db1"]),
    ],
)
def test_an_overdue_job_names_the_reason_once(
    host: str, agents: list[AgentRow], reason: str, live_hosts: list[str]
) -> None:
    tracker = fresh(Thresholds(overdue_grace=60))
    due = replace(IDLE, next_run=T0, host_agent=host)

    early = tracker.apply(look([], [], 59, job=due, agents=agents))
    late = tracker.apply(look([], [], 61, job=due, agents=agents))
    later = tracker.apply(look([], [], 90, job=due, agents=agents))

    assert [e for e in early if e["type"] == "job_overdue"] == []
    overdue = [e for e in late if e["type"] == "job_overdue"]
    assert len(overdue) == 1
    assert overdue[0]["reason"] == reason
    assert overdue[0]["live_hosts"] == live_hosts
    assert [e for e in later if e["type"] == "job_overdue"] == []
    assert tracker.job_states()[0]["status"] == "overdue"


def test_a_disabled_job_is_never_overdue() -> None:
    tracker = fresh()
    off = replace(IDLE, next_run=T0, enabled=False)
    tracker.apply(look([], [], 1, job=off))

    events = tracker.apply(look([], [], 600, job=off))

    assert events == []


def test_a_run_far_longer_than_its_history_is_long_running_once() -> None:
    tracker = fresh(Thresholds(long_running_factor=3, long_running_min_excess=60))
    history = {7: [10.0, 10.0, 12.0]}
    tracker.apply(look([run("r")], [], 0, history=history))

    short = tracker.apply(look([run("r")], [], 69))
    long = tracker.apply(look([run("r")], [], 71))
    again = tracker.apply(look([run("r")], [], 80))

    assert short == []
    assert [e["type"] for e in long] == ["job_long_running"]
    assert long[0]["progress"]["expected"] == 10.0
    assert long[0]["progress"]["elapsed"] == 71.0
    assert again == []


def test_progress_counts_the_steps_that_will_run_and_expects_the_median() -> None:
    tracker = fresh()

    events = tracker.apply(
        look([run("r")], [sql_log(100, "s", 1)], 5, history={7: [4.0, 6.0, 100.0]})
    )

    progress = next(e for e in events if e["type"] == "job_progress")["progress"]
    assert (progress["done"], progress["total"]) == (1, 2)
    assert progress["expected"] == 6.0
    assert progress["elapsed"] == 100.5


def test_definitions_created_changed_and_removed_are_announced() -> None:
    tracker = fresh()
    other = replace(IDLE, id=8, name="new job")

    created = tracker.apply(Look(now=T0, jobs=[IDLE, other], runs=[], step_logs=[], agents=[AGENT]))
    edited = tracker.apply(
        Look(
            now=T0,
            jobs=[replace(IDLE, enabled=False, steps_digest="x"), other],
            runs=[],
            step_logs=[],
            agents=[AGENT],
        )
    )
    deleted = tracker.apply(Look(now=T0, jobs=[other], runs=[], step_logs=[], agents=[AGENT]))

    assert [(e["type"], e.get("changes")) for e in created] == [("job_changed", ["created"])]
    assert created[0]["state"]["name"] == "new job"
    assert [(e["type"], e.get("changes")) for e in edited] == [
        ("job_changed", ["enabled", "steps"])
    ]
    assert edited[0]["job"]["enabled"] is False
    assert [(e["type"], e["job"]["id"]) for e in deleted] == [("job_removed", 7)]
    assert [job["id"] for job in tracker.job_states()] == [8]


def test_agents_coming_and_going_are_announced() -> None:
    tracker = fresh()
    newcomer = AgentRow(pid=600, host="db2", login_time=T0, alive=True)

    online = tracker.apply(look([], [], 1, agents=[AGENT, newcomer]))
    offline = tracker.apply(look([], [], 2, agents=[AGENT]))

    assert [(e["type"], e["agent"]["pid"]) for e in online] == [("agent_online", 600)]
    assert [(e["type"], e["agent"]["alive"]) for e in offline] == [("agent_offline", False)]
    assert "job" not in online[0]
    assert [a["pid"] for a in tracker.agent_refs()] == [500]


def test_a_run_starting_in_the_future_is_a_clock_anomaly_never_a_negative_number() -> None:
    tracker = fresh()
    future = replace(run("r"), started_at=T0 + timedelta(hours=1))

    started = tracker.apply(look([future], [sql_log(100, "s", 1)]))
    ended = tracker.apply(look([replace(future, letter="s", duration=-5.0)], [], 1))

    assert started[0]["run"].get("clock_anomaly") is True
    progress = next(e for e in started if e["type"] == "job_progress")["progress"]
    assert progress["elapsed"] is None
    assert ended[-1]["run"]["duration"] is None
    assert ended[-1]["run"].get("clock_anomaly") is True


def test_an_unknown_letter_does_not_break_the_tracker() -> None:
    tracker = fresh()

    events = tracker.apply(look([run("x", duration=1.0)], [sql_log(100, "x", None)]))

    assert events[-1]["run"]["status"] == "unknown"
    assert tracker.job_states()[0]["status"] == "unknown"


def test_a_definition_read_elsewhere_does_not_hide_its_change_from_the_next_look() -> None:
    tracker = fresh()
    renamed = replace(IDLE, name="renamed")

    shown = tracker.state_of(renamed)
    events = tracker.apply(look([], [], 1, job=renamed))

    assert shown["name"] == "renamed"
    assert [(e["type"], e.get("changes")) for e in events] == [("job_changed", ["name"])]


def test_time_alone_needs_looks_while_a_run_is_open_or_a_job_comes_due() -> None:
    tracker = fresh(Thresholds(overdue_grace=60))
    assert not tracker.needs_clock(30)

    tracker.apply(look([run("r")], []))
    assert tracker.needs_clock(30)

    tracker.apply(look([run("s", duration=1.0)], [], 1))
    assert not tracker.needs_clock(30)

    due = replace(IDLE, next_run=T0 + timedelta(seconds=10))
    tracker.apply(look([], [], 2, job=due))
    assert not tracker.needs_clock(30)
    assert tracker.needs_clock(70)

    tracker.apply(look([], [], 71, job=due, agents=[]))
    assert not tracker.needs_clock(70)
