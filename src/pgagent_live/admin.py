"""The commands that look at or prepare a monitored server: ``check`` and ``triggers``."""

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import click
import psycopg
from psycopg import AsyncConnection

from pgagent_live.config import ConfigError, ServerEntry, load_settings
from pgagent_live.pgagent import triggers
from pgagent_live.pgagent.checks import Report, check
from pgagent_live.pgagent.reads import Connection

T = TypeVar("T")

_CONFIG = click.option(
    "--config",
    "config_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="TOML settings file naming the servers.",
)


def _servers_option(required: bool) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return click.option(
        "--server",
        "servers",
        multiple=True,
        required=required,
        metavar="NAME[=CONNINFO]",
        help="A server of the settings file by name, or NAME=CONNINFO. Repeatable.",
    )


@click.command("check")
@_CONFIG
@_servers_option(required=False)
def check_command(config_file: Path | None, servers: tuple[str, ...]) -> None:
    """Check each server's pgagent schema, version and privileges; exit 1 if any falls short."""
    chosen = _resolve(config_file, servers)
    failed = False
    for name, entry in chosen.items():
        try:
            report, trigger_state = _on(entry, _check_one)
        except psycopg.Error as exc:
            click.echo(f"{name}: unreachable: {_first_line(exc)}")
            click.echo("  fix: check the connection string, the network and pg_hba.conf")
            failed = True
            continue

        where = f"database {report.database!r} as role {report.role!r}"
        if report.ok:
            click.echo(f"{name}: ok, pgagent schema version {report.version} in {where}")
        else:
            click.echo(f"{name}: not watchable in {where}")
            failed = True
        for problem in report.problems:
            click.echo(f"  {problem.code}: {problem.message}")
            click.echo(f"    fix: {problem.fix}")
        for warning in report.warnings:
            click.echo(f"  warning {warning.code}: {warning.message}")
            click.echo(f"    fix: {warning.fix}")
        if report.ok:
            mode = "notify" if trigger_state == "installed" else "poll"
            click.echo(f"  triggers: {trigger_state}; the default mode (auto) watches by {mode}")
            if trigger_state in ("partial", "outdated"):
                click.echo(f"    fix: pgagent-live triggers install --server {name}")
    if failed:
        raise SystemExit(1)


@click.group("triggers")
def triggers_group() -> None:
    """Install, remove or inspect the notify triggers that push changes to the service."""


@triggers_group.command("install")
@_CONFIG
@_servers_option(required=True)
def triggers_install(config_file: Path | None, servers: tuple[str, ...]) -> None:
    """Install the triggers (again, harmlessly, where they are already)."""
    _each(config_file, servers, triggers.install, "installed")


@triggers_group.command("remove")
@_CONFIG
@_servers_option(required=True)
def triggers_remove(config_file: Path | None, servers: tuple[str, ...]) -> None:
    """Remove the triggers and their function; watchers fall back to polling."""
    _each(config_file, servers, triggers.remove, "removed")


@triggers_group.command("status")
@_CONFIG
@_servers_option(required=True)
def triggers_status(config_file: Path | None, servers: tuple[str, ...]) -> None:
    """Say whether the triggers are installed, and on which tables they are missing."""
    _each(config_file, servers, triggers.status, "status")


def _each(
    config_file: Path | None,
    servers: tuple[str, ...],
    action: Callable[[Connection], Awaitable[triggers.TriggerStatus]],
    done: str,
) -> None:
    failed = False
    for name, entry in _resolve(config_file, servers).items():
        try:
            found = _on(entry, action)
        except triggers.TriggerError as exc:
            click.echo(f"{name}: {exc}", err=True)
            failed = True
            continue
        except psycopg.Error as exc:
            click.echo(f"{name}: unreachable: {_first_line(exc)}", err=True)
            failed = True
            continue

        missing = f" (missing on {', '.join(found.missing)})" if found.state == "partial" else ""
        verb = "" if done == "status" else f"{done}; "
        click.echo(f"{name}: {verb}triggers {found.state}{missing}")
    if failed:
        raise SystemExit(1)


async def _check_one(conn: Connection) -> tuple[Report, str]:
    report = await check(conn)
    state = (await triggers.status(conn)).state if report.ok else "absent"
    return report, state


def _on(entry: ServerEntry, action: Callable[[Connection], Awaitable[T]]) -> T:
    async def run() -> T:
        conn = await AsyncConnection.connect(
            entry.conninfo, autocommit=True, application_name="pgagent-live", connect_timeout=10
        )
        async with conn:
            return await action(conn)

    return asyncio.run(run())


def _resolve(config_file: Path | None, given: tuple[str, ...]) -> dict[str, ServerEntry]:
    try:
        known = load_settings(config_file).servers
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None

    chosen: dict[str, ServerEntry] = {}
    for value in given:
        name, sep, conninfo = value.partition("=")
        name = name.strip()
        if sep and conninfo.strip():
            chosen[name] = ServerEntry(conninfo=conninfo.strip())
        elif name in known:
            chosen[name] = known[name]
        else:
            names = ", ".join(sorted(known)) or "none"
            raise click.BadParameter(
                f"expected a server of the settings file ({names}) or NAME=CONNINFO,"
                f" found {name!r}",
                param_hint="--server",
            )
    if not given:
        chosen = dict(known)
    if not chosen:
        raise click.UsageError("no server to check: give --server NAME=CONNINFO or --config")
    return chosen


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]
