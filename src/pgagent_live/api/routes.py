"""Routes of the REST API: servers, jobs, a job's details, and run now."""

import contextlib
import logging
from collections.abc import Iterator
from typing import Annotated, Any

import psycopg
from fastapi import APIRouter, Depends, Header, Request

from pgagent_live.api.errors import ApiError
from pgagent_live.config import Settings
from pgagent_live.hub.hub import Hub
from pgagent_live.security.guard import Guard
from pgagent_live.security.origins import peer_of
from pgagent_live.security.tokens import Action, Principal, Refusal
from pgagent_live.watch.events import JobState, RunDetail, StepOutput
from pgagent_live.watch.watcher import JobNotFoundError, RunNotFoundError, Watcher


def build_router(settings: Settings, hub: Hub, guard: Guard) -> APIRouter:
    """The ``/api/v1`` routes, all behind a token, each answering what the token may see."""

    async def require_token(
        request: Request, authorization: Annotated[str | None, Header()] = None
    ) -> Principal:
        address = peer_of(request.scope)
        given = None
        if authorization:
            scheme, _, credentials = authorization.partition(" ")
            if scheme.lower() != "bearer":
                expected = "expected the header 'Authorization: Bearer TOKEN'"
                refuse(address, Refusal("auth_invalid", f"{expected}, found another scheme"))
            given = credentials.strip()

        result = guard.authenticator.authenticate(given)
        if isinstance(result, Refusal):
            # Refused calls count like connection attempts, so that guessing is slow too.
            if not guard.limits.connect(address):
                refuse(address, Refusal("rate_limited", "too many refused calls: wait"))
            refuse(address, result)
        assert isinstance(result, Principal)
        if not guard.limits.call(result.token_id):
            refuse(address, Refusal("rate_limited", "too many calls with this token: slow down"))
        guard.note_use(result, address)
        request.state.principal = result

        # Every route under a server, this module's or another's, is scoped here at once.
        server_id = request.path_params.get("server_id")
        if isinstance(server_id, str) and not result.sees(server_id):
            raise ApiError(404, "not_found", f"no server {server_id!r}")
        return result

    def refuse(address: str, refusal: Refusal) -> None:
        status = {"auth_required": 401, "auth_invalid": 401, "auth_expired": 401}.get(
            refusal.code, 429 if refusal.code == "rate_limited" else 403
        )
        security_log.warning("call refused from %s: %s", address, refusal.code)
        raise ApiError(status, refusal.code, refusal.message)

    def allow(request: Request, action: Action, what: str) -> None:
        principal: Principal = request.state.principal
        if not principal.may(action):
            refuse(
                peer_of(request.scope),
                Refusal(
                    "forbidden",
                    f"{what} needs a role that may {action}; the token is {principal.role}",
                ),
            )

    def watcher(server_id: str, request: Request | None = None) -> Watcher:
        # A server out of the token's scope answers like one that does not exist.
        principal: Principal | None = request.state.principal if request else None
        if server_id not in hub.watchers or (principal and not principal.sees(server_id)):
            raise ApiError(404, "not_found", f"no server {server_id!r}")
        return hub.watchers[server_id]

    @contextlib.contextmanager
    def answering(server_id: str) -> Iterator[None]:
        """Answer a vanished job or run with 404 and a failing server with 503."""
        try:
            yield
        except (JobNotFoundError, RunNotFoundError) as exc:
            raise ApiError(404, "not_found", str(exc)) from None
        except psycopg.Error as exc:
            message = guard.redactor.text(_unreachable(server_id, exc))
            raise ApiError(503, "server_unreachable", message) from None

    router = APIRouter(prefix="/api/v1", dependencies=[Depends(require_token)])

    @router.get("/config", summary="Settings the page needs")
    async def get_config() -> dict[str, Any]:
        return settings.client_config()

    @router.get("/servers", summary="Monitored servers and their state")
    async def list_servers(request: Request) -> list[dict[str, Any]]:
        principal: Principal = request.state.principal
        return [server for server in hub.servers() if principal.sees(server["id"])]

    @router.get("/servers/{server_id}/jobs", summary="A server's jobs with their last run")
    async def list_jobs(server_id: str, request: Request) -> list[JobState]:
        found = watcher(server_id, request)

        # An empty list would read as "no jobs" for a server that was never read.
        if not found.seeded:
            message = f"server {server_id!r} has not been read yet: it is {found.state}"
            raise ApiError(503, "server_unreachable", guard.redactor.text(message))
        return found.job_states()

    @router.get("/servers/{server_id}/jobs/{job_id}", summary="A job with steps and schedules")
    async def get_job(server_id: str, job_id: int, request: Request) -> dict[str, Any]:
        with answering(server_id):
            state, detail = await watcher(server_id, request).job_detail(job_id)

        # Steps' connection strings and outputs may carry passwords: nothing leaves unmasked.
        job_class, created, changed = detail.facts or ("", None, None)
        return guard.redactor.value(
            {
                **state,
                "job_class": job_class,
                "created": created.isoformat() if created else None,
                "changed": changed.isoformat() if changed else None,
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
        )

    @router.post("/servers/{server_id}/jobs/{job_id}/run", status_code=202, summary="Run a job now")
    async def run_job(server_id: str, job_id: int, request: Request) -> dict[str, bool]:
        allow(request, "operate", "run now")
        with answering(server_id):
            await watcher(server_id, request).run_now(job_id)
        return {"ok": True}

    @router.post("/servers/{server_id}/jobs/{job_id}/enable", summary="Enable a job")
    async def enable_job(server_id: str, job_id: int, request: Request) -> dict[str, bool]:
        allow(request, "operate", "enable")
        with answering(server_id):
            await watcher(server_id, request).set_enabled(job_id, True)
        return {"ok": True}

    @router.post("/servers/{server_id}/jobs/{job_id}/disable", summary="Disable a job")
    async def disable_job(server_id: str, job_id: int, request: Request) -> dict[str, bool]:
        allow(request, "operate", "disable")
        with answering(server_id):
            await watcher(server_id, request).set_enabled(job_id, False)
        return {"ok": True}

    @router.get("/servers/{server_id}/runs/{run_id}", summary="A run with all its step runs")
    async def get_run(server_id: str, run_id: int, request: Request) -> RunDetail:
        with answering(server_id):
            detail = await watcher(server_id, request).run_detail(run_id)
        return guard.redactor.value(detail)

    @router.get(
        "/servers/{server_id}/runs/{run_id}/steps/{step_run_id}/output",
        summary="A step run's whole output",
    )
    async def get_step_output(
        server_id: str, run_id: int, step_run_id: int, request: Request
    ) -> StepOutput:
        with answering(server_id):
            output = await watcher(server_id, request).step_output(run_id, step_run_id)
        return guard.redactor.value(output)

    return router


security_log = logging.getLogger("pgagent_live.security")

_ON_ERROR = {"f": "fail", "s": "succeed", "i": "ignore"}


def _unreachable(server_id: str, exc: psycopg.Error) -> str:
    first = (str(exc).strip() or type(exc).__name__).splitlines()[0]
    return f"server {server_id!r} did not answer: {first}"
