"""The service run inside a test on a free port, and a Socket.IO client that records."""

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import psycopg
import socketio
import uvicorn

from pgagent_live.app import create_app
from pgagent_live.config import ServerEntry, Settings

TOKEN = "test-token"


AUTH = {"Authorization": f"Bearer {TOKEN}"}


def sql(conninfo: str, statement: str, params: Any = None) -> list[tuple[Any, ...]]:
    """Run one statement on its own connection; its rows, if it returns any."""
    with psycopg.connect(conninfo, autocommit=True) as conn:
        cur = conn.execute(statement, params)
        return cur.fetchall() if cur.description else []


def of_type(client: "Recorder", job_id: int, kind: str) -> list[dict[str, Any]]:
    return [e for e in client.of_job(job_id) if e["type"] == kind]


async def wait_type(client: "Recorder", job_id: int, kind: str, timeout: float = 60) -> None:
    await client.wait_for(lambda _: bool(of_type(client, job_id, kind)), timeout)


async def rest(url: str, path: str) -> Any:
    """GET an API path with the test token; the answer must be 200."""
    async with httpx.AsyncClient(base_url=url, headers=AUTH) as http:
        response = await http.get(f"/api/v1{path}")
        assert response.status_code == 200, response.text
        return response.json()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Running:
    url: str
    settings: Settings


@contextlib.asynccontextmanager
async def running_service(
    servers: dict[str, str], port: int | None = None, **settings: Any
) -> AsyncIterator[Running]:
    """Serve the given servers (id to conninfo) until the block ends, on ``port`` when given."""
    port = port or free_port()
    config = Settings(
        websocket_port=port,
        poll_interval=settings.pop("poll_interval", 0.5),
        servers={sid: ServerEntry(conninfo=conninfo) for sid, conninfo in servers.items()},
        **settings,
    )
    server = uvicorn.Server(
        uvicorn.Config(create_app(config, TOKEN), host="127.0.0.1", port=port, log_level="warning")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    try:
        yield Running(url=f"http://127.0.0.1:{port}", settings=config)
    finally:
        server.should_exit = True
        await task


@dataclass
class Recorder:
    """A real Socket.IO client that keeps everything the service sends it."""

    client: socketio.AsyncClient
    events: list[dict[str, Any]] = field(default_factory=list)
    snapshots: list[dict[str, Any]] = field(default_factory=list)
    statuses: list[dict[str, Any]] = field(default_factory=list)
    refusals: list[Any] = field(default_factory=list)

    async def wait_for(
        self, check: Callable[[list[dict[str, Any]]], bool], timeout: float = 60
    ) -> list[dict[str, Any]]:
        """Wait until ``check`` holds over the events received so far."""
        async with asyncio.timeout(timeout):
            while not check(self.events):
                await asyncio.sleep(0.05)
        return self.events

    def of_job(self, job_id: int) -> list[dict[str, Any]]:
        return [event for event in self.events if event.get("job", {}).get("id") == job_id]


@contextlib.asynccontextmanager
async def recorder(url: str, auth: Any = None) -> AsyncIterator[Recorder]:
    """A client connected to ``/pgagent`` with the given auth (the test token by default)."""
    client = socketio.AsyncClient(reconnection=False)
    rec = Recorder(client)

    @client.on("job_status_update", namespace="/pgagent")  # type: ignore[untyped-decorator]
    async def on_update(data: Any) -> None:
        rec.events.extend(data if isinstance(data, list) else [data])

    @client.on("snapshot", namespace="/pgagent")  # type: ignore[untyped-decorator]
    async def on_snapshot(data: Any) -> None:
        rec.snapshots.append(data)

    @client.on("server_status", namespace="/pgagent")  # type: ignore[untyped-decorator]
    async def on_status(data: Any) -> None:
        rec.statuses.append(data)

    await client.connect(
        url,
        namespaces=["/pgagent"],
        auth={"token": TOKEN} if auth is None else auth,
        transports=["websocket"],
        wait_timeout=10,
    )
    try:
        yield rec
    finally:
        await client.disconnect()
