"""The Socket.IO namespace ``/pgagent``: who may connect, what each client sees and may ask."""

import asyncio
import contextlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

import psycopg
import socketio
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pgagent_live.hub.hub import NAMESPACE, Hub, JobFilter, job_room, server_room
from pgagent_live.security.guard import Guard
from pgagent_live.security.origins import peer_of
from pgagent_live.security.tokens import Action, Principal, Refusal
from pgagent_live.watch.events import Event
from pgagent_live.watch.watcher import JobNotFoundError

logger = logging.getLogger(__name__)
security_log = logging.getLogger("pgagent_live.security")

MAX_SUBSCRIBED_JOBS = 1000
MAX_PROGRESS_MESSAGE = 200

Ack = dict[str, Any]
_PRINTABLE = r"^[^\x00-\x1f\x7f]*$"


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


RequestT = TypeVar("RequestT", bound=_Request)


class Subscribe(_Request):
    """Follow a server, or only some of its jobs, instead of what is followed there now."""

    server: str = Field(min_length=1, max_length=200)
    jobs: list[int] | None = Field(default=None, max_length=MAX_SUBSCRIBED_JOBS)


class Unsubscribe(_Request):
    server: str = Field(min_length=1, max_length=200)


class Resync(_Request):
    """Ask for what was missed since ``seq`` of ``epoch``, or a snapshot when it is gone."""

    epoch: str | None = Field(default=None, max_length=64)
    seq: int | None = Field(default=None, ge=0)


class RunNow(_Request):
    server: str = Field(min_length=1, max_length=200)
    job: int = Field(ge=1, le=2**31 - 1)


class SetEnabled(_Request):
    server: str = Field(min_length=1, max_length=200)
    job: int = Field(ge=1, le=2**31 - 1)
    enabled: bool


class PublishProgress(_Request):
    """Progress of a running job, sent by a publisher from inside the job."""

    server: str = Field(min_length=1, max_length=200)
    job: int = Field(ge=1, le=2**31 - 1)
    run: int = Field(ge=1, le=2**31 - 1)
    percent: float | None = Field(default=None, ge=0, le=100, allow_inf_nan=False)
    message: str | None = Field(default=None, max_length=MAX_PROGRESS_MESSAGE, pattern=_PRINTABLE)


@dataclass(slots=True)
class Session:
    """One connected client: who it is and what it follows."""

    principal: Principal
    address: str
    follows: dict[str, frozenset[int] | None] = field(default_factory=dict)


class RequestError(Exception):
    """A request that is answered with ``{ok: false, error: {code, message}}``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def ok(data: Any = None) -> Ack:
    return {"ok": True, "data": data}


def failed(code: str, message: str) -> Ack:
    return {"ok": False, "error": {"code": code, "message": message}}


class PgAgentNamespace(socketio.AsyncNamespace):  # type: ignore[misc]
    """Clients of the live job status: each is refused or handed what its token may see."""

    def __init__(self, hub: Hub, guard: Guard) -> None:
        super().__init__(NAMESPACE)
        self.hub = hub
        self.guard = guard
        self.sessions: dict[str, Session] = {}

    async def trigger_event(self, event: Any, *args: Any) -> Any:
        """Every client event passes here: nothing a client sends may escape as an error."""
        if event == "connect":
            # A client can send an event named "connect"; only the real one finds no session.
            if args and args[0] in self.sessions:
                return failed("invalid_request", "'connect' is not a request")
            return await super().trigger_event(event, *args)
        if event == "disconnect":
            if args and self.server.manager.is_connected(args[0], NAMESPACE):
                return failed("invalid_request", "'disconnect' is not a request")
            return await super().trigger_event(event, *args)

        sid, payload = args[0], args[1:]
        name = event if isinstance(event, str) else repr(event)
        try:
            return await self._request(sid, name, payload)
        except RequestError as exc:
            return failed(exc.code, exc.message)
        except Exception:
            logger.exception("socket %s: request %.50r failed", sid, name)
            return failed("internal_error", "the request failed inside the service")

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        address = peer_of(environ.get("asgi.scope", {}))
        if not self.guard.limits.connect(address):
            self._refuse(address, Refusal("rate_limited", "too many connection attempts: wait"))

        given = auth.get("token") if isinstance(auth, dict) else None
        result = self.guard.authenticator.authenticate(given)
        if isinstance(result, Refusal):
            self._refuse(address, result)
        principal = cast(Principal, result)
        self.guard.note_use(principal, address)

        session = Session(principal, address)
        session.follows = {s: None for s in self.hub.watchers if principal.sees(s)}
        self.sessions[sid] = session
        resume = auth.get("resume") if isinstance(auth, dict) else None
        await self.hub.welcome(sid, session.follows, resume)
        logger.info("socket %s connected from %s with token %s", sid, address, principal.token_id)

    async def on_disconnect(self, sid: str, reason: Any = None) -> None:
        self.sessions.pop(sid, None)
        logger.info("socket %s disconnected", sid)

    async def end_lapsed_sessions(self) -> None:
        """Disconnect every socket whose token was revoked, expired or changed."""
        self.guard.reload_tokens()
        now = datetime.now(UTC)
        for sid, session in list(self.sessions.items()):
            refusal = self.guard.authenticator.recheck(session.principal, now)
            if refusal is None:
                continue
            security_log.warning(
                "socket %s from %s ended: %s", sid, session.address, refusal.message
            )
            await self.emit("session_ended", refusal.as_dict(), to=sid)
            self.sessions.pop(sid, None)
            await self.disconnect(sid)

    async def recheck_forever(self, interval: float) -> None:
        """End lapsed sessions every ``interval`` seconds until cancelled."""
        while True:
            await asyncio.sleep(interval)
            try:
                await self.end_lapsed_sessions()
            except Exception:
                logger.exception("token recheck failed")

    async def _request(self, sid: str, event: str, payload: tuple[Any, ...]) -> Ack:
        session = self.sessions.get(sid)
        if session is None:
            raise RequestError("auth_required", "the socket has no session: connect again")
        if not self.guard.limits.message(sid):
            raise RequestError("rate_limited", "too many messages: slow down")

        data = payload[0] if payload else None
        if event == "subscribe":
            return await self._subscribe(sid, session, _parse(Subscribe, data))
        if event == "unsubscribe":
            return await self._unsubscribe(sid, session, _parse(Unsubscribe, data))
        if event == "resync":
            return self._resync(session, _parse(Resync, data if data is not None else {}))
        if event == "run_now":
            return await self._run_now(session, _parse(RunNow, data))
        if event == "set_enabled":
            return await self._set_enabled(session, _parse(SetEnabled, data))
        if event == "job_status_update":
            return await self._publish(session, _parse(PublishProgress, data))
        raise RequestError(
            "unknown_event",
            "expected subscribe, unsubscribe, resync, run_now, set_enabled or job_status_update, "
            f"found {event[:50]!r}",
        )

    async def _subscribe(self, sid: str, session: Session, request: Subscribe) -> Ack:
        self._visible(session, request.server)
        await self._leave(sid, session, request.server)

        jobs = frozenset(request.jobs) if request.jobs is not None else None
        session.follows[request.server] = jobs
        if jobs is None:
            await self.enter_room(sid, server_room(request.server))
        else:
            for job_id in jobs:
                await self.enter_room(sid, job_room(request.server, job_id))
        return ok(self.hub.snapshot([request.server], {request.server: jobs}))

    async def _unsubscribe(self, sid: str, session: Session, request: Unsubscribe) -> Ack:
        self._visible(session, request.server)
        await self._leave(sid, session, request.server)
        return ok()

    async def _set_enabled(self, session: Session, request: SetEnabled) -> Ack:
        self._allowed(session, "operate", "set_enabled")
        watcher = self.hub.watchers[self._visible(session, request.server)]
        with self._answering(request.server):
            await watcher.set_enabled(request.job, request.enabled)
        logger.info(
            "job %s on %s %s by token %s",
            request.job,
            request.server,
            "enabled" if request.enabled else "disabled",
            session.principal.token_id,
        )
        return ok()

    @contextlib.contextmanager
    def _answering(self, server_id: str) -> Iterator[None]:
        """Answer a vanished job with not_found and a failing server with server_unreachable."""
        try:
            yield
        except JobNotFoundError as exc:
            raise RequestError("not_found", str(exc)) from None
        except psycopg.Error as exc:
            first = (str(exc).strip() or type(exc).__name__).splitlines()[0]
            message = f"server {server_id!r} did not answer: {first}"
            raise RequestError("server_unreachable", self.guard.redactor.text(message)) from None

    def _resync(self, session: Session, request: Resync) -> Ack:
        missed = self.hub.replay(request.epoch, request.seq, session.follows)
        if missed is not None:
            return ok({"events": missed})
        return ok({"snapshot": self._snapshot(session)})

    async def _run_now(self, session: Session, request: RunNow) -> Ack:
        self._allowed(session, "operate", "run_now")
        watcher = self.hub.watchers[self._visible(session, request.server)]
        with self._answering(request.server):
            await watcher.run_now(request.job)
        logger.info(
            "run now of job %s on %s by token %s",
            request.job,
            request.server,
            session.principal.token_id,
        )
        return ok()

    async def _publish(self, session: Session, request: PublishProgress) -> Ack:
        self._allowed(session, "publish", "job_status_update")
        if request.percent is None and not request.message:
            raise RequestError("invalid_request", "expected 'percent' or 'message', found neither")
        watcher = self.hub.watchers[self._visible(session, request.server)]

        # Only the run the service itself sees running: a publisher cannot invent runs.
        state = watcher.tracker.job_state(request.job)
        last = state["last_run"] if state else None
        if (
            state is None
            or last is None
            or last["id"] != request.run
            or last["status"] != "running"
        ):
            raise RequestError(
                "not_running",
                f"expected run {request.run} of job {request.job} to be running on "
                f"{request.server!r}, found it is not",
            )

        now = datetime.now(UTC)
        started = datetime.fromisoformat(last["started_at"])
        job_row = watcher.tracker.jobs.get(request.job)
        # A known shortcoming: occurred_at is the service's clock here, not the database's,
        # since a publisher's message reaches no database.
        event = cast(
            Event,
            {
                "seq": 0,
                "epoch": "",
                "type": "job_progress",
                "occurred_at": now.isoformat(),
                "server": watcher.server,
                "job": {"id": state["id"], "name": state["name"], "enabled": state["enabled"]},
                "run": {
                    "id": last["id"],
                    "status": last["status"],
                    "started_at": last["started_at"],
                    "duration": None,
                    "agent_host": job_row.agent_host if job_row else None,
                },
                "progress": {
                    "done": last["steps_done"],
                    "total": last["steps_total"],
                    "elapsed": max((now - started).total_seconds(), 0.0),
                    "percent": request.percent,
                    "message": request.message,
                    "published_by": session.principal.token_id,
                },
            },
        )
        await self.hub.publish([event])
        return ok()

    def _visible(self, session: Session, server_id: str) -> str:
        # A server out of scope answers like one that does not exist.
        if server_id not in self.hub.watchers or not session.principal.sees(server_id):
            raise RequestError("not_found", f"no server {server_id[:200]!r}")
        return server_id

    def _allowed(self, session: Session, action: Action, what: str) -> None:
        if not session.principal.may(action):
            security_log.warning(
                "%s refused to token %s (%s) from %s",
                what,
                session.principal.token_id,
                session.principal.role,
                session.address,
            )
            raise RequestError(
                "forbidden",
                f"{what} needs a role that may {action}; the token is {session.principal.role}",
            )

    async def _leave(self, sid: str, session: Session, server_id: str) -> None:
        followed = session.follows.pop(server_id, None)
        await self.leave_room(sid, server_room(server_id))
        for job_id in followed or ():
            await self.leave_room(sid, job_room(server_id, job_id))

    def _snapshot(self, session: Session) -> Any:
        jobs: JobFilter = session.follows
        return self.hub.snapshot(list(session.follows), jobs)

    def _refuse(self, address: str, refusal: Refusal) -> None:
        security_log.warning("socket refused from %s: %s", address, refusal.code)
        raise socketio.exceptions.ConnectionRefusedError(refusal.message, refusal.as_dict())


def _parse(model: type[RequestT], data: Any) -> RequestT:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        where = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'message'}: {e['msg']}"
            for e in exc.errors()[:5]
        )
        raise RequestError("invalid_request", f"expected {model.__name__}: {where}") from None
