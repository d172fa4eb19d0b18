"""Routes of a job's run history: runs paged from the newest, their steps, a step's output."""

from datetime import datetime
from typing import Annotated, Any

import psycopg
from fastapi import APIRouter, Query
from pydantic import BaseModel

from pgagent_live.api.errors import ApiError
from pgagent_live.hub.hub import Hub
from pgagent_live.pgagent.queries import query
from pgagent_live.pgagent.status import JobRunStatus, StepRunStatus
from pgagent_live.watch.events import OUTPUT_EXCERPT_BYTES, excerpt
from pgagent_live.watch.watcher import Watcher

MAX_PAGE = 100
"""The most runs one page may hold."""

NEWEST = 2**63 - 1
"""The ``before`` of the first page: above every run id."""


class StepRun(BaseModel):
    """One step of a run, as pgAgent logged it."""

    id: int
    """The step run's id (``jslid``)."""
    step_id: int
    """The step's id (``jstid``)."""
    name: str
    kind: str
    """``sql`` or ``batch``; empty when the step has been deleted since."""
    status: str
    result: int | None
    started_at: datetime | None
    duration: float | None
    output: str
    """At most 2,048 bytes of UTF-8; ``output_size`` tells whether there is more."""
    output_size: int


class Run(BaseModel):
    """One run of a job with its steps."""

    id: int
    """The run's id (``jlgid``)."""
    status: str
    started_at: datetime | None
    duration: float | None
    steps: list[StepRun]


class RunPage(BaseModel):
    """Runs newest first; ``next_before`` asks for the page after this one, null at the end."""

    runs: list[Run]
    next_before: int | None


class StepOutput(BaseModel):
    """A step run's whole output, as text."""

    output: str
    output_size: int


def build_history_router(hub: Hub) -> APIRouter:
    """The history routes, relative to the router they are included in (which checks tokens)."""
    router = APIRouter()

    @router.get(
        "/servers/{server_id}/jobs/{job_id}/runs",
        summary="A job's runs with their steps, newest first, one page at a time",
    )
    async def list_runs(
        server_id: str,
        job_id: int,
        before: Annotated[int | None, Query(ge=1, description="only runs below this id")] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 20,
    ) -> RunPage:
        watcher = _watcher(hub, server_id)
        try:
            return await _runs(watcher, job_id, before or NEWEST, limit)
        except psycopg.Error as exc:
            raise ApiError(503, "server_unreachable", _unreachable(server_id, exc)) from None

    @router.get(
        "/servers/{server_id}/jobs/{job_id}/runs/{run_id}/steps/{step_run_id}/output",
        summary="The whole output of one step run",
    )
    async def step_output(server_id: str, job_id: int, run_id: int, step_run_id: int) -> StepOutput:
        watcher = _watcher(hub, server_id)
        params = {"job": job_id, "run": run_id, "step_run": step_run_id}
        try:
            # A private connection: the watcher's own is busy with its looks.
            async with await watcher._connect(read_only=True) as conn:
                cur = await conn.execute(query("history_step_output"), params)
                row = await cur.fetchone()
        except psycopg.Error as exc:
            raise ApiError(503, "server_unreachable", _unreachable(server_id, exc)) from None
        if row is None:
            what = f"no step run {step_run_id} in run {run_id} of job {job_id}"
            raise ApiError(404, "not_found", f"{what} on server {server_id!r}")
        return StepOutput(output=row[0], output_size=row[1])

    return router


async def _runs(watcher: Watcher, job_id: int, before: int, limit: int) -> RunPage:
    async with await watcher._connect(read_only=True) as conn:
        cur = await conn.execute(query("history_job"), {"job": job_id})
        if await cur.fetchone() is None:
            raise ApiError(404, "not_found", f"no job {job_id} on server {watcher.server['id']!r}")

        # One more than asked: whether it comes tells if there is a next page.
        params = {"job": job_id, "before": before, "limit": limit + 1}
        runs = await (await conn.execute(query("history_runs"), params)).fetchall()
        more = len(runs) > limit
        runs = runs[:limit]

        ids = [r[0] for r in runs]
        steps_params = {"runs": ids, "excerpt_chars": OUTPUT_EXCERPT_BYTES}
        step_rows = await (await conn.execute(query("history_steps"), steps_params)).fetchall()

    steps: dict[int, list[StepRun]] = {run_id: [] for run_id in ids}
    for r in step_rows:
        steps[r[1]].append(_step(r))
    page = [
        Run(
            id=r[0],
            status=_run_status(r[1], steps[r[0]]),
            started_at=r[2],
            duration=r[3],
            steps=steps[r[0]],
        )
        for r in runs
    ]
    return RunPage(runs=page, next_before=ids[-1] if more else None)


def _step(r: tuple[Any, ...]) -> StepRun:
    kind = {"s": "sql", "b": "batch"}.get(r[10] or "", "")
    return StepRun(
        id=r[0],
        step_id=r[2],
        name=r[9] or f"step {r[2]} (deleted)",
        kind=kind,
        status=_step_status(r[3], kind, r[4]),
        result=r[4],
        started_at=r[5],
        duration=r[6],
        output=excerpt(r[7]),
        output_size=r[8],
    )


def _step_status(letter: str, kind: str, result: int | None) -> str:
    try:
        status = StepRunStatus.from_letter(letter)
    except ValueError:
        return "unknown"
    # pgAgent stores `s` for a step that failed under on-error = succeed; its result tells.
    failed = result is not None and (result == -1 if kind == "sql" else result != 0)
    if status is StepRunStatus.SUCCEEDED and kind and failed:
        return "failed_as_success"
    return str(status)


def _run_status(letter: str, steps: list[StepRun]) -> str:
    try:
        status = JobRunStatus.from_letter(letter)
    except ValueError:
        return "unknown"
    warned = any(s.status in ("ignored", "failed_as_success") for s in steps)
    if status is JobRunStatus.SUCCEEDED and warned:
        return "succeeded_with_warnings"
    return str(status)


def _watcher(hub: Hub, server_id: str) -> Watcher:
    try:
        return hub.watchers[server_id]
    except KeyError:
        raise ApiError(404, "not_found", f"no server {server_id!r}") from None


def _unreachable(server_id: str, exc: psycopg.Error) -> str:
    first = (str(exc).strip() or type(exc).__name__).splitlines()[0]
    return f"server {server_id!r} did not answer: {first}"
