"""Routes of the REST API: servers, jobs, a job's details, and run now."""

from typing import Annotated, Any

import psycopg
from fastapi import APIRouter, Depends, Header

from pgagent_live.api.errors import ApiError
from pgagent_live.auth import check_token
from pgagent_live.config import Settings
from pgagent_live.hub.hub import Hub
from pgagent_live.watch.events import JobState, RunDetail, StepOutput
from pgagent_live.watch.watcher import JobNotFoundError, RunNotFoundError, Watcher


def build_router(settings: Settings, hub: Hub, token: str) -> APIRouter:
    """The ``/api/v1`` routes, all behind the token."""

    async def require_token(authorization: Annotated[str | None, Header()] = None) -> None:
        given = None
        if authorization:
            scheme, _, credentials = authorization.partition(" ")
            if scheme.lower() != "bearer":
                expected = "expected the header 'Authorization: Bearer TOKEN'"
                raise ApiError(401, "auth_invalid", f"{expected}, found another scheme")
            given = credentials.strip()
        refusal = check_token(token, given)
        if refusal is not None:
            raise ApiError(401, refusal.code, refusal.message)

    def watcher(server_id: str) -> Watcher:
        try:
            return hub.watchers[server_id]
        except KeyError:
            raise ApiError(404, "not_found", f"no server {server_id!r}") from None

    router = APIRouter(prefix="/api/v1", dependencies=[Depends(require_token)])

    @router.get("/config", summary="Settings the page needs")
    async def get_config() -> dict[str, Any]:
        return settings.client_config()

    @router.get("/servers", summary="Monitored servers and their state")
    async def list_servers() -> list[dict[str, Any]]:
        return hub.servers()

    @router.get("/servers/{server_id}/jobs", summary="A server's jobs with their last run")
    async def list_jobs(server_id: str) -> list[JobState]:
        return watcher(server_id).job_states()

    @router.get("/servers/{server_id}/jobs/{job_id}", summary="A job with steps and schedules")
    async def get_job(server_id: str, job_id: int) -> dict[str, Any]:
        try:
            state, detail = await watcher(server_id).job_detail(job_id)
        except JobNotFoundError as exc:
            raise ApiError(404, "not_found", str(exc)) from None
        except psycopg.Error as exc:
            raise ApiError(503, "server_unreachable", _unreachable(server_id, exc)) from None
        return {
            **state,
            "steps": [
                {
                    "id": step.id,
                    "name": step.name,
                    "kind": "batch" if step.kind == "b" else "sql",
                    "enabled": step.enabled,
                    "on_error": _ON_ERROR.get(step.on_error, step.on_error),
                }
                for step in detail.steps
            ],
            "schedules": [
                {"id": s.id, "name": s.name, "enabled": s.enabled} for s in detail.schedules
            ],
        }

    @router.post("/servers/{server_id}/jobs/{job_id}/run", status_code=202, summary="Run a job now")
    async def run_job(server_id: str, job_id: int) -> dict[str, bool]:
        try:
            await watcher(server_id).run_now(job_id)
        except JobNotFoundError as exc:
            raise ApiError(404, "not_found", str(exc)) from None
        except psycopg.Error as exc:
            raise ApiError(503, "server_unreachable", _unreachable(server_id, exc)) from None
        return {"ok": True}

    @router.get("/servers/{server_id}/runs/{run_id}", summary="A run with all its step runs")
    async def get_run(server_id: str, run_id: int) -> RunDetail:
        try:
            return await watcher(server_id).run_detail(run_id)
        except RunNotFoundError as exc:
            raise ApiError(404, "not_found", str(exc)) from None
        except psycopg.Error as exc:
            raise ApiError(503, "server_unreachable", _unreachable(server_id, exc)) from None

    @router.get(
        "/servers/{server_id}/runs/{run_id}/steps/{step_run_id}/output",
        summary="A step run's whole output",
    )
    async def get_step_output(server_id: str, run_id: int, step_run_id: int) -> StepOutput:
        try:
            return await watcher(server_id).step_output(run_id, step_run_id)
        except RunNotFoundError as exc:
            raise ApiError(404, "not_found", str(exc)) from None
        except psycopg.Error as exc:
            raise ApiError(503, "server_unreachable", _unreachable(server_id, exc)) from None

    return router


_ON_ERROR = {"f": "fail", "s": "succeed", "i": "ignore"}


def _unreachable(server_id: str, exc: psycopg.Error) -> str:
    first = (str(exc).strip() or type(exc).__name__).splitlines()[0]
    return f"server {server_id!r} did not answer: {first}"
