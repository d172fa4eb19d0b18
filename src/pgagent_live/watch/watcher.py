"""The watcher of one monitored server: poll or notify mode, reconnects, catch-up."""

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import psycopg
from psycopg import AsyncConnection, IsolationLevel, errors

from pgagent_live.pgagent import checks, reads, summary, triggers
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
from pgagent_live.watch.listener import Listener
from pgagent_live.watch.outcome import checked_duration, outcome_of, step_of
from pgagent_live.watch.tracker import Look, Tracker

logger = logging.getLogger(__name__)

EventSink = Callable[[list[Event]], Awaitable[None]]
StateSink = Callable[[ServerRef, ServerState, str], Awaitable[None]]

MAX_BACKOFF = 30.0

LOOK_TIMEOUT = 45.0
"""Seconds a look may take before its server counts as unreachable: the statement timeout
(30 s) bounds a slow query, this bounds a server or network that stopped answering."""

WatchMode = Literal["poll", "notify", "auto"]


class WatchError(Exception):
    """A monitored server could not answer a request about its jobs."""


class JobNotFoundError(WatchError):
    """The job does not exist on the server (any more)."""


class _BlockedError(Exception):
    """The server cannot be watched as it is: its state says why; retried with backoff."""


class _ModeChangedError(Exception):
    """The triggers were installed or removed: watch again in the other mode."""


class RunNotFoundError(WatchError):
    """The run or step run does not exist on the server (any more)."""


@dataclass(slots=True)
class JobDetail:
    steps: list[StepRow]
    schedules: list[ScheduleRow]
    facts: reads.JobFacts | None = None


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
        mode: WatchMode = "auto",
        safety_interval: float = 30.0,
        health_timeout: float = 10.0,
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
        self.mode = mode
        self.notify = False
        """Whether the watcher is in notify mode now: ``mode`` decided it at connect."""
        self.safety_interval = safety_interval
        self.health_timeout = health_timeout
        self.listener: Listener | None = None
        self._failures = 0

    async def run(self) -> None:
        """Watch until cancelled, reconnecting with backoff when the server fails."""
        while True:
            try:
                async with await self._connect(read_only=True) as conn:
                    await conn.set_isolation_level(IsolationLevel.REPEATABLE_READ)
                    await self._watch(conn)
            except _ModeChangedError:
                continue
            except _BlockedError:
                pass
            except TimeoutError:
                message = f"no answer within {LOOK_TIMEOUT:g} s"
                await self._set_state("unreachable", message)
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

            self._failures += 1
            delay = min(MAX_BACKOFF, self.interval * 2 ** min(self._failures, 6))
            await asyncio.sleep(delay * random.uniform(0.5, 1.0))

    @property
    def seeded(self) -> bool:
        """Whether the server was read at least once, so that its jobs are known."""
        return self._seeded

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

    async def finished_since(self, since: datetime) -> list[dict[str, Any]]:
        """Runs that ended after ``since``, read now: what a resuming client missed."""
        async with await self._connect(read_only=True) as conn:
            return await summary.finished_since(conn, since)

    async def job_detail(self, job_id: int) -> tuple[JobState, JobDetail]:
        """A job with its steps and schedules, read now."""
        async with await self._connect(read_only=True) as conn:
            found = [job for job in await reads.jobs(conn) if job.id == job_id]
            if not found:
                raise JobNotFoundError(f"no job {job_id} on server {self.server['id']!r}")
            steps = await reads.steps(conn, [job_id])
            schedules = await reads.schedules(conn, job_id)
            facts = await reads.job_facts(conn, job_id)

        # The definition read now is fresher; the tracker keeps its own, or the next look
        # would miss the change and send no job_changed.
        state = self.tracker.state_of(found[0])
        return state, JobDetail(steps=steps, schedules=schedules, facts=facts)

    async def run_now(self, job_id: int) -> None:
        async with await self._connect(read_only=False) as conn:
            if not await reads.run_now(conn, job_id):
                raise JobNotFoundError(f"no job {job_id} on server {self.server['id']!r}")
        logger.info("run now asked for job %s on %s", job_id, self.server["id"])

    async def set_enabled(self, job_id: int, enabled: bool) -> None:
        async with await self._connect(read_only=False) as conn:
            if not await reads.set_enabled(conn, job_id, enabled):
                raise JobNotFoundError(f"no job {job_id} on server {self.server['id']!r}")
        verb = "enabled" if enabled else "disabled"
        logger.info("job %s on %s %s", job_id, self.server["id"], verb)

    async def _connect(
        self, *, read_only: bool, application_name: str = "pgagent-live"
    ) -> AsyncConnection[tuple[Any, ...]]:
        # Keepalives find a peer that vanished from the network on an idle connection;
        # libpq applies them to TCP connections only.
        conn = await AsyncConnection.connect(
            self._conninfo,
            autocommit=True,
            application_name=application_name,
            connect_timeout=10,
            keepalives=1,
            keepalives_idle=10,
            keepalives_interval=5,
            keepalives_count=3,
            tcp_user_timeout=30_000,
        )
        await conn.execute("SET statement_timeout = '30s'")
        if read_only:
            await conn.set_read_only(True)
        return conn

    async def _watch(self, conn: reads.Connection) -> None:
        """One connected session: check the schema, listen, read the state, then stream.

        Listening starts before the state is read, so whatever commits in between is either
        in what the read sees or announced by a NOTIFY that wakes the next look.
        """
        report = await checks.check(conn)
        if not report.ok:
            problem = report.problems[0]
            await self._set_state(problem.state, f"{problem.message}; fix: {problem.fix}")
            raise _BlockedError(problem.code)
        self.notify = await self._wants_notify(conn)

        listener = task = None
        if self.notify:
            listener = Listener(
                self.server["id"],
                lambda: self._connect(read_only=True, application_name="pgagent-live listener"),
                health_interval=self.health_timeout,
                health_timeout=self.health_timeout,
                max_backoff=MAX_BACKOFF,
            )
            task = asyncio.create_task(listener.run(), name=f"listen {self.server['id']}")
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.health_timeout):
                    await listener.listening.wait()
        self.listener = listener

        try:
            if self._seeded:
                await self._set_state("catching_up", "reading what changed while disconnected")
                await self._look_in_time(conn)
            else:
                await self._seed(conn)
            self._failures = 0
            await self._stream(conn, listener)
        finally:
            self.listener = None
            if task is not None:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)

    async def _stream(self, conn: reads.Connection, listener: Listener | None) -> None:
        mode_checked = asyncio.get_running_loop().time()
        while True:
            if listener is None and self.mode == "notify":
                await self._set_state(
                    "polling",
                    "notify mode is asked for but the triggers are not installed: run"
                    f" 'pgagent-live triggers install'; polling every {self.interval:g} s",
                )
            elif listener is None or listener.listening.is_set():
                await self._set_state("live", "")
            else:
                await self._set_state(
                    "polling",
                    f"the listener is down ({listener.error or 'connecting'}): polling every"
                    f" {self.interval:g} s until it is back",
                )
            await self._wait(listener)
            await self._look_in_time(conn)

            # In auto mode, triggers installed or removed while watching change the mode.
            now = asyncio.get_running_loop().time()
            if self.mode == "auto" and now - mode_checked >= self.safety_interval:
                mode_checked = now
                if await self._wants_notify(conn) != self.notify:
                    logger.info("triggers of %s changed: watching again", self.server["id"])
                    raise _ModeChangedError

    async def _wait(self, listener: Listener | None) -> None:
        """Until the next look: a NOTIFY, else the safety-net poll; the poll interval when
        there is no listener or it is down."""
        if listener is None:
            await asyncio.sleep(self.interval)
            return

        # Time alone makes runs stuck and jobs overdue: no NOTIFY comes for those.
        quiet = listener.listening.is_set() and not self.tracker.needs_clock(self.safety_interval)
        timeout = self.safety_interval if quiet else self.interval
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await listener.wake.wait()
        listener.wake.clear()

    async def _look_in_time(self, conn: reads.Connection) -> None:
        async with asyncio.timeout(LOOK_TIMEOUT):
            await self._look(conn)

    async def _wants_notify(self, conn: reads.Connection) -> bool:
        if self.mode == "poll":
            return False
        found = await triggers.status(conn)
        if found.installed:
            return True
        if self.mode == "notify":
            logger.warning(
                "notify mode asked for %s but its triggers are %s: polling",
                self.server["id"],
                found.state,
            )
        return False

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
