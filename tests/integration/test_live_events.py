"""Runs of the real pgAgent daemon arrive at a real Socket.IO client, each transition once."""

from typing import Any

import httpx
import pytest
import socketio

from pgagent_live.demo.agent import Agent
from pgagent_live.demo.cluster import Cluster
from tests.live_service import TOKEN, recorder, running_service
from tests.pgagent_jobs import StepSpec, create_job, run_job_now

pytestmark = pytest.mark.integration


def finished(job_id: int) -> Any:
    final = {"job_succeeded", "job_failed", "job_aborted"}
    return lambda events: any(e["job"]["id"] == job_id and e["type"] in final for e in events)


async def test_a_two_step_run_arrives_in_order(cluster: Cluster, agent: Agent) -> None:
    conninfo = cluster.conninfo()
    job_id = create_job(
        conninfo,
        "two steps",
        [
            StepSpec("first", "sql", "SELECT pg_sleep(0.5)"),
            StepSpec("second", "batch", "echo hello from a batch step"),
        ],
    )

    async with running_service({"main": conninfo}) as service, recorder(service.url) as client:
        run_job_now(conninfo, job_id)
        await client.wait_for(finished(job_id))

    events = [e for e in client.of_job(job_id) if e["type"] != "job_progress"]
    assert [e["type"] for e in events] == [
        "job_started",
        "step_started",
        "step_finished",
        "step_started",
        "step_finished",
        "job_succeeded",
    ]
    assert {e["run"]["id"] for e in events} == {events[0]["run"]["id"]}
    assert all(e["job"]["name"] == "two steps" for e in events)
    assert all(e["server"] == {"id": "main", "name": "main"} for e in events)
    assert [e["step"]["name"] for e in events if e["type"].startswith("step")] == [
        "first",
        "first",
        "second",
        "second",
    ]
    assert [e["step"]["status"] for e in events if e["type"] == "step_finished"] == [
        "succeeded",
        "succeeded",
    ]
    assert events[4]["step"]["kind"] == "batch"
    assert "hello from a batch step" in events[4]["step"]["output"]
    assert events[-1]["run"]["status"] == "succeeded"
    assert events[-1]["run"]["duration"] > 0.5

    seqs = [e["seq"] for e in client.of_job(job_id)]
    assert seqs == sorted(seqs)
    assert len(set(seqs)) == len(seqs)
    assert len({e["epoch"] for e in events}) == 1

    progress = [e["progress"] for e in client.of_job(job_id) if e["type"] == "job_progress"]
    assert [(p["done"], p["total"]) for p in progress] == [(1, 2), (2, 2)]


async def test_a_failing_sql_step_fails_the_job_with_its_error(
    cluster: Cluster, agent: Agent
) -> None:
    conninfo = cluster.conninfo()
    job_id = create_job(conninfo, "broken", [StepSpec("read", "sql", "SELECT * FROM no_such")])

    async with running_service({"main": conninfo}) as service, recorder(service.url) as client:
        run_job_now(conninfo, job_id)
        await client.wait_for(finished(job_id))

    final = client.of_job(job_id)[-1]
    assert final["type"] == "job_failed"
    assert final["run"]["status"] == "failed"
    assert final["step"]["result"] == -1
    assert final["step"]["status"] == "failed"
    assert "no_such" in final["error"]


async def test_a_client_gets_a_snapshot_of_every_job_on_connect(
    cluster: Cluster, agent: Agent
) -> None:
    conninfo = cluster.conninfo()
    job_id = create_job(conninfo, "<b>listed</b>", [StepSpec("one", "sql", "SELECT 1")])

    async with running_service({"main": conninfo}) as service:
        async with recorder(service.url) as early:
            # The watcher goes live once it has checked the schema and read the state.
            await early.wait_for(
                lambda _: (
                    any(s["state"] == "live" for s in early.statuses)
                    or any(snap["servers"][0]["state"] == "live" for snap in early.snapshots)
                )
            )
        async with recorder(service.url) as client:
            await client.wait_for(lambda _: bool(client.snapshots))

    server = client.snapshots[0]["servers"][0]
    assert server["id"] == "main"
    assert server["state"] == "live"
    jobs = {job["id"]: job for job in server["jobs"]}
    assert jobs[job_id]["name"] == "<b>listed</b>"
    assert jobs[job_id]["enabled"] is True


async def test_the_rest_api_lists_jobs_and_runs_one_now(cluster: Cluster, agent: Agent) -> None:
    conninfo = cluster.conninfo()
    job_id = create_job(conninfo, "by rest", [StepSpec("one", "sql", "SELECT 1")])
    headers = {"Authorization": f"Bearer {TOKEN}"}

    async with running_service({"main": conninfo}) as service, recorder(service.url) as client:
        async with httpx.AsyncClient(base_url=service.url, headers=headers) as http:
            servers = (await http.get("/api/v1/servers")).json()
            detail = (await http.get(f"/api/v1/servers/main/jobs/{job_id}")).json()
            ran = await http.post(f"/api/v1/servers/main/jobs/{job_id}/run")
            missing = await http.get("/api/v1/servers/main/jobs/999999")
            no_server = await http.get("/api/v1/servers/nope/jobs")
            config = (await http.get("/api/v1/config")).json()
            nowhere = await http.get("/api/v1/no/such/path")
        await client.wait_for(finished(job_id))

    assert [s["id"] for s in servers] == ["main"]
    assert detail["name"] == "by rest"
    assert [step["name"] for step in detail["steps"]] == ["one"]
    assert detail["steps"][0]["on_error"] == "fail"
    assert ran.status_code == 202
    assert missing.status_code == 404
    assert missing.json()["code"] == "not_found"
    assert no_server.status_code == 404
    assert config["socket"]["reconnectionAttempts"] == 10
    assert (nowhere.status_code, nowhere.json()["code"]) == (404, "not_found")
    assert client.of_job(job_id)[-1]["type"] == "job_succeeded"


@pytest.mark.parametrize(
    ("auth", "code"),
    [(None, "auth_required"), ({}, "auth_required"), ({"token": "wrong"}, "auth_invalid")],
)
async def test_a_wrong_or_missing_token_is_refused_on_the_socket(
    cluster: Cluster, auth: Any, code: str
) -> None:
    client = socketio.AsyncClient(reconnection=False)
    refusals: list[Any] = []

    @client.on("connect_error", namespace="/pgagent")  # type: ignore[untyped-decorator]
    async def on_error(data: Any) -> None:
        refusals.append(data)

    async with running_service({"main": cluster.conninfo()}) as service:
        with pytest.raises(socketio.exceptions.ConnectionError):
            await client.connect(
                service.url, namespaces=["/pgagent"], auth=auth, transports=["websocket"]
            )
        await client.disconnect()

    assert refusals
    assert refusals[0]["data"]["code"] == code
    assert refusals[0]["data"]["message"]


@pytest.mark.parametrize(
    ("header", "code"),
    [
        (None, "auth_required"),
        ("Bearer wrong", "auth_invalid"),
        (f"Basic {TOKEN}", "auth_invalid"),
    ],
)
async def test_a_wrong_or_missing_token_is_refused_on_rest(
    cluster: Cluster, header: str | None, code: str
) -> None:
    headers = {"Authorization": header} if header else {}

    async with (
        running_service({"main": cluster.conninfo()}) as service,
        httpx.AsyncClient(base_url=service.url, headers=headers) as http,
    ):
        response = await http.get("/api/v1/servers")

    assert response.status_code == 401
    assert response.json()["code"] == code
