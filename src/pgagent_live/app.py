"""The ASGI application: page, REST API and Socket.IO on one port, with the watchers."""

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from importlib import resources
from pathlib import Path

import socketio
from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pgagent_live import __version__
from pgagent_live.api.errors import (
    ApiError,
    api_error_handler,
    http_error_handler,
    validation_error_handler,
)
from pgagent_live.api.history import build_history_router
from pgagent_live.api.routes import build_router
from pgagent_live.config import Settings
from pgagent_live.hub.hub import Hub
from pgagent_live.hub.namespace import PgAgentNamespace
from pgagent_live.prefix import under_prefix
from pgagent_live.security.guard import Guard
from pgagent_live.security.origins import OriginPolicy
from pgagent_live.security.ratelimit import RateLimits
from pgagent_live.security.redaction import Redactor, redact_log_records
from pgagent_live.security.tokens import Authenticator
from pgagent_live.watch.alerts import Thresholds
from pgagent_live.watch.watcher import Watcher

logger = logging.getLogger(__name__)

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'none'",
    ]
)


def static_dir() -> Path:
    """Where the built page lives inside the package."""
    return Path(str(resources.files("pgagent_live").joinpath("static")))


def redactor_for(settings: Settings, token: str | None) -> Redactor:
    """A redactor that knows the passwords of the monitored servers and the main token."""
    redactor = Redactor([token] if token else [])
    for entry in settings.servers.values():
        redactor.add_conninfo(entry.conninfo)
    return redactor


def create_app(
    settings: Settings,
    token: str | None,
    *,
    tokens_file: Path | None = None,
    redactor: Redactor | None = None,
) -> ASGIApp:
    """The whole service for the given settings; the watchers run while it is served.

    ``token`` is the main token, allowed everything; ``tokens_file`` the settings file whose
    issued tokens are reread while serving.
    """
    redactor = redactor or redactor_for(settings, token)
    redact_log_records(redactor)
    origins = OriginPolicy(settings.allowed_origins)
    guard = Guard(
        Authenticator(token, settings.tokens),
        RateLimits(settings.rate_connect, settings.rate_messages, settings.rate_calls),
        origins,
        redactor,
        tokens_file,
    )
    sio = socketio.AsyncServer(
        async_mode="asgi",
        max_http_buffer_size=settings.max_message_bytes,
        cors_allowed_origins=origins,
        logger=settings.debug_mode,
        engineio_logger=settings.debug_mode,
    )
    hub = Hub(sio, window=settings.replay_window, redactor=redactor)
    for server_id, entry in settings.servers.items():
        hub.add(
            Watcher(
                server_id,
                entry.conninfo,
                name=entry.name,
                interval=settings.poll_interval,
                on_events=hub.publish,
                on_state=hub.server_state,
                mode=settings.watch_mode,
                safety_interval=settings.safety_poll_interval,
                health_timeout=settings.health_timeout,
                limits=Thresholds(
                    claim_grace=settings.claim_grace,
                    overdue_grace=settings.overdue_grace,
                    long_running_factor=settings.long_running_factor,
                    long_running_min_excess=settings.long_running_min_excess,
                ),
            )
        )
    namespace = PgAgentNamespace(hub, guard)
    if settings.websocket_enabled:
        sio.register_namespace(namespace)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        tasks = [
            asyncio.create_task(watcher.run(), name=f"watch {server_id}")
            for server_id, watcher in hub.watchers.items()
        ]
        tasks.append(
            asyncio.create_task(namespace.recheck_forever(settings.token_recheck), name="tokens")
        )
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    api = FastAPI(
        title="pgagent-live",
        version=__version__,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/v1/openapi.json",
    )
    api.state.hub = hub
    api.add_exception_handler(ApiError, api_error_handler)
    api.add_exception_handler(RequestValidationError, validation_error_handler)
    api.add_exception_handler(StarletteHTTPException, http_error_handler)
    router = build_router(settings, hub, guard)
    router.include_router(build_history_router(hub))  # under the same prefix and token check
    api.include_router(router)
    if settings.allowed_origins:
        api.add_middleware(
            CORSMiddleware,
            allow_origins=settings.allowed_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type"],
        )

    page = static_dir()

    @api.get("/", include_in_schema=False)
    async def index() -> Response:
        index_file = page / "index.html"
        if not index_file.is_file():
            return JSONResponse(
                {"code": "page_not_built", "message": "the page is not built: run 'make build'"},
                status_code=503,
            )
        return FileResponse(index_file, headers={"Cache-Control": "no-cache"})

    api.mount("/static", StaticFiles(directory=page, check_dir=False), name="static")

    api_app: ASGIApp = RedactedResponses(api, redactor)
    app = socketio.ASGIApp(
        sio, other_asgi_app=api_app, socketio_path=settings.socket_path.strip("/")
    )
    return under_prefix(settings.url_prefix, SecurityHeaders(app))


class SecurityHeaders:
    """Adds the headers every response of the service carries."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        is_api = str(scope.get("path", "")).startswith("/api/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [
                    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"x-frame-options", b"DENY"),
                ]
                if is_api:
                    headers.append((b"cache-control", b"no-store"))
                if scope.get("scheme") == "https":
                    headers.append((b"strict-transport-security", b"max-age=31536000"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class RedactedResponses:
    """Masks secrets in every JSON answer of the REST API, whichever route made it."""

    def __init__(self, app: ASGIApp, redactor: Redactor) -> None:
        self.app = app
        self.redactor = redactor

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not str(scope.get("path", "")).startswith("/api/"):
            await self.app(scope, receive, send)
            return

        start: Message | None = None
        chunks: list[bytes] = []

        async def send_redacted(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                types = [v for k, v in message.get("headers", []) if k == b"content-type"]
                if not (types and types[0].startswith(b"application/json")):
                    start = None
                    await send(message)
                    return
                start = message
                return
            if start is None or message["type"] != "http.response.body":
                await send(message)
                return

            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            body = self._redact(b"".join(chunks))
            kept = [(k, v) for k, v in start.get("headers", []) if k != b"content-length"]
            kept.append((b"content-length", str(len(body)).encode()))
            await send({**start, "headers": kept})
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, send_redacted)

    def _redact(self, body: bytes) -> bytes:
        try:
            data = json.loads(body)
        except ValueError:
            return body
        return json.dumps(self.redactor.value(data), separators=(",", ":")).encode()
