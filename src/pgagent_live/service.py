"""Serving the application with uvicorn until SIGINT or SIGTERM."""

import asyncio
import contextlib
import errno
import ipaddress
import logging
import signal
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import uvicorn
from starlette.types import ASGIApp

from pgagent_live.app import create_app, redactor_for
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


def page_url(host: str, port: int, token: str | None, *, tls: bool = False) -> str:
    """The page's address with the token in its fragment, which no server log ever sees."""
    shown = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
    if ":" in shown:
        shown = f"[{shown}]"
    url = f"{'https' if tls else 'http'}://{shown}:{port}/"
    return f"{url}#token={token}" if token else url


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def uvicorn_config(settings: Settings, app: ASGIApp) -> uvicorn.Config:
    """How uvicorn serves the application: TLS, and forwarded headers from trusted proxies only."""
    tls = settings.tls_cert is not None
    return uvicorn.Config(
        app,
        host=settings.host,
        port=settings.websocket_port,
        lifespan="on",
        log_level="debug" if settings.debug_mode else "warning",
        access_log=settings.debug_mode,
        ws_max_size=settings.max_message_bytes,
        # uvicorn believes 127.0.0.1's forwarded headers unless told otherwise: tell it.
        proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=settings.trusted_proxies or [],
        ssl_certfile=str(settings.tls_cert) if tls else None,
        ssl_keyfile=str(settings.tls_key) if tls else None,
        server_header=False,
    )


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


async def serve(
    settings: Settings,
    token: str | None,
    on_ready: Callable[[str], None],
    *,
    tokens_file: Path | None = None,
) -> None:
    """Serve until a signal asks to stop; ``on_ready`` gets the page's URL once listening."""
    redactor = redactor_for(settings, token)
    app = create_app(settings, token, tokens_file=tokens_file, redactor=redactor)
    config = uvicorn_config(settings, app)

    tls = settings.tls_cert is not None
    if not tls and not is_loopback(settings.host):
        logger.warning(
            "listening on %s without TLS: tokens and job data cross the network in clear; "
            "set TLS_CERT and TLS_KEY or serve behind a TLS proxy",
            settings.host,
        )
    url = page_url(settings.host, settings.websocket_port, token, tls=tls)
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
