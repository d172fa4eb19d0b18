"""Serving the application with uvicorn until SIGINT or SIGTERM."""

import asyncio
import contextlib
import errno
import logging
import signal
import socket
from collections.abc import Callable, Iterator

import uvicorn

from pgagent_live.app import create_app
from pgagent_live.config import Settings

logger = logging.getLogger(__name__)


class PortInUseError(Exception):
    """The port the service should listen on is taken."""


class _Server(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, on_started: Callable[[], None]) -> None:
        super().__init__(config)
        self._on_started = on_started

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            self._on_started()

    # Signals are ours: uvicorn would re-raise them after shutdown and skip our clean-up.
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def page_url(host: str, port: int, token: str) -> str:
    """The page's address with the token in its fragment, which no server log ever sees."""
    shown = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/#token={token}"


def ensure_port_free(host: str, port: int) -> None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise PortInUseError(
                    f"port {port} on {host} is already in use: choose another with --port"
                ) from None
            raise PortInUseError(f"cannot listen on {host}:{port}: {exc.strerror}") from None


async def serve(settings: Settings, token: str, on_ready: Callable[[str], None]) -> None:
    """Serve until a signal asks to stop; ``on_ready`` gets the page's URL once listening."""
    config = uvicorn.Config(
        create_app(settings, token),
        host=settings.host,
        port=settings.websocket_port,
        lifespan="on",
        log_level="debug" if settings.debug_mode else "warning",
        access_log=settings.debug_mode,
        ws_max_size=64 * 1024,
    )
    url = page_url(settings.host, settings.websocket_port, token)
    server = _Server(config, lambda: on_ready(url))

    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, _stop, server)

    try:
        await server.serve()
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)


def _stop(server: uvicorn.Server) -> None:
    logger.info("stopping")
    server.should_exit = True
