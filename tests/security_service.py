"""The service served as ``serve`` serves it, with tokens and limits, and clients that record."""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import socketio
import uvicorn

from pgagent_live.app import create_app
from pgagent_live.config import Settings, load_settings
from pgagent_live.security.tokenfile import create_token
from pgagent_live.service import uvicorn_config
from tests.live_service import free_port

MAIN_TOKEN = "main-test-token-0123456789"


@dataclass
class Served:
    url: str
    settings: Settings
    tokens_file: Path

    def issue(self, role: str, servers: list[str] | None = None, **kwargs: Any) -> str:
        """A new token of ``role`` written to the settings file; the service rereads it."""
        return create_token(self.tokens_file, role, servers, **kwargs)[1]

    def rest(self, token: str | None = None, **kwargs: Any) -> httpx.AsyncClient:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        headers.update(kwargs.pop("headers", {}))
        return httpx.AsyncClient(base_url=self.url, headers=headers, **kwargs)


@contextlib.asynccontextmanager
async def serving(
    servers: dict[str, str],
    settings_file: Path,
    *,
    main_token: str | None = MAIN_TOKEN,
    **values: Any,
) -> AsyncIterator[Served]:
    """Serve ``servers`` with the settings file (its tokens are reread) and ``values``."""
    port = free_port()
    if not settings_file.exists():
        settings_file.write_text("")
    lines = [f"[servers.{sid}]\nconninfo = {conninfo!r}\n" for sid, conninfo in servers.items()]
    settings_file.write_text(settings_file.read_text() + "\n" + "\n".join(lines))
    values.setdefault("poll_interval", 0.5)
    values.setdefault("token_recheck", 0.3)
    settings = load_settings(settings_file, websocket_port=port, token=main_token, **values)

    app = create_app(settings, main_token, tokens_file=settings_file)
    server = uvicorn.Server(uvicorn_config(settings, app))
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    scheme = "https" if settings.tls_cert else "http"
    try:
        yield Served(f"{scheme}://127.0.0.1:{port}", settings, settings_file)
    finally:
        server.should_exit = True
        await task


@dataclass
class Client:
    """A real Socket.IO client of ``/pgagent`` that keeps everything it gets."""

    sio: socketio.AsyncClient
    events: list[dict[str, Any]] = field(default_factory=list)
    snapshots: list[dict[str, Any]] = field(default_factory=list)
    ended: list[dict[str, Any]] = field(default_factory=list)
    disconnected: asyncio.Event = field(default_factory=asyncio.Event)

    async def ask(self, event: str, *data: Any, timeout: float = 10) -> Any:
        return await self.sio.call(
            event,
            data[0] if len(data) == 1 else data or None,
            namespace="/pgagent",
            timeout=timeout,
        )

    async def wait_for(self, check: Callable[[], bool], timeout: float = 60) -> None:
        async with asyncio.timeout(timeout):
            while not check():
                await asyncio.sleep(0.05)


async def connect(url: str, auth: Any, **kwargs: Any) -> Client:
    """A connected client; raises ``socketio.exceptions.ConnectionError`` when refused."""
    sio = socketio.AsyncClient(reconnection=False, **kwargs.pop("client", {}))
    client = Client(sio)

    @sio.on("job_status_update", namespace="/pgagent")  # type: ignore[untyped-decorator]
    async def on_update(data: Any) -> None:
        client.events.extend(data if isinstance(data, list) else [data])

    @sio.on("snapshot", namespace="/pgagent")  # type: ignore[untyped-decorator]
    async def on_snapshot(data: Any) -> None:
        client.snapshots.append(data)

    @sio.on("session_ended", namespace="/pgagent")  # type: ignore[untyped-decorator]
    async def on_ended(data: Any) -> None:
        client.ended.append(data)

    @sio.on("disconnect", namespace="/pgagent")  # type: ignore[untyped-decorator]
    async def on_disconnect(*args: Any) -> None:
        client.disconnected.set()

    try:
        await sio.connect(
            url,
            namespaces=["/pgagent"],
            auth=auth,
            transports=["websocket"],
            wait_timeout=10,
            **kwargs,
        )
    except BaseException:
        await sio.disconnect()
        raise
    return client


async def refusal(url: str, auth: Any, **kwargs: Any) -> Any:
    """The ``data`` of the refusal of a connection that must be refused."""
    sio = socketio.AsyncClient(reconnection=False)
    refused: list[Any] = []

    @sio.on("connect_error", namespace="/pgagent")  # type: ignore[untyped-decorator]
    async def on_error(data: Any) -> None:
        refused.append(data)

    try:
        await sio.connect(
            url,
            namespaces=["/pgagent"],
            auth=auth,
            transports=["websocket"],
            wait_timeout=10,
            **kwargs,
        )
    except socketio.exceptions.ConnectionError as exc:
        return refused[0] if refused else str(exc)
    finally:
        await sio.disconnect()
    raise AssertionError("expected the connection to be refused, found it accepted")
