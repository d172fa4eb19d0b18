"""The ``pgagent-live`` command: serve, demo."""

import asyncio
import logging
import secrets
import signal
import sys
from pathlib import Path
from types import FrameType
from typing import Any

import click

from pgagent_live.admin import check_command, triggers_group
from pgagent_live.config import ConfigError, ServerEntry, Settings, load_settings
from pgagent_live.service import PortInUseError, ensure_port_free, serve


@click.group()
@click.version_option(package_name="pgagent-live")
def main() -> None:
    """Live status of pgAgent jobs, pushed to a web page, programs and terminals."""


@main.command("serve")
@click.option(
    "--config",
    "config_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="TOML settings file.",
)
@click.option(
    "--server",
    "servers",
    multiple=True,
    metavar="NAME=CONNINFO",
    help="A server to watch; NAME is its id. Repeatable.",
)
@click.option("--host", default=None, help="Address to listen on (default 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port to listen on (default 5050).")
@click.option("--token", default=None, help="Token that opens the service (default: random).")
@click.option(
    "--poll-interval",
    type=float,
    default=None,
    help="Seconds between two looks at each server (default 1).",
)
@click.option("--debug", is_flag=True, default=None, help="Verbose logs.")
def serve_command(
    config_file: Path | None,
    servers: tuple[str, ...],
    host: str | None,
    port: int | None,
    token: str | None,
    poll_interval: float | None,
    debug: bool | None,
) -> None:
    """Watch existing PostgreSQL servers and serve their pgAgent jobs live."""
    flags: dict[str, Any] = {
        "host": host,
        "websocket_port": port,
        "token": token,
        "poll_interval": poll_interval,
        "debug_mode": debug,
    }
    settings = _settings(config_file, flags)
    named = dict(_parse_server(value) for value in servers)
    if named:
        settings = settings.model_copy(update={"servers": {**settings.servers, **named}})
    if not settings.servers:
        raise click.UsageError("no server to watch: give --server NAME=CONNINFO or --config")

    _run(settings)


@main.command("demo")
@click.option(
    "--data-dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Where the private cluster lives (created on first use).",
)
@click.option("--host", default=None, help="Address to listen on (default 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port to listen on (default 5050).")
@click.option("--token", default=None, help="Token that opens the service (default: random).")
@click.option("--debug", is_flag=True, default=None, help="Verbose logs.")
def demo_command(
    data_dir: Path | None,
    host: str | None,
    port: int | None,
    token: str | None,
    debug: bool | None,
) -> None:
    """Run a private PostgreSQL with the real pgAgent daemon and sample jobs, and serve it."""
    from pgagent_live.demo.environment import default_data_dir, demo_environment

    flags = {"host": host, "websocket_port": port, "token": token, "debug_mode": debug}
    settings = _settings(None, flags)
    _check_port(settings)

    directory = data_dir or default_data_dir()
    _terminate_as_exit()
    click.echo(f"starting the demo cluster in {directory}", err=True)
    with demo_environment(directory) as demo:
        entry = ServerEntry(conninfo=demo.conninfo, name="pgAgent demo")
        _run(settings.model_copy(update={"servers": {"demo": entry}}), checked=True)


def _settings(config_file: Path | None, flags: dict[str, Any]) -> Settings:
    try:
        settings = load_settings(config_file, **flags)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    logging.basicConfig(
        level=logging.DEBUG if settings.debug_mode else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    return settings


def _run(settings: Settings, *, checked: bool = False) -> None:
    if not checked:
        _check_port(settings)
    token = settings.token or secrets.token_urlsafe(24)
    _terminate_as_exit()

    def ready(url: str) -> None:
        click.echo(f"pgagent-live is serving on {url}")

    asyncio.run(serve(settings, token, ready))


def _check_port(settings: Settings) -> None:
    try:
        ensure_port_free(settings.host, settings.websocket_port)
    except PortInUseError as exc:
        raise click.ClickException(str(exc)) from None


def _parse_server(value: str) -> tuple[str, ServerEntry]:
    name, sep, conninfo = value.partition("=")
    if not sep or not name.strip() or not conninfo.strip():
        raise click.BadParameter(f"expected NAME=CONNINFO, found {value!r}", param_hint="--server")
    return name.strip(), ServerEntry(conninfo=conninfo.strip())


def _terminate_as_exit() -> None:
    # SIGTERM outside the served loop must still unwind, so that clean-up runs.
    def handler(signum: int, frame: FrameType | None) -> None:
        sys.exit(128 + signum)

    signal.signal(signal.SIGTERM, handler)


main.add_command(check_command)
main.add_command(triggers_group)
