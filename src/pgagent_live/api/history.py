"""The route of a job's run history: runs paged from the newest, with their steps."""

from datetime import datetime
from typing import Annotated, Any

import psycopg
from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from pgagent_live.api.errors import ApiError
from pgagent_live.hub.hub import Hub
from pgagent_live.pgagent.queries import query
from pgagent_live.pgagent.status import JobRunStatus, StepRunStatus, run_status, step_status
from pgagent_live.security.tokens import Principal
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


def build_history_router(hub: Hub) -> APIRouter:
    """The history route, relative to the router it is included in (which checks tokens).

    A step run's whole output is ``GET /servers/{server}/runs/{run}/steps/{step_run}/output``,
    next to the other routes of a run.
    """
    router = APIRouter()

    @router.get(
        "/servers/{server_id}/jobs/{job_id}/runs",
        summary="A job's runs with their steps, newest first, one page at a time",
    )
    async def list_runs(
        request: Request,
        server_id: str,
        job_id: int,
        before: Annotated[int | None, Query(ge=1, description="only runs below this id")] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 20,
    ) -> RunPage:
        principal: Principal | None = getattr(request.state, "principal", None)
        watcher = _watcher(hub, server_id, principal)
        try:
            page = await _runs(watcher, job_id, before or NEWEST, limit)
        except psycopg.Error as exc:
            message = hub.redactor.text(_unreachable(server_id, exc))
            raise ApiError(503, "server_unreachable", message) from None
        # Outputs may carry passwords, like everything else the API sends: none leaves unmasked.
        return RunPage.model_validate(hub.redactor.value(page.model_dump()))

    return router


async def _runs(watcher: Watcher, job_id: int, before: int, limit: int) -> RunPage:
    # A private connection: the watcher's own is busy with its looks.
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

    ended = {r[0]: JobRunStatus.of(r[1]).finished for r in runs}
    steps: dict[int, list[StepRun]] = {run_id: [] for run_id in ids}
    found: dict[int, list[StepRunStatus]] = {run_id: [] for run_id in ids}
    for r in step_rows:
        status = step_status(r[3], r[10], r[4], run_ended=ended[r[1]])
        steps[r[1]].append(_step(r, status))
        found[r[1]].append(status)
    page = [
        Run(
            id=r[0],
            status=run_status(r[1], found[r[0]]),
            started_at=r[2],
            duration=r[3],
            steps=steps[r[0]],
        )
        for r in runs
    ]
    return RunPage(runs=page, next_before=ids[-1] if more else None)


def _step(r: tuple[Any, ...], status: StepRunStatus) -> StepRun:
    return StepRun(
        id=r[0],
        step_id=r[2],
        name=r[9] or f"step {r[2]} (deleted)",
        kind={"s": "sql", "b": "batch"}.get(r[10] or "", ""),
        status=status.value,
        result=r[4],
        started_at=r[5],
        duration=r[6],
        output=excerpt(r[7]),
        output_size=r[8],
    )


def _watcher(hub: Hub, server_id: str, principal: Principal | None) -> Watcher:
    # A server out of the token's scope answers like one that does not exist.
    if server_id not in hub.watchers or (principal and not principal.sees(server_id)):
        raise ApiError(404, "not_found", f"no server {server_id!r}")
    return hub.watchers[server_id]


def _unreachable(server_id: str, exc: psycopg.Error) -> str:
    first = (str(exc).strip() or type(exc).__name__).splitlines()[0]
    return f"server {server_id!r} did not answer: {first}"
