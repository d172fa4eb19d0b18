"""The ``pgagent-live`` command: serve, demo, token."""

import asyncio
import logging
import secrets
import signal
import sys
from pathlib import Path
from types import FrameType
from typing import Any

import click
from pydantic import ValidationError

from pgagent_live.admin import check_command, triggers_group
from pgagent_live.config import ConfigError, ServerEntry, Settings, load_settings
from pgagent_live.security.redaction import Redactor, redact_log_records
from pgagent_live.security.tokenfile import (
    TokenFileError,
    create_token,
    parse_duration,
    read_tokens,
    revoke_token,
)
from pgagent_live.security.tokens import ISSUED_ROLES
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

    _run(settings, tokens_file=config_file)


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
    from pgagent_live.demo.agent import AgentError
    from pgagent_live.demo.cluster import ClusterError
    from pgagent_live.demo.environment import default_data_dir, demo_environment

    flags = {"host": host, "websocket_port": port, "token": token, "debug_mode": debug}
    settings = _settings(None, flags)
    _check_port(settings)

    directory = data_dir or default_data_dir()
    _terminate_as_exit()
    click.echo(f"starting the demo cluster in {directory}", err=True)
    try:
        with demo_environment(directory) as demo:
            entry = ServerEntry(conninfo=demo.conninfo, name="pgAgent demo")
            _run(settings.model_copy(update={"servers": {"demo": entry}}), checked=True)
    except (ClusterError, AgentError) as exc:
        raise click.ClickException(str(exc)) from None


def _settings(config_file: Path | None, flags: dict[str, Any]) -> Settings:
    try:
        settings = load_settings(config_file, **flags)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    logging.basicConfig(
        level=logging.DEBUG if settings.debug_mode else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    redact_log_records(Redactor([settings.token] if settings.token else []))
    return settings


def _run(settings: Settings, *, checked: bool = False, tokens_file: Path | None = None) -> None:
    if not checked:
        _check_port(settings)

    # With issued tokens there is no all-powerful one unless asked for with --token.
    token = settings.token
    if token is None and not settings.tokens:
        token = secrets.token_urlsafe(24)
    _terminate_as_exit()

    def ready(url: str) -> None:
        click.echo(f"pgagent-live is serving on {url}")

    asyncio.run(serve(settings, token, ready, tokens_file=tokens_file))


def _check_port(settings: Settings) -> None:
    try:
        ensure_port_free(settings.host, settings.websocket_port)
    except PortInUseError as exc:
        raise click.ClickException(str(exc)) from None


def _parse_server(value: str) -> tuple[str, ServerEntry]:
    name, sep, conninfo = value.partition("=")
    if not sep or not name.strip() or not conninfo.strip():
        found = Redactor().text(repr(value))
        raise click.BadParameter(f"expected NAME=CONNINFO, found {found}", param_hint="--server")
    try:
        entry = ServerEntry(conninfo=conninfo.strip())
    except ValidationError as exc:
        reason = exc.errors()[0]["msg"].removeprefix("Value error, ")
        message = f"server {name.strip()!r}: {reason}"
        raise click.BadParameter(message, param_hint="--server") from None
    return name.strip(), entry


def _terminate_as_exit() -> None:
    # SIGTERM outside the served loop must still unwind, so that clean-up runs.
    def handler(signum: int, frame: FrameType | None) -> None:
        sys.exit(128 + signum)

    signal.signal(signal.SIGTERM, handler)


_CONFIG_OPTION = click.option(
    "--config",
    "config_file",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="TOML settings file that keeps the tokens' hashes.",
)


@main.group("token")
def token_group() -> None:
    """Issue, list and revoke tokens; the settings file keeps only their hashes."""


@token_group.command("create")
@_CONFIG_OPTION
@click.option("--role", type=click.Choice(ISSUED_ROLES), required=True, help="What it may do.")
@click.option("--servers", default=None, metavar="A,B", help="Only these servers (default all).")
@click.option("--expires", default=None, metavar="30d", help="Lifetime: 90m, 12h, 30d, 2w.")
def token_create(config_file: Path, role: str, servers: str | None, expires: str | None) -> None:
    """Issue a token and print it, once: it cannot be shown again."""
    scope = [s.strip() for s in servers.split(",") if s.strip()] if servers else None
    try:
        lifetime = parse_duration(expires) if expires else None
        token_id, token = create_token(config_file, role, scope, lifetime)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--expires") from None
    except TokenFileError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"token {token_id} ({role}) written to {config_file}; keep it now:", err=True)
    click.echo(token)


@token_group.command("list")
@_CONFIG_OPTION
def token_list(config_file: Path) -> None:
    """Issued tokens: id, role, servers, created, expires, revoked."""
    try:
        tokens = read_tokens(config_file)
    except TokenFileError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo("id        role       servers          created                    expires / revoked")
    for token_id, entry in sorted(tokens.items(), key=lambda item: str(item[1].created)):
        servers = ",".join(entry.servers) if entry.servers is not None else "*"
        created = entry.created.isoformat() if entry.created else "-"
        state = (
            f"revoked {entry.revoked.isoformat()}"
            if entry.revoked
            else (f"expires {entry.expires.isoformat()}" if entry.expires else "never expires")
        )
        click.echo(f"{token_id:<9} {entry.role:<10} {servers:<16} {created:<26} {state}")


@token_group.command("revoke")
@_CONFIG_OPTION
@click.argument("token_id")
def token_revoke(config_file: Path, token_id: str) -> None:
    """Revoke a token; a running service closes its sockets within TOKEN_RECHECK seconds."""
    try:
        revoke_token(config_file, token_id)
    except TokenFileError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"token {token_id} revoked in {config_file}")


main.add_command(check_command)
main.add_command(triggers_group)
