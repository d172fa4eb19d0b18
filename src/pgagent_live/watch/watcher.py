"""The poll-mode watcher of one monitored server."""

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import AsyncConnection, IsolationLevel, errors

from pgagent_live.pgagent import reads
from pgagent_live.pgagent.rows import ScheduleRow, StepRow
from pgagent_live.pgagent.status import JobRunStatus
from pgagent_live.watch.alerts import Thresholds
from pgagent_live.watch.events import (
    AgentRef,
    Event,
    JobState,
    RunDetail,
    ServerRef,
    ServerState,
    StepOutput,
)
from pgagent_live.watch.outcome import checked_duration, outcome_of, step_of
from pgagent_live.watch.tracker import Look, Tracker

logger = logging.getLogger(__name__)

EventSink = Callable[[list[Event]], Awaitable[None]]
StateSink = Callable[[ServerRef, ServerState, str], Awaitable[None]]

MAX_BACKOFF = 30.0


class WatchError(Exception):
    """A monitored server could not answer a request about its jobs."""


class JobNotFoundError(WatchError):
    """The job does not exist on the server (any more)."""


class RunNotFoundError(WatchError):
    """The run or step run does not exist on the server (any more)."""


@dataclass(slots=True)
class JobDetail:
    steps: list[StepRow]
    schedules: list[ScheduleRow]


class Watcher:
    """Looks at one server's pgAgent tables every interval and reports what changed."""

    def __init__(
        self,
        server_id: str,
        conninfo: str,
        *,
        name: str | None = None,
        interval: float = 1.0,
        on_events: EventSink,
        on_state: StateSink,
        limits: Thresholds | None = None,
    ) -> None:
        self.server = ServerRef(id=server_id, name=name or server_id)
        self.interval = interval
        self.state: ServerState = "connecting"
        self.message = ""
        self.tracker = Tracker(self.server, limits)
        self._conninfo = conninfo
        self._on_events = on_events
        self._on_state = on_state
        self._seeded = False

    async def run(self) -> None:
        """Watch until cancelled, reconnecting with backoff when the server fails."""
        failures = 0
        while True:
            try:
                async with await self._connect(read_only=True) as conn:
                    await conn.set_isolation_level(IsolationLevel.REPEATABLE_READ)
                    if not self._seeded:
                        await self._seed(conn)
                    await self._set_state("live", "")
                    failures = 0
                    while True:
                        await self._look(conn)
                        await asyncio.sleep(self.interval)
            except (errors.UndefinedTable, errors.InvalidSchemaName, errors.UndefinedFunction):
                await self._set_state("not_installed", "the pgagent schema is not installed")
            except errors.InsufficientPrivilege as exc:
                await self._set_state("permission_denied", _first_line(exc))
            except psycopg.Error as exc:
                await self._set_state("unreachable", _first_line(exc))
            except Exception as exc:
                # One server's surprise must not end its watcher, nor touch the others.
                logger.exception("watcher of %s failed", self.server["id"])
                await self._set_state("error", f"unexpected error: {_first_line(exc)}")

            failures += 1
            delay = min(MAX_BACKOFF, self.interval * 2 ** min(failures, 6))
            await asyncio.sleep(delay * random.uniform(0.5, 1.0))

    def job_states(self) -> list[JobState]:
        return self.tracker.job_states()

    def agents(self) -> list[AgentRef]:
        return self.tracker.agent_refs()

    async def run_detail(self, run_id: int) -> RunDetail:
        """A run with all its step runs, read now, with the statuses the events use."""
        async with await self._connect(read_only=True) as conn:
            run = await reads.run(conn, run_id)
            if run is None:
                raise RunNotFoundError(f"no run {run_id} on server {self.server['id']!r}")
            logs = await reads.step_logs(conn, [run_id])
            steps = await reads.steps(conn, [run.job_id])

        by_id = {step.id: step for step in steps}
        outcome = outcome_of(run, logs, by_id)
        ended = JobRunStatus.of(run.letter).finished
        if not ended:
            # An open run may be stuck: only the tracker knows whether its agent lives.
            outcome.status, outcome.reason = self.tracker.open_run_status(run)
            outcome.message, outcome.warnings = None, []
        duration, anomaly = checked_duration(run.duration)
        return RunDetail(
            id=run.id,
            job_id=run.job_id,
            status=outcome.status.value,
            started_at=run.started_at.isoformat(),
            duration=outcome.duration if ended else duration,
            clock_anomaly=anomaly,
            reason=outcome.reason,
            message=outcome.message,
            warnings=outcome.warnings,
            steps=[
                step_of(log, position=k, total=len(logs), run_ended=ended, steps=by_id)
                for k, log in enumerate(logs, 1)
            ],
        )

    async def step_output(self, run_id: int, step_run_id: int) -> StepOutput:
        async with await self._connect(read_only=True) as conn:
            found = await reads.step_output(conn, run_id, step_run_id)
        if found is None:
            raise RunNotFoundError(
                f"no step run {step_run_id} in run {run_id} on server {self.server['id']!r}"
            )
        return StepOutput(
            run_id=run_id, step_run_id=step_run_id, output=found[0], output_size=found[1]
        )

    async def job_detail(self, job_id: int) -> tuple[JobState, JobDetail]:
        """A job with its steps and schedules, read now."""
        async with await self._connect(read_only=True) as conn:
            found = [job for job in await reads.jobs(conn) if job.id == job_id]
            if not found:
                raise JobNotFoundError(f"no job {job_id} on server {self.server['id']!r}")
            steps = await reads.steps(conn, [job_id])
            schedules = await reads.schedules(conn, job_id)

        # The tracker's view of the job carries the last run; the definition is fresher.
        self.tracker.jobs[job_id] = found[0]
        state = self.tracker.job_state(job_id)
        assert state is not None
        return state, JobDetail(steps=steps, schedules=schedules)

    async def run_now(self, job_id: int) -> None:
        async with await self._connect(read_only=False) as conn:
            if not await reads.run_now(conn, job_id):
                raise JobNotFoundError(f"no job {job_id} on server {self.server['id']!r}")
        logger.info("run now asked for job %s on %s", job_id, self.server["id"])

    async def _connect(self, *, read_only: bool) -> AsyncConnection[tuple[Any, ...]]:
        conn = await AsyncConnection.connect(
            self._conninfo,
            autocommit=True,
            application_name="pgagent-live",
            connect_timeout=10,
        )
        await conn.execute("SET statement_timeout = '30s'")
        if read_only:
            await conn.set_read_only(True)
        return conn

    async def _seed(self, conn: reads.Connection) -> None:
        async with conn.transaction():
            now = await reads.clock(conn)
            watermark = await reads.max_run_id(conn)
            jobs = await reads.jobs(conn)
            agents = await reads.agents(conn)
            latest = await reads.latest_runs(conn)
            logs = await reads.step_logs(conn, [run.id for run in latest])
            open_jobs = [run.job_id for run in latest if run.letter == "r"]
            history = await reads.success_durations(conn, open_jobs)
        self.tracker.seed(now, jobs, latest, logs, [], watermark, agents=agents, history=history)
        self._seeded = True
        logger.info("watching %s: %d jobs from run %d", self.server["id"], len(jobs), watermark)

    async def _look(self, conn: reads.Connection) -> None:
        tracker = self.tracker
        async with conn.transaction():
            now = await reads.clock(conn)
            jobs = await reads.jobs(conn)
            agents = await reads.agents(conn)
            runs = await reads.changed_runs(conn, tracker.watermark, tracker.open_run_ids())
            logs = await reads.step_logs(
                conn, [run.id for run in runs], tracker.finished_step_ids()
            )
            history = await reads.success_durations(conn, tracker.history_wanted(runs))

        look = Look(now=now, jobs=jobs, runs=runs, step_logs=logs, agents=agents, history=history)
        events = tracker.apply(look)
        if events:
            await self._on_events(events)

    async def _set_state(self, state: ServerState, message: str) -> None:
        if (state, message) == (self.state, self.message):
            return
        self.state, self.message = state, message
        if state == "live":
            logger.info("server %s is live", self.server["id"])
        else:
            logger.warning("server %s is %s: %s", self.server["id"], state, message)
        await self._on_state(self.server, state, message)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]
