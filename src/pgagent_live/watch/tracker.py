"""The tracker: turns what a look at pgAgent's tables found into events, each exactly once."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from pgagent_live.pgagent.rows import JobRow, RunRow, StepLogRow, StepRow
from pgagent_live.pgagent.status import JobRunStatus, StepRunStatus
from pgagent_live.watch.events import (
    Event,
    EventType,
    JobRef,
    JobState,
    LastRun,
    Progress,
    RunRef,
    ServerRef,
    StepRef,
    excerpt,
)

GAP_TTL = timedelta(seconds=60)
"""How long a run id skipped by the sequence is still looked for.

Ids are taken at INSERT and become visible at COMMIT, so a run of a slower transaction can
appear below the watermark after a newer one; an id that never appears was rolled back.
"""

MAX_GAPS = 1000

_FINAL_EVENT: dict[JobRunStatus, EventType] = {
    JobRunStatus.SUCCEEDED: "job_succeeded",
    JobRunStatus.FAILED: "job_failed",
    JobRunStatus.INTERNAL_ERROR: "job_failed",
    JobRunStatus.ABORTED: "job_aborted",
}


@dataclass(slots=True)
class Look:
    """What one look at a server's tables found, read in one snapshot."""

    now: datetime
    jobs: list[JobRow]
    runs: list[RunRow]
    step_logs: list[StepLogRow]
    steps: list[StepRow]


@dataclass(slots=True)
class _OpenRun:
    row: RunRow
    job_name: str
    steps_total: int
    agent_host: str | None
    seen: dict[int, str] = field(default_factory=dict)
    """Step run id to the last letter seen, in the order the steps ran."""

    @property
    def steps_done(self) -> int:
        return sum(1 for letter in self.seen.values() if letter != "r")


class Tracker:
    """The last known state of one server's jobs and open runs."""

    def __init__(self, server: ServerRef) -> None:
        self.server = server
        self.watermark = 0
        self.jobs: dict[int, JobRow] = {}
        self.last_runs: dict[int, RunRow] = {}
        self._open: dict[int, _OpenRun] = {}
        self._gaps: dict[int, datetime] = {}
        self._steps_by_id: dict[int, StepRow] = {}

    def seed(
        self,
        now: datetime,
        jobs: list[JobRow],
        latest_runs: list[RunRow],
        step_logs: list[StepLogRow],
        steps: list[StepRow],
        watermark: int,
    ) -> None:
        """Take the state found at start-up as known, announcing nothing."""
        self.watermark = watermark
        self.jobs = {job.id: job for job in jobs}
        self.last_runs = {run.job_id: run for run in latest_runs}
        self._open.clear()
        self._gaps.clear()
        self._steps_by_id = {step.id: step for step in steps}

        totals = _enabled_counts(steps)
        logs = _by_run(step_logs)
        for run in latest_runs:
            if run.letter != "r":
                continue
            job = self.jobs.get(run.job_id)
            track = _OpenRun(
                row=run,
                job_name=job.name if job else f"job {run.job_id}",
                steps_total=totals.get(run.job_id, 0),
                agent_host=job.agent_host if job else None,
            )
            for log in logs.get(run.id, []):
                track.seen[log.id] = log.letter
            self._open[run.id] = track

    def open_run_ids(self) -> list[int]:
        """Runs to read again at the next look: the open ones and skipped ids."""
        return sorted([*self._open, *self._gaps])

    def finished_step_ids(self) -> list[int]:
        """Step runs of open runs that are finished and need not be read again."""
        return [
            step_id
            for track in self._open.values()
            for step_id, letter in track.seen.items()
            if letter != "r"
        ]

    def new_job_ids(self, runs: Iterable[RunRow]) -> list[int]:
        """Jobs whose step definitions the look must read: those of runs not yet followed."""
        return sorted({run.job_id for run in runs if run.id not in self._open})

    def apply(self, look: Look) -> list[Event]:
        """Take in a look and return the transitions it shows, oldest run first."""
        self.jobs = {job.id: job for job in look.jobs}
        self._steps_by_id.update((step.id, step) for step in look.steps)
        totals = _enabled_counts(look.steps)
        logs = _by_run(look.step_logs)
        seen_ids = {run.id for run in look.runs}
        events: list[Event] = []

        for run in sorted(look.runs, key=lambda r: r.id):
            if run.id not in self._open and run.id <= self.watermark and run.id not in self._gaps:
                continue
            events.extend(self._advance(run, logs.get(run.id, []), totals, look.now))

        # A followed run that vanished went with its job: nothing true is left to announce.
        for run_id in [run_id for run_id in self._open if run_id not in seen_ids]:
            del self._open[run_id]

        self._move_watermark(seen_ids, look.now)
        return events

    def job_states(self) -> list[JobState]:
        """Every job as the tree draws it."""
        return [self._job_state(job) for job in self.jobs.values()]

    def job_state(self, job_id: int) -> JobState | None:
        job = self.jobs.get(job_id)
        return self._job_state(job) if job else None

    def _advance(
        self, run: RunRow, logs: list[StepLogRow], totals: dict[int, int], now: datetime
    ) -> list[Event]:
        events: list[Event] = []
        track = self._open.get(run.id)

        if track is None:
            job = self.jobs.get(run.job_id)
            track = _OpenRun(
                row=run,
                job_name=job.name if job else f"job {run.job_id}",
                steps_total=totals.get(run.job_id, 0),
                agent_host=job.agent_host if job else None,
            )
            events.append(self._event("job_started", track, run.started_at))
        track.row = run

        for log in logs:
            before = track.seen.get(log.id)
            track.seen[log.id] = log.letter
            position = list(track.seen).index(log.id) + 1
            if before is None:
                step = self._step(track, log, position)
                events.append(self._event("step_started", track, log.started_at, step=step))
            if log.letter != "r" and before in (None, "r"):
                ended = _end(log.started_at, log.duration, now)
                step = self._step(track, log, position)
                events.append(self._event("step_finished", track, ended, step=step))
                events.append(self._event("job_progress", track, ended, progress=True))

        status = JobRunStatus.from_letter(run.letter)
        if status.finished:
            self._open.pop(run.id, None)
            ended = _end(run.started_at, run.duration, now)
            final = self._event(_FINAL_EVENT[status], track, ended)
            if status in (JobRunStatus.FAILED, JobRunStatus.INTERNAL_ERROR):
                self._add_failure(final, track, logs)
            events.append(final)
        else:
            self._open[run.id] = track

        newest = self.last_runs.get(run.job_id)
        if newest is None or newest.id <= run.id:
            self.last_runs[run.job_id] = run
        return events

    def _add_failure(self, event: Event, track: _OpenRun, logs: list[StepLogRow]) -> None:
        failed = [log for log in logs if log.letter == "f"]
        if not failed:
            return
        log = failed[-1]
        step = self._step(track, log, list(track.seen).index(log.id) + 1)
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

    def _event(
        self,
        kind: EventType,
        track: _OpenRun,
        occurred_at: datetime,
        *,
        step: StepRef | None = None,
        progress: bool = False,
    ) -> Event:
        run = track.row
        job = self.jobs.get(run.job_id)
        event: Event = {
            "seq": 0,
            "epoch": "",
            "type": kind,
            "occurred_at": occurred_at.isoformat(),
            "server": self.server,
            "job": JobRef(
                id=run.job_id,
                name=job.name if job else track.job_name,
                enabled=job.enabled if job else False,
            ),
            "run": RunRef(
                id=run.id,
                status=JobRunStatus.from_letter(run.letter).value,
                started_at=run.started_at.isoformat(),
                duration=run.duration,
                agent_host=track.agent_host,
            ),
        }
        if step is not None:
            event["step"] = step
        if progress:
            event["progress"] = Progress(
                done=track.steps_done,
                total=max(track.steps_total, len(track.seen)),
                elapsed=max((occurred_at - run.started_at).total_seconds(), 0.0),
            )
        return event

    def _step(self, track: _OpenRun, log: StepLogRow, position: int) -> StepRef:
        definition = self._steps_by_id.get(log.step_id)
        return StepRef(
            id=log.step_id,
            run_id=log.id,
            name=definition.name if definition else f"step {log.step_id}",
            kind="batch" if definition and definition.kind == "b" else "sql",
            status=StepRunStatus.from_letter(log.letter).value,
            result=log.result,
            position=position,
            total=max(track.steps_total, position),
            started_at=log.started_at.isoformat(),
            duration=log.duration,
            output=excerpt(log.output),
            output_size=log.output_size,
        )

    def _job_state(self, job: JobRow) -> JobState:
        run = self.last_runs.get(job.id)
        last: LastRun | None = None
        status = "idle"
        if run is not None:
            track = self._open.get(run.id)
            status = JobRunStatus.from_letter(run.letter).value
            last = LastRun(
                id=run.id,
                status=status,
                started_at=run.started_at.isoformat(),
                duration=run.duration,
                steps_done=track.steps_done if track else 0,
                steps_total=max(track.steps_total, len(track.seen)) if track else 0,
            )
        return JobState(
            id=job.id,
            name=job.name,
            description=job.description,
            enabled=job.enabled,
            host_agent=job.host_agent,
            next_run=job.next_run.isoformat() if job.next_run else None,
            status=status,
            last_run=last,
        )


def _enabled_counts(steps: Iterable[StepRow]) -> dict[int, int]:
    counts: dict[int, int] = defaultdict(int)
    for step in steps:
        if step.enabled:
            counts[step.job_id] += 1
    return counts


def _by_run(logs: Iterable[StepLogRow]) -> dict[int, list[StepLogRow]]:
    grouped: dict[int, list[StepLogRow]] = defaultdict(list)
    for log in sorted(logs, key=lambda log: log.id):
        grouped[log.run_id].append(log)
    return grouped


def _end(started_at: datetime, duration: float | None, now: datetime) -> datetime:
    if duration is None:
        return now
    return started_at + timedelta(seconds=duration)
