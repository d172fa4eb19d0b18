"""Clients that go away and come back: the events they missed, once, or a snapshot and a summary."""

import asyncio
from functools import partial
from typing import Any

import pytest
import socketio

from pgagent_live.demo.agent import Agent
from pgagent_live.demo.cluster import Cluster
from tests.live_service import TOKEN, recorder, running_service
from tests.pgagent_jobs import StepSpec, create_job, run_job_now
from tests.transitions import finished_runs, received, written

pytestmark = pytest.mark.integration

FINAL = {"job_succeeded", "job_failed", "job_aborted"}


class Resumer:
    """One Socket.IO client, its handlers registered once, that leaves and resumes."""

    def __init__(self) -> None:
        self.client = socketio.AsyncClient(reconnection=False)
        self.events: list[dict[str, Any]] = []
        self.snapshots: list[dict[str, Any]] = []
        self.summaries: list[dict[str, Any]] = []
        self.epoch = ""
        self.seq = 0
        self.at: str | None = None

        @self.client.on("job_status_update", namespace="/pgagent")  # type: ignore[untyped-decorator]
        async def on_update(data: Any) -> None:
            for event in data if isinstance(data, list) else [data]:
                self.events.append(event)
                self.epoch, self.seq, self.at = event["epoch"], event["seq"], event["occurred_at"]

        @self.client.on("snapshot", namespace="/pgagent")  # type: ignore[untyped-decorator]
        async def on_snapshot(data: Any) -> None:
            self.snapshots.append(data)
            self.epoch, self.seq = data["epoch"], data["seq"]

        @self.client.on("finished_since", namespace="/pgagent")  # type: ignore[untyped-decorator]
        async def on_summary(data: Any) -> None:
            self.summaries.append(data)

    async def connect(self, url: str, *, resume: bool) -> None:
        auth: dict[str, Any] = {"token": TOKEN}
        if resume:
            auth["resume"] = {"epoch": self.epoch, "seq": self.seq, "at": self.at}
        await self.client.connect(
            url, namespaces=["/pgagent"], auth=auth, transports=["websocket"], wait_timeout=10
        )

    async def disconnect(self) -> None:
        await self.client.disconnect()

    def reached(self, job_id: int, count: int) -> bool:
        return self.finals(job_id) >= count

    def finals(self, job_id: int) -> int:
        return sum(1 for e in self.events if e["type"] in FINAL and e["job"]["id"] == job_id)


async def until(check: Any, timeout: float = 60) -> None:
    async with asyncio.timeout(timeout):
        while not check():
            await asyncio.sleep(0.05)


def ended(events: list[dict[str, Any]], job_id: int, count: int = 1) -> bool:
    return sum(1 for e in events if e["type"] in FINAL and e["job"]["id"] == job_id) >= count


async def test_a_client_away_for_whole_runs_gets_each_missed_event_once(
    cluster: Cluster, agent: Agent
) -> None:
    conninfo = cluster.conninfo()
    job_id = create_job(
        conninfo, "while away", [StepSpec("a", "sql", "SELECT 1"), StepSpec("b", "sql", "SELECT 2")]
    )
    client = Resumer()

    async with running_service({"main": conninfo}) as service, recorder(service.url) as witness:
        await client.connect(service.url, resume=False)
        for round_ in range(1, 4):
            await until(lambda: bool(client.snapshots))
            await client.disconnect()
            run_job_now(conninfo, job_id)
            await witness.wait_for(partial(ended, job_id=job_id, count=round_))
            await client.connect(service.url, resume=True)
            await until(partial(client.reached, job_id, round_))
        await client.disconnect()

    assert len(client.snapshots) == 1
    assert client.summaries == []
    assert received(client.events, [job_id]) == written(conninfo, [job_id])
    assert [e["seq"] for e in client.events] == sorted({e["seq"] for e in client.events})


async def test_a_gap_older_than_the_window_gets_a_snapshot_and_the_runs_since(
    cluster: Cluster, agent: Agent
) -> None:
    conninfo = cluster.conninfo()
    job_id = create_job(conninfo, "past the window", [StepSpec("a", "sql", "SELECT 1")])
    client = Resumer()

    async with (
        running_service({"main": conninfo}, replay_window=3) as service,
        recorder(service.url) as witness,
    ):
        await client.connect(service.url, resume=False)
        run_job_now(conninfo, job_id)
        await until(lambda: client.finals(job_id) >= 1)
        await client.disconnect()

        run_job_now(conninfo, job_id)
        await witness.wait_for(lambda events: ended(events, job_id, 2))
        await client.connect(service.url, resume=True)
        await until(lambda: bool(client.summaries))
        await client.disconnect()

    assert len(client.snapshots) == 2
    summary = client.summaries[0]
    assert summary["reason"] == "window_passed"
    runs = [r for r in summary["servers"][0]["runs"] if r["job"]["id"] == job_id]
    second = [e for e in witness.of_job(job_id) if e["type"] in FINAL][-1]
    assert [r["run"]["id"] for r in runs] == [second["run"]["id"]]
    assert runs[0]["run"]["status"] == "succeeded"
    jobs = {job["id"]: job for job in client.snapshots[-1]["servers"][0]["jobs"]}
    assert jobs[job_id]["last_run"]["id"] == second["run"]["id"]


async def test_a_service_restarted_during_a_run_gives_a_new_epoch_and_the_runs_since(
    cluster: Cluster, agent: Agent
) -> None:
    conninfo = cluster.conninfo()
    job_id = create_job(conninfo, "across restarts", [StepSpec("a", "sql", "SELECT 1")])
    slow_id = create_job(conninfo, "during restart", [StepSpec("a", "sql", "SELECT pg_sleep(2)")])
    client = Resumer()

    async with running_service({"main": conninfo}) as service:
        await client.connect(service.url, resume=False)
        run_job_now(conninfo, job_id)
        await until(lambda: client.finals(job_id) >= 1)
        run_job_now(conninfo, slow_id)
        await until(lambda: any(e["job"]["id"] == slow_id for e in client.events))
        await client.disconnect()
    first_epoch = client.epoch

    await until(lambda: finished_runs(conninfo, [slow_id]) >= 1)
    run_job_now(conninfo, job_id)
    await until(lambda: finished_runs(conninfo, [job_id]) >= 2)

    async with running_service({"main": conninfo}) as service:
        await client.connect(service.url, resume=True)
        await until(lambda: bool(client.summaries))
        await client.disconnect()

    summary = client.summaries[0]
    assert client.snapshots[-1]["epoch"] != first_epoch
    assert summary["reason"] == "epoch_changed"
    runs = {r["run"]["id"]: r for r in summary["servers"][0]["runs"]}
    newest = max(key[1] for key in written(conninfo, [job_id]))
    (slow,) = {key[1] for key in written(conninfo, [slow_id])}
    assert {run_id for run_id, r in runs.items() if r["job"]["id"] in (job_id, slow_id)} == {
        newest,
        slow,
    }
    assert runs[slow]["run"]["status"] == "succeeded"
    jobs = {job["id"]: job for job in client.snapshots[-1]["servers"][0]["jobs"]}
    assert jobs[slow_id]["last_run"]["status"] == "succeeded"
