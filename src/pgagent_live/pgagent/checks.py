"""Checks of a server's pgagent schema, its version and the role's privileges on it."""

import re
from dataclasses import dataclass, field
from typing import Literal

from psycopg import sql

from pgagent_live.pgagent.queries import query
from pgagent_live.pgagent.reads import Connection
from pgagent_live.pgagent.text import decode

SUPPORTED_VERSIONS = (3, 4)
"""The pgagent schema versions whose tables the service knows: 3.x and 4.x share them."""

WATCHED_TABLES = (
    "pga_exception",
    "pga_job",
    "pga_jobagent",
    "pga_jobstep",
    "pga_joblog",
    "pga_jobsteplog",
    "pga_schedule",
)
"""Every table the watcher reads; SELECT on each is all that poll mode needs."""

ProblemCode = Literal[
    "no_schema",
    "no_version_function",
    "unsupported_version",
    "missing_table",
    "missing_privilege",
]

BlockingState = Literal["not_installed", "unsupported_version", "permission_denied"]

_STATE: dict[ProblemCode, BlockingState] = {
    "no_schema": "not_installed",
    "no_version_function": "unsupported_version",
    "unsupported_version": "unsupported_version",
    "missing_table": "unsupported_version",
    "missing_privilege": "permission_denied",
}


@dataclass(frozen=True, slots=True)
class Problem:
    """Something that keeps the service from watching a server, with how to fix it."""

    code: ProblemCode
    message: str
    fix: str

    @property
    def state(self) -> BlockingState:
        return _STATE[self.code]


@dataclass(slots=True)
class Report:
    """What the checks found on one server."""

    role: str
    database: str
    version: int | None = None
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    """Problems that leave watching intact but disable a feature, like "Run now"."""

    @property
    def ok(self) -> bool:
        return not self.problems


async def check(conn: Connection) -> Report:
    """Check that the schema is there, in a supported version, and readable by the role.

    Only catalog reads and privilege functions run here, none of which raises on a missing
    object: a server without pgAgent does not get a failing query in its log at every retry.
    """
    cur = await conn.execute(query("checks_schema"))
    row = await cur.fetchone()
    assert row is not None
    has_schema, schema_usage, has_version, version_execute, role, database = row
    # On a SQL_ASCII database every text value arrives as bytes.
    report = Report(role=decode(role), database=decode(database))
    role, database = report.role, report.database

    if not has_schema:
        report.problems.append(
            Problem(
                "no_schema",
                f"database {database!r} has no pgagent schema",
                f"run CREATE EXTENSION pgagent in database {database!r}, or point the server"
                " at the database pgAgent's own connection string names",
            )
        )
        return report

    grants: list[str] = []
    if not schema_usage:
        grants.append(f"GRANT USAGE ON SCHEMA pgagent TO {quote_ident(role)}")

    await _check_tables(conn, report, grants)
    if has_version and version_execute and schema_usage:
        await _check_version(conn, report)
    elif not has_version:
        report.problems.append(
            Problem(
                "no_version_function",
                "expected the function pgagent.pgagent_schema_version(), found none",
                "install pgAgent's schema with CREATE EXTENSION pgagent (version 3 or 4)",
            )
        )
    elif not version_execute:
        grants.append(
            f"GRANT EXECUTE ON FUNCTION pgagent.pgagent_schema_version() TO {quote_ident(role)}"
        )

    if grants:
        report.problems.append(
            Problem(
                "missing_privilege",
                f"role {role!r} lacks: " + "; ".join(_privilege(g) for g in grants),
                "; ".join(grants),
            )
        )
    return report


async def _check_tables(conn: Connection, report: Report, grants: list[str]) -> None:
    cur = await conn.execute(query("checks_tables"), {"tables": list(WATCHED_TABLES)})
    rows = await cur.fetchall()
    rows = [(decode(name), *rest) for name, *rest in rows]
    missing = [name for name, present, _, _ in rows if not present]
    unreadable = [name for name, present, can_select, _ in rows if present and not can_select]
    role = quote_ident(report.role)

    if missing:
        report.problems.append(
            Problem(
                "missing_table",
                "expected pgAgent's tables, found these missing: "
                + ", ".join(f"pgagent.{name}" for name in missing),
                "reinstall pgAgent's schema (DROP EXTENSION pgagent; CREATE EXTENSION pgagent)",
            )
        )
    if unreadable:
        tables = ", ".join(f"pgagent.{name}" for name in unreadable)
        grants.append(f"GRANT SELECT ON {tables} TO {role}")

    job = next((row for row in rows if row[0] == "pga_job"), None)
    if job is not None and job[1] and not job[3]:
        report.warnings.append(
            Problem(
                "missing_privilege",
                f'role {report.role!r} lacks UPDATE on pgagent.pga_job: "Run now" is refused',
                f"GRANT UPDATE ON pgagent.pga_job TO {role}",
            )
        )


async def _check_version(conn: Connection, report: Report) -> None:
    cur = await conn.execute(query("schema_version"))
    row = await cur.fetchone()
    assert row is not None
    report.version = row[0]
    if report.version not in SUPPORTED_VERSIONS:
        supported = " or ".join(str(v) for v in SUPPORTED_VERSIONS)
        report.problems.append(
            Problem(
                "unsupported_version",
                f"expected pgagent schema version {supported}, found {report.version}",
                f"run a pgAgent whose schema version is {supported}, or a pgagent-live that"
                f" knows version {report.version}",
            )
        )


def quote_ident(name: str) -> str:
    """A role or object name as SQL writes it, quoted where it must be."""
    if re.fullmatch(r"[a-z_][a-z0-9_$]*", name):
        return name
    return sql.Identifier(name).as_string(None)


def _privilege(grant: str) -> str:
    """``GRANT X ON Y TO role`` as ``X ON Y``: what is missing, without the role again."""
    return grant.removeprefix("GRANT ").rsplit(" TO ", 1)[0]
