"""The tracker: turns what a look at pgAgent's tables found into events, each exactly once."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from pgagent_live.pgagent.rows import AgentRow, JobRow, RunRow, StepLogRow, StepRow
from pgagent_live.pgagent.status import JobRunStatus
from pgagent_live.watch import alerts, definitions
from pgagent_live.watch.agents import AgentBook
from pgagent_live.watch.alerts import Finding, Thresholds
from pgagent_live.watch.events import (
    AgentRef,
    Event,
    EventType,
    JobAlert,
    JobRef,
    JobState,
    LastRun,
    Progress,
    RunRef,
    ServerRef,
    StepRef,
)
from pgagent_live.watch.outcome import (
    CLOCK_TOLERANCE,
    Outcome,
    checked_duration,
    elapsed,
    outcome_of,
    step_of,
)

GAP_TTL = timedelta(seconds=60)
"""How long a run id skipped by the sequence is still looked for.

Ids are taken at INSERT and become visible at COMMIT, so a run of a slower transaction can
appear below the watermark after a newer one; an id that never appears was rolled back.
"""

MAX_GAPS = 1000

_FINAL_EVENT: dict[JobRunStatus, EventType] = {
    JobRunStatus.SUCCEEDED: "job_succeeded",
    JobRunStatus.SUCCEEDED_WITH_WARNINGS: "job_succeeded",
    JobRunStatus.FAILED: "job_failed",
    JobRunStatus.INTERNAL_ERROR: "job_failed",
    JobRunStatus.ABORTED: "job_aborted",
    JobRunStatus.UNKNOWN: "job_failed",
}


@dataclass(slots=True)
class Look:
    """What one look at a server's tables found, read in one snapshot."""

    now: datetime
    jobs: list[JobRow]
    runs: list[RunRow]
    step_logs: list[StepLogRow]
    steps: list[StepRow] = field(default_factory=list)
    """Step definitions, for step runs read without their step's name and kind."""
    agents: list[AgentRow] = field(default_factory=list)
    history: dict[int, list[float]] = field(default_factory=dict)
    """Durations of recent successful runs, newest first, of the jobs ``history_wanted`` named."""


@dataclass(slots=True)
class _OpenRun:
    row: RunRow
    job_name: str
    steps_total: int
    agent_host: str | None
    seen: dict[int, StepLogRow] = field(default_factory=dict)
    """Step run id to the last row seen, in the order the steps ran."""
    stuck: Finding | None = None
    long_running: Finding | None = None
    clock_anomaly: bool = False

    @property
    def steps_done(self) -> int:
        return sum(1 for log in self.seen.values() if log.letter != "r")

    def position(self, log_id: int) -> int:
        return list(self.seen).index(log_id) + 1


class Tracker:
    """The last known state of one server's jobs, agents and open runs."""

    def __init__(self, server: ServerRef, limits: Thresholds | None = None) -> None:
        self.server = server
        self.limits = limits or Thresholds()
        self.watermark = 0
        self.jobs: dict[int, JobRow] = {}
        self.last_runs: dict[int, RunRow] = {}
        self.agents = AgentBook(server)
        self._open: dict[int, _OpenRun] = {}
        self._outcomes: dict[int, Outcome] = {}
        """The outcome of each job's last finished run, by job id."""
        self._alerts: dict[int, Finding] = {}
        """The standing condition of each job that has one (claims and overdue runs)."""
        self._history: dict[int, list[float]] = {}
        self._gaps: dict[int, datetime] = {}
        self._steps_by_id: dict[int, StepRow] = {}
        self._last_now: datetime | None = None

    def seed(
        self,
        now: datetime,
        jobs: list[JobRow],
        latest_runs: list[RunRow],
        step_logs: list[StepLogRow],
        steps: list[StepRow],
        watermark: int,
        *,
        agents: list[AgentRow] | None = None,
        history: dict[int, list[float]] | None = None,
    ) -> None:
        """Take the state found at start-up as known, announcing nothing.

        ``step_logs`` are those of ``latest_runs``: the open ones to follow, the finished ones
        to tell what each job's last run truly came to.
        """
        self.watermark = watermark
        self._last_now = now
        self.jobs = {job.id: job for job in jobs}
        self.last_runs = {run.job_id: run for run in latest_runs}
        self.agents.seed(agents or [])
        self._open.clear()
        self._outcomes.clear()
        self._alerts.clear()
        self._gaps.clear()
        self._history = dict(history or {})
        self._steps_by_id = {step.id: step for step in steps}

        logs = _by_run(step_logs)
        for run in latest_runs:
            if JobRunStatus.of(run.letter).finished:
                self._outcomes[run.job_id] = outcome_of(
                    run, logs.get(run.id, []), self._steps_by_id
                )
                continue
            track = self._track(run)
            for log in logs.get(run.id, []):
                track.seen[log.id] = log
            self._open[run.id] = track

    def open_run_ids(self) -> list[int]:
        """Runs to read again at the next look: the open ones and skipped ids."""
        return sorted([*self._open, *self._gaps])

    def finished_step_ids(self) -> list[int]:
        """Step runs of open runs that are finished and need not be read again."""
        return [
            log_id
            for track in self._open.values()
            for log_id, log in track.seen.items()
            if log.letter != "r"
        ]

    def new_job_ids(self, runs: Iterable[RunRow]) -> list[int]:
        """Jobs of the runs not yet followed."""
        return sorted({run.job_id for run in runs if run.id not in self._open})

    def needs_clock(self, horizon: float) -> bool:
        """Whether time alone may make something true within ``horizon`` seconds of the last
        look: no row changes when an agent dies, a claim goes stale or a run comes due.

        A watcher woken by NOTIFY must still look at the poll interval while this holds.
        """
        if self._open or self._last_now is None:
            return True
        soon = self._last_now + timedelta(seconds=horizon)
        for job in self.jobs.values():
            if job.agent_pid is not None and job.id not in self._alerts:
                return True
            if not job.enabled or job.next_run is None or job.id in self._alerts:
                continue
            if job.next_run + timedelta(seconds=self.limits.overdue_grace) <= soon:
                return True
        return False

    def history_wanted(self, runs: Iterable[RunRow]) -> list[int]:
        """Jobs of new or open runs whose recent durations the tracker does not hold yet."""
        return sorted({run.job_id for run in runs if run.job_id not in self._history})

    def apply(self, look: Look) -> list[Event]:
        """Take in a look and return the transitions it shows, oldest run first."""
        before = self.jobs
        self._last_now = look.now
        self.jobs = {job.id: job for job in look.jobs}
        self._steps_by_id.update((step.id, step) for step in look.steps)
        self._history.update(look.history)
        events = self.agents.apply(look.agents, look.now)

        changed = [
            (job, found)
            for job in look.jobs
            if (found := definitions.changes(before.get(job.id), job))
        ]
        removed = definitions.removed(before, self.jobs)
        for job in removed:
            self._forget(job.id)

        logs = _by_run(look.step_logs)
        seen_ids = {run.id for run in look.runs}
        run_events: list[Event] = []
        for run in sorted(look.runs, key=lambda r: r.id):
            if run.id not in self._open and run.id <= self.watermark and run.id not in self._gaps:
                continue
            if run.job_id not in self.jobs:
                continue
            run_events.extend(self._advance(run, logs.get(run.id, []), look.now))

        # A followed run that vanished went with its job: nothing true is left to announce.
        for run_id in [run_id for run_id in self._open if run_id not in seen_ids]:
            del self._open[run_id]

        self._move_watermark(seen_ids, look.now)
        run_events.extend(self._check_open_runs(look.now))
        run_events.extend(self._check_jobs(look.now))

        for job in removed:
            events.append(self._job_event("job_removed", job, look.now))
        for job, found in changed:
            event = self._job_event("job_changed", job, look.now)
            event["changes"] = found
            event["state"] = self._job_state(job)
            events.append(event)
        return events + run_events

    def job_states(self) -> list[JobState]:
        """Every job as the tree draws it."""
        return [self._job_state(job) for job in self.jobs.values()]

    def job_state(self, job_id: int) -> JobState | None:
        job = self.jobs.get(job_id)
        return self._job_state(job) if job else None

    def state_of(self, job: JobRow) -> JobState:
        """A job as the tree would draw it with this definition, which is not kept."""
        return self._job_state(job)

    def open_run_status(self, run: RunRow) -> tuple[JobRunStatus, str | None]:
        """What an open run is now: running, or stuck when its agent is gone."""
        track = self._open.get(run.id)
        if track is not None and track.stuck is not None:
            return JobRunStatus.STUCK, track.stuck.reason
        return JobRunStatus.of(run.letter), None

    def agent_refs(self) -> list[AgentRef]:
        return self.agents.refs()

    def _track(self, run: RunRow) -> _OpenRun:
        # Known shortcoming: the run tables do not record which host ran a run, so the host
        # shown is that of the agent holding the job when the run is first seen.
        job = self.jobs.get(run.job_id)
        return _OpenRun(
            row=run,
            job_name=job.name if job else f"job {run.job_id}",
            steps_total=job.steps_enabled if job else 0,
            agent_host=job.agent_host if job else None,
        )

    def _advance(self, run: RunRow, logs: list[StepLogRow], now: datetime) -> list[Event]:
        events: list[Event] = []
        track = self._open.get(run.id)

        if track is None:
            track = self._track(run)
            track.clock_anomaly = (run.started_at - now).total_seconds() > CLOCK_TOLERANCE
            events.append(self._event("job_started", track, run.started_at))
        track.row = run
        job = self.jobs.get(run.job_id)
        if job is not None and job.agent_host:
            track.agent_host = job.agent_host

        status = JobRunStatus.of(run.letter)
        for log in logs:
            before = track.seen.get(log.id)
            track.seen[log.id] = log
            if before is None:
                step = self._step(track, log, run_ended=False)
                events.append(self._event("step_started", track, log.started_at, step=step))
            if log.letter != "r" and (before is None or before.letter == "r"):
                ended = _end(log.started_at, log.duration, now)
                step = self._step(track, log, run_ended=False)
                events.append(self._event("step_finished", track, ended, step=step))
                events.append(self._event("job_progress", track, ended, progress=True))

        if status.finished:
            events.extend(self._finish(run, track, now))
        else:
            self._open[run.id] = track

        newest = self.last_runs.get(run.job_id)
        if newest is None or newest.id <= run.id:
            self.last_runs[run.job_id] = run

        # The run's end moves the job's next run: the final event carries the job as it is now.
        job = self.jobs.get(run.job_id)
        if status.finished and job is not None and events:
            events[-1]["state"] = self._job_state(job)
        return events

    def _finish(self, run: RunRow, track: _OpenRun, now: datetime) -> list[Event]:
        events: list[Event] = []
        self._open.pop(run.id, None)
        ended = _end(run.started_at, run.duration, now)

        # A step still "running" under an ended run never got its result written.
        for log in track.seen.values():
            if log.letter == "r":
                step = self._step(track, log, run_ended=True)
                events.append(self._event("step_finished", track, ended, step=step))

        outcome = outcome_of(run, list(track.seen.values()), self._steps_by_id)
        outcome.clock_anomaly = outcome.clock_anomaly or track.clock_anomaly
        self._outcomes[run.job_id] = outcome
        if outcome.status is JobRunStatus.SUCCEEDED and run.duration is not None:
            history = self._history.get(run.job_id)
            if history is not None:
                self._history[run.job_id] = [run.duration, *history][: alerts.HISTORY_RUNS]

        final = self._event(_FINAL_EVENT[outcome.status], track, ended, outcome=outcome)
        if outcome.status in (JobRunStatus.FAILED, JobRunStatus.INTERNAL_ERROR):
            self._add_failure(final, track)
        if outcome.warnings:
            final["warnings"] = outcome.warnings
        if outcome.reason:
            final["reason"] = outcome.reason
            final["message"] = outcome.message or ""
        events.append(final)
        return events

    def _check_open_runs(self, now: datetime) -> list[Event]:
        """Open runs whose agent is gone, and runs far longer than their job's history."""
        events: list[Event] = []
        alive = self.agents.alive_pids()
        for track in self._open.values():
            job = self.jobs.get(track.row.job_id)
            if job is None:
                continue

            if track.stuck is None and job.agent_pid not in alive:
                track.stuck = self._agent_lost(job, now)
                events.append(self._event("job_stuck", track, now, finding=track.stuck))
            if track.stuck is not None or track.long_running is not None:
                continue

            expected = alerts.expected_duration(self._history.get(job.id, []))
            if alerts.long_running(elapsed(track.row.started_at, now), expected, self.limits):
                track.long_running = Finding(
                    type="job_long_running",
                    reason="long_running",
                    message=f"the run takes far longer than the job's median of {expected:.1f} s",
                    since=now,
                    key=("long", track.row.id),
                )
                events.append(
                    self._event(
                        "job_long_running", track, now, progress=True, finding=track.long_running
                    )
                )
        return events

    def _agent_lost(self, job: JobRow, now: datetime) -> Finding:
        if job.agent_pid is None:
            message = "the run is open but no agent holds its job"
        else:
            host = self.agents.host_of(job.agent_pid) or job.agent_host
            where = f" on {host}" if host else ""
            message = (
                f"agent {job.agent_pid}{where} is gone: the run stays open until an agent"
                " starts and marks it aborted"
            )
        return Finding(
            type="job_stuck", reason="agent_lost", message=message, since=now, key=("lost",)
        )

    def _check_jobs(self, now: datetime) -> list[Event]:
        """Jobs claimed without a run, and jobs overdue: each occurrence told once."""
        events: list[Event] = []
        busy = {track.row.job_id for track in self._open.values()}
        live_hosts = self.agents.live_hosts()
        for job in self.jobs.values():
            finding = None
            if job.id not in busy:
                finding = alerts.claim_without_run(job, now, self.limits) or alerts.overdue(
                    job, now, self.limits, live_hosts
                )
            if finding is None:
                self._alerts.pop(job.id, None)
                continue

            known = self._alerts.get(job.id)
            self._alerts[job.id] = finding
            if known is not None and known.key == finding.key:
                continue
            event = self._job_event(finding.type, job, now)
            _add_finding(event, finding)
            events.append(event)
        return events

    def _forget(self, job_id: int) -> None:
        self.last_runs.pop(job_id, None)
        self._outcomes.pop(job_id, None)
        self._alerts.pop(job_id, None)
        self._history.pop(job_id, None)

    def _add_failure(self, event: Event, track: _OpenRun) -> None:
        failed = [log for log in track.seen.values() if log.letter == "f"]
        if not failed:
            return
        step = self._step(track, failed[-1], run_ended=True)
        event["step"] = step
        event["error"] = step["output"]

    def _move_watermark(self, seen_ids: set[int], now: datetime) -> None:
        for run_id in seen_ids:
            self._gaps.pop(run_id, None)
        for run_id, expires in list(self._gaps.items()):
            if expires <= now:
                del self._gaps[run_id]

        top = max(seen_ids, default=0)
        if top <= self.watermark:
            return
        missing = [i for i in range(self.watermark + 1, top) if i not in seen_ids]
        for run_id in missing[-MAX_GAPS:]:
            self._gaps[run_id] = now + GAP_TTL
        self.watermark = top

    def _job_ref(self, job_id: int, fallback: str) -> JobRef:
        job = self.jobs.get(job_id)
        return JobRef(
            id=job_id,
            name=job.name if job else fallback,
            enabled=job.enabled if job else False,
        )

    def _job_event(self, kind: EventType, job: JobRow, occurred_at: datetime) -> Event:
        return Event(
            seq=0,
            epoch="",
            type=kind,
            occurred_at=occurred_at.isoformat(),
            server=self.server,
            job=JobRef(id=job.id, name=job.name, enabled=job.enabled),
        )

    def _event(
        self,
        kind: EventType,
        track: _OpenRun,
        occurred_at: datetime,
        *,
        step: StepRef | None = None,
        progress: bool = False,
        outcome: Outcome | None = None,
        finding: Finding | None = None,
    ) -> Event:
        event: Event = {
            "seq": 0,
            "epoch": "",
            "type": kind,
            "occurred_at": occurred_at.isoformat(),
            "server": self.server,
            "job": self._job_ref(track.row.job_id, track.job_name),
            "run": self._run_ref(track, outcome),
        }
        if step is not None:
            event["step"] = step
        if progress:
            event["progress"] = self._progress(track, occurred_at)
        if finding is not None:
            _add_finding(event, finding)
        return event

    def _run_ref(self, track: _OpenRun, outcome: Outcome | None) -> RunRef:
        run = track.row
        if outcome is not None:
            status, duration = outcome.status, outcome.duration
            anomaly = outcome.clock_anomaly
        else:
            status = JobRunStatus.STUCK if track.stuck else JobRunStatus.of(run.letter)
            duration, anomaly = checked_duration(run.duration)
            anomaly = anomaly or track.clock_anomaly
        ref = RunRef(
            id=run.id,
            status=status.value,
            started_at=run.started_at.isoformat(),
            duration=duration,
            agent_host=track.agent_host,
        )
        if anomaly:
            ref["clock_anomaly"] = True
        return ref

    def _progress(self, track: _OpenRun, at: datetime) -> Progress:
        return Progress(
            done=track.steps_done,
            total=max(track.steps_total, len(track.seen)),
            elapsed=None if track.clock_anomaly else elapsed(track.row.started_at, at),
            expected=alerts.expected_duration(self._history.get(track.row.job_id, [])),
        )

    def _step(self, track: _OpenRun, log: StepLogRow, *, run_ended: bool) -> StepRef:
        return step_of(
            log,
            position=track.position(log.id),
            total=track.steps_total,
            run_ended=run_ended,
            steps=self._steps_by_id,
        )

    def _job_state(self, job: JobRow) -> JobState:
        run = self.last_runs.get(job.id)
        track = self._open.get(run.id) if run else None
        last: LastRun | None = None
        status = "idle"
        alert: JobAlert | None = None

        if run is not None and track is not None:
            ref = self._run_ref(track, None)
            status = ref["status"]
            last = LastRun(
                id=run.id,
                status=status,
                started_at=run.started_at.isoformat(),
                duration=ref["duration"],
                steps_done=track.steps_done,
                steps_total=max(track.steps_total, len(track.seen)),
                expected=alerts.expected_duration(self._history.get(job.id, [])),
            )
            if ref.get("clock_anomaly"):
                last["clock_anomaly"] = True
            finding = track.stuck or track.long_running
            if finding is not None:
                alert = _alert(finding)
                last["reason"] = finding.reason
            if track.long_running is not None:
                last["long_running"] = True
        elif run is not None:
            outcome = self._outcomes.get(job.id) or outcome_of(run, [], self._steps_by_id)
            status = outcome.status.value
            last = LastRun(
                id=run.id,
                status=status,
                started_at=run.started_at.isoformat(),
                duration=outcome.duration,
                steps_done=0,
                steps_total=0,
            )
            if outcome.warnings:
                last["warnings"] = outcome.warnings
            if outcome.reason:
                last["reason"] = outcome.reason
            if outcome.clock_anomaly:
                last["clock_anomaly"] = True

        standing = self._alerts.get(job.id)
        if standing is not None:
            alert = _alert(standing)
            status = "stuck" if standing.type == "job_stuck" else "overdue"

        state = JobState(
            id=job.id,
            name=job.name,
            description=job.description,
            enabled=job.enabled,
            host_agent=job.host_agent,
            next_run=job.next_run.isoformat() if job.next_run else None,
            status=status,
            last_run=last,
            alert=alert,
        )
        return state


def _alert(finding: Finding) -> JobAlert:
    return JobAlert(
        type=finding.type,
        reason=finding.reason,
        message=finding.message,
        since=finding.since.isoformat(),
    )


def _add_finding(event: Event, finding: Finding) -> None:
    event["reason"] = finding.reason
    event["message"] = finding.message
    if finding.live_hosts is not None:
        event["live_hosts"] = list(finding.live_hosts)


def _by_run(logs: Iterable[StepLogRow]) -> dict[int, list[StepLogRow]]:
    grouped: dict[int, list[StepLogRow]] = defaultdict(list)
    for log in sorted(logs, key=lambda log: log.id):
        grouped[log.run_id].append(log)
    return grouped


def _end(started_at: datetime, duration: float | None, now: datetime) -> datetime:
    if duration is None or duration < 0:
        return now
    return started_at + timedelta(seconds=duration)
