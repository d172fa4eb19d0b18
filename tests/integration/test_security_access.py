"""Tokens, roles and scopes on the socket and the REST API of the running service."""

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from pgagent_live.demo.agent import Agent
from pgagent_live.demo.cluster import Cluster
from pgagent_live.security.tokenfile import revoke_token
from tests.pgagent_jobs import StepSpec, create_job, run_job_now
from tests.security_service import MAIN_TOKEN, connect, refusal, serving

pytestmark = pytest.mark.integration

ACTIONS = ["watch", "run_now", "publish"]
ALLOWED = {
    "viewer": {"watch"},
    "operator": {"watch", "run_now"},
    "publisher": {"watch", "publish"},
    "main": {"watch", "run_now", "publish"},
}


def code(refused: Any) -> str:
    return str(refused["data"]["code"])


async def test_refused_connections_say_why(cluster: Cluster, tmp_path: Path) -> None:
    async with serving({"main": cluster.conninfo()}, tmp_path / "s.toml") as service:
        expired = service.issue(
            "viewer", lifetime=timedelta(minutes=1), now=datetime.now(UTC) - timedelta(hours=1)
        )
        assert code(await refusal(service.url, {})) == "auth_required"
        assert code(await refusal(service.url, {"token": "nope"})) == "auth_invalid"
        assert code(await refusal(service.url, {"token": ["x"]})) == "auth_invalid"
        assert code(await refusal(service.url, {"token": MAIN_TOKEN[:-1] + "X"})) == "auth_invalid"
        assert code(await refusal(service.url, {"token": expired[:-2] + "zz"})) == "auth_invalid"
        await asyncio.sleep(0.5)
        assert code(await refusal(service.url, {"token": expired})) == "auth_expired"

        async with service.rest() as anonymous:
            answer = await anonymous.get("/api/v1/servers")
            assert (answer.status_code, answer.json()["code"]) == (401, "auth_required")
        async with service.rest(expired) as late:
            answer = await late.get("/api/v1/servers")
            assert (answer.status_code, answer.json()["code"]) == (401, "auth_expired")


@pytest.mark.parametrize("role", ["viewer", "operator", "publisher", "main"])
async def test_each_role_may_do_what_it_may_and_nothing_else(
    cluster: Cluster, agent: Agent, tmp_path: Path, role: str
) -> None:
    conninfo = cluster.conninfo()
    job_id = create_job(conninfo, f"role {role}", [StepSpec("wait", "sql", "SELECT pg_sleep(3)")])

    async with serving({"main": conninfo}, tmp_path / "s.toml") as service:
        token = MAIN_TOKEN if role == "main" else service.issue(role)
        await asyncio.sleep(0.5)
        client = await connect(service.url, {"token": token})
        try:
            await client.wait_for(lambda: bool(client.snapshots))
            assert [s["id"] for s in client.snapshots[0]["servers"]] == ["main"]

            answer = await client.ask("run_now", {"server": "main", "job": job_id})
            assert answer["ok"] is ("run_now" in ALLOWED[role]), answer
            if not answer["ok"]:
                assert answer["error"]["code"] == "forbidden"

            async with service.rest(token) as rest:
                called = await rest.post(f"/api/v1/servers/main/jobs/{job_id}/run")
                assert called.status_code == (202 if "run_now" in ALLOWED[role] else 403)
                if called.status_code == 403:
                    assert called.json()["code"] == "forbidden"
                assert (await rest.get("/api/v1/servers/main/jobs")).status_code == 200

            if "run_now" not in ALLOWED[role]:
                run_job_now(conninfo, job_id)
            await client.wait_for(
                lambda: any(
                    e["job"]["id"] == job_id and e["type"] == "job_started" for e in client.events
                )
            )
            run_id = next(e["run"]["id"] for e in client.events if e["job"]["id"] == job_id)
            answer = await client.ask(
                "job_status_update",
                {"server": "main", "job": job_id, "run": run_id, "percent": 50},
            )
            assert answer["ok"] is ("publish" in ALLOWED[role]), answer
            if not answer["ok"]:
                assert answer["error"]["code"] == "forbidden"
        finally:
            await client.sio.disconnect()


async def test_a_scoped_token_sees_only_its_servers_everywhere(
    cluster: Cluster, agent: Agent, tmp_path: Path
) -> None:
    conninfo = cluster.conninfo()
    job_id = create_job(conninfo, "scoped", [StepSpec("one", "sql", "SELECT 1")])

    async with serving({"a": conninfo, "b": conninfo}, tmp_path / "s.toml") as service:
        token = service.issue("operator", ["a"])
        await asyncio.sleep(0.5)
        everything = await connect(service.url, {"token": MAIN_TOKEN})
        scoped = await connect(service.url, {"token": token})
        try:
            await scoped.wait_for(lambda: bool(scoped.snapshots))
            assert [s["id"] for s in scoped.snapshots[0]["servers"]] == ["a"]
            first_seq = scoped.snapshots[0]["seq"]
            epoch = scoped.snapshots[0]["epoch"]

            # Subscribing or running on a server out of scope finds nothing there.
            for event, data in [
                ("subscribe", {"server": "b"}),
                ("run_now", {"server": "b", "job": job_id}),
            ]:
                answer = await scoped.ask(event, data)
                assert answer["error"]["code"] == "not_found", (event, answer)

            run_job_now(conninfo, job_id)
            done = {"job_succeeded", "job_failed"}
            await everything.wait_for(
                lambda: (
                    {
                        e["server"]["id"]
                        for e in everything.events
                        if e["job"]["id"] == job_id and e["type"] in done
                    }
                    == {"a", "b"}
                )
            )
            await scoped.wait_for(
                lambda: any(e["job"]["id"] == job_id and e["type"] in done for e in scoped.events)
            )
            await asyncio.sleep(1)
            assert {e["server"]["id"] for e in scoped.events} == {"a"}

            # The replay after a reconnect and a resync are scoped too.
            replayed = await connect(
                service.url, {"token": token, "resume": {"epoch": epoch, "seq": first_seq}}
            )
            await replayed.wait_for(lambda: any(e["job"]["id"] == job_id for e in replayed.events))
            assert {e["server"]["id"] for e in replayed.events} == {"a"}
            resynced = await scoped.ask("resync", {"epoch": epoch, "seq": first_seq})
            assert {e["server"]["id"] for e in resynced["data"]["events"]} == {"a"}
            await replayed.sio.disconnect()

            async with service.rest(token) as rest:
                servers = (await rest.get("/api/v1/servers")).json()
                assert [s["id"] for s in servers] == ["a"]
                assert (await rest.get("/api/v1/servers/b/jobs")).status_code == 404
                assert (await rest.get(f"/api/v1/servers/b/jobs/{job_id}")).status_code == 404
                assert (await rest.post(f"/api/v1/servers/b/jobs/{job_id}/run")).status_code == 404
                assert (await rest.get(f"/api/v1/servers/a/jobs/{job_id}")).status_code == 200
        finally:
            await scoped.sio.disconnect()
            await everything.sio.disconnect()


async def test_following_some_jobs_narrows_events_and_snapshot(
    cluster: Cluster, agent: Agent, tmp_path: Path
) -> None:
    conninfo = cluster.conninfo()
    wanted = create_job(conninfo, "followed", [StepSpec("one", "sql", "SELECT 1")])
    other = create_job(conninfo, "not followed", [StepSpec("one", "sql", "SELECT 1")])

    async with serving({"main": conninfo}, tmp_path / "s.toml") as service:
        client = await connect(service.url, {"token": MAIN_TOKEN})
        try:
            # Until the watcher's first look, the server has no jobs to list.
            async with asyncio.timeout(30):
                while True:
                    answer = await client.ask("subscribe", {"server": "main", "jobs": [wanted]})
                    listed = [j["id"] for j in answer["data"]["servers"][0]["jobs"]]
                    if listed:
                        break
                    await asyncio.sleep(0.2)
            assert listed == [wanted]

            run_job_now(conninfo, other)
            run_job_now(conninfo, wanted)
            await client.wait_for(
                lambda: any(
                    e["job"]["id"] == wanted and e["type"] == "job_succeeded" for e in client.events
                )
            )
            await asyncio.sleep(2)
            assert {e["job"]["id"] for e in client.events} == {wanted}

            assert (await client.ask("unsubscribe", {"server": "main"}))["ok"]
        finally:
            await client.sio.disconnect()


@pytest.mark.parametrize("how", ["revoked", "expired"])
async def test_a_lapsed_token_loses_its_live_socket(
    cluster: Cluster, tmp_path: Path, how: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with serving({"main": cluster.conninfo()}, tmp_path / "s.toml") as service:
        lifetime = timedelta(seconds=3) if how == "expired" else None
        token = service.issue("viewer", lifetime=lifetime)
        other = service.issue("viewer")
        await asyncio.sleep(0.5)
        client = await connect(service.url, {"token": token})
        staying = await connect(service.url, {"token": other})
        try:
            if how == "revoked":
                revoke_token(service.tokens_file, token[4:12])
            async with asyncio.timeout(10):
                await client.disconnected.wait()
            expected = "auth_invalid" if how == "revoked" else "auth_expired"
            assert [e["code"] for e in client.ended] == [expected]
            assert code(await refusal(service.url, {"token": token})) == expected
            assert staying.sio.connected
            assert not staying.disconnected.is_set()
        finally:
            await client.sio.disconnect()
            await staying.sio.disconnect()

    text = caplog.text
    assert f"socket refused from 127.0.0.1: {expected}" in text
    assert f"token {token[4:12]} (viewer) used from new address 127.0.0.1" in text
    assert token[13:] not in text
