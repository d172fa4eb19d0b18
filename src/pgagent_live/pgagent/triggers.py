"""The opt-in notify triggers: installed, removed and inspected on a monitored server."""

from dataclasses import dataclass
from typing import Literal

from pgagent_live.pgagent.checks import check, quote_ident
from pgagent_live.pgagent.queries import query
from pgagent_live.pgagent.reads import Connection
from pgagent_live.pgagent.text import decode

CHANNEL = "pgagent_live"
"""The NOTIFY channel the triggers send on, in the database of pgAgent's schema."""

VERSION_MARK = "pgagent-live notify triggers, version 1"
"""The trigger function's comment: an older or newer mark means install again."""

TRIGGERED_TABLES = (
    "pga_exception",
    "pga_job",
    "pga_jobagent",
    "pga_joblog",
    "pga_jobstep",
    "pga_jobsteplog",
    "pga_schedule",
)

TriggerState = Literal["installed", "absent", "partial", "outdated"]


class TriggerError(Exception):
    """The triggers could not be installed or removed; the message says what is missing."""


@dataclass(frozen=True, slots=True)
class TriggerStatus:
    state: TriggerState
    """``installed``: every table has its enabled trigger and the function is current."""
    missing: tuple[str, ...]
    """Tables without an enabled trigger."""

    @property
    def installed(self) -> bool:
        return self.state == "installed"


async def status(conn: Connection) -> TriggerStatus:
    """Whether the triggers are installed; ``absent`` also where pgAgent's schema is missing."""
    cur = await conn.execute(query("triggers_status"), {"tables": list(TRIGGERED_TABLES)})
    rows = await cur.fetchall()
    missing = tuple(decode(name) for name, enabled, _ in rows if not enabled)
    version = decode(rows[0][2]) if rows and rows[0][2] is not None else None

    if len(missing) == len(TRIGGERED_TABLES):
        state: TriggerState = "absent"
    elif missing:
        state = "partial"
    elif version != VERSION_MARK:
        state = "outdated"
    else:
        state = "installed"
    return TriggerStatus(state=state, missing=missing)


async def install(conn: Connection) -> TriggerStatus:
    """Install or bring up to date the triggers, in one transaction; doing it again is harmless."""
    await _require(conn, removing=False)
    async with conn.transaction():
        await conn.execute(query("triggers_install"))
    return await status(conn)


async def remove(conn: Connection) -> TriggerStatus:
    """Remove the triggers and their function, in one transaction; nothing to remove is fine."""
    await _require(conn, removing=True)
    async with conn.transaction():
        await conn.execute(query("triggers_remove"))
    return await status(conn)


async def _require(conn: Connection, *, removing: bool) -> None:
    report = await check(conn)
    blocking = [p for p in report.problems if p.code != "missing_privilege"]
    if blocking:
        raise TriggerError("; ".join(p.message for p in blocking))

    params = {"tables": list(TRIGGERED_TABLES), "removing": removing}
    cur = await conn.execute(query("triggers_privileges"), params)
    missing = [decode(row[0]) for row in await cur.fetchall()]
    if not missing:
        return

    role = quote_ident(report.role)
    objects: dict[str, list[str]] = {}
    for item in missing:
        if not item.startswith("ownership"):
            privilege, _, target = item.partition(" ON ")
            objects.setdefault(privilege, []).append(target)
    lacks = [f"{p} ON {', '.join(sorted(targets))}" for p, targets in objects.items()]
    fixes = [f"GRANT {grant} TO {role}" for grant in lacks]

    owned = sorted(m.removeprefix("ownership of ") for m in missing if m.startswith("ownership"))
    if owned:
        lacks.append(f"ownership of {', '.join(owned)}")
        fixes.append("connect as the owner of pgAgent's tables (or a superuser)")

    action = "remove" if removing else "install"
    raise TriggerError(
        f"role {report.role!r} may not {action} the triggers: it lacks {'; '.join(lacks)}."
        f" Fix: {'; '.join(fixes)}"
    )
