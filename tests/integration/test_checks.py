"""Servers that cannot be watched as they are: a clear state each, the others unaffected."""

import asyncio
import secrets
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner

from pgagent_live.cli import main
from pgagent_live.demo.agent import Agent
from pgagent_live.demo.cluster import Cluster
from tests.live_service import Recorder, recorder, running_service
from tests.pgagent_jobs import StepSpec, create_job, run_job_now

pytestmark = pytest.mark.integration


@pytest.fixture
def database(cluster: Cluster) -> Iterator[str]:
    """A fresh database of the session cluster, without pgAgent's schema."""
    name = f"bare_{secrets.token_hex(4)}"
    with psycopg.connect(cluster.conninfo(), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    yield name
    with psycopg.connect(cluster.conninfo(), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE {name} WITH (FORCE)")


def run_sql(conninfo: str, *statements: str) -> None:
    with psycopg.connect(conninfo, autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)


async def check(conninfo: str) -> Any:
    args = ["check", "--server", f"x={conninfo}"]
    return await asyncio.to_thread(CliRunner().invoke, main, args)


def state_of(client: Recorder, server_id: str) -> tuple[str, str] | None:
    """The server's latest state and message as the client knows it."""
    found = None
    for snapshot in client.snapshots[:1]:
        for server in snapshot["servers"]:
            if server["id"] == server_id:
                found = (server["state"], server["message"])
    for status in client.statuses:
        if status["server"]["id"] == server_id:
            found = (status["state"], status["message"])
    return found


async def wait_state(client: Recorder, server_id: str, state: str, timeout: float = 90) -> str:
    async with asyncio.timeout(timeout):
        while (found := state_of(client, server_id)) is None or found[0] != state:
            await asyncio.sleep(0.05)
    return found[1]


def log_errors(cluster: Cluster, start: int) -> list[str]:
    """Error lines the server logged since ``start`` (a byte offset) about pgagent objects."""
    with cluster.log_path.open("rb") as log:
        log.seek(start)
        lines = log.read().decode(errors="replace").splitlines()
    return [line for line in lines if "ERROR" in line and "pgagent" in line]


async def test_a_database_without_pgagent_is_not_installed_until_it_is(
    cluster: Cluster, agent: Agent, database: str
) -> None:
    bare = cluster.conninfo(database)
    job_id = create_job(cluster.conninfo(), "beside", [StepSpec("one", "sql", "SELECT 1")])
    log_start = cluster.log_path.stat().st_size
    result = await check(bare)

    async with (
        running_service({"main": cluster.conninfo(), "bare": bare}) as service,
        recorder(service.url) as client,
    ):
        message = await wait_state(client, "bare", "not_installed")
        await wait_state(client, "main", "live")
        run_job_now(cluster.conninfo(), job_id)
        await client.wait_for(
            lambda events: any(
                e["type"] == "job_succeeded" and e["job"]["id"] == job_id for e in events
            )
        )
        errors = log_errors(cluster, log_start)

        run_sql(bare, "CREATE EXTENSION pgagent")
        await wait_state(client, "bare", "live")

    assert result.exit_code == 1
    assert f"no_schema: database '{database}' has no pgagent schema" in result.output
    assert "fix: run CREATE EXTENSION pgagent" in result.output
    assert "has no pgagent schema" in message
    assert errors == []
    assert (await check(bare)).exit_code == 0


async def test_an_unsupported_schema_version_is_named(cluster: Cluster, database: str) -> None:
    conninfo = cluster.conninfo(database)
    run_sql(
        conninfo,
        "CREATE EXTENSION pgagent",
        "CREATE OR REPLACE FUNCTION pgagent.pgagent_schema_version() RETURNS int2"
        " LANGUAGE sql AS 'SELECT 5::int2'",
    )
    result = await check(conninfo)

    async with running_service({"odd": conninfo}) as service, recorder(service.url) as client:
        message = await wait_state(client, "odd", "unsupported_version")

    assert result.exit_code == 1
    assert "unsupported_version: expected pgagent schema version 3 or 4, found 5" in result.output
    assert "found 5" in message


async def test_a_role_without_grants_is_told_which_and_a_read_only_role_is_enough(
    cluster: Cluster, database: str
) -> None:
    owner = cluster.conninfo(database)
    role = f"reader_{secrets.token_hex(3)}"
    run_sql(owner, "CREATE EXTENSION pgagent", f"CREATE ROLE {role} LOGIN")
    reader = owner.replace("user=postgres", f"user={role}")
    refused = await check(reader)

    async with running_service({"ro": reader}) as service, recorder(service.url) as client:
        message = await wait_state(client, "ro", "permission_denied")
        run_sql(
            owner,
            f"GRANT USAGE ON SCHEMA pgagent TO {role}",
            f"GRANT SELECT ON ALL TABLES IN SCHEMA pgagent TO {role}",
        )
        await wait_state(client, "ro", "live")
    allowed = await check(reader)
    run_sql(owner, f"DROP OWNED BY {role}", f"DROP ROLE {role}")

    assert refused.exit_code == 1
    assert f"GRANT USAGE ON SCHEMA pgagent TO {role}" in refused.output
    assert "GRANT SELECT ON pgagent.pga_exception, pgagent.pga_job" in refused.output
    assert "GRANT SELECT ON pgagent.pga_exception" in message
    assert allowed.exit_code == 0
    assert f"warning missing_privilege: role '{role}' lacks UPDATE" in allowed.output
