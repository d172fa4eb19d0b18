"""The hub's welcome of a connecting client: replay from the window, or snapshot and summary."""

import asyncio
from datetime import datetime
from typing import Any, cast

from pgagent_live.hub.hub import Hub
from pgagent_live.watch.events import Event
from pgagent_live.watch.watcher import Watcher


class FakeSio:
    def __init__(self) -> None:
        self.rooms: list[tuple[str, str]] = []
        self.sent: list[tuple[str, Any, str | None]] = []

    async def enter_room(self, sid: str, room: str, namespace: str) -> None:
        self.rooms.append((sid, room))

    async def emit(self, event: str, data: Any, to: str | None = None, **kwargs: Any) -> None:
        self.sent.append((event, data, to))


class FakeWatcher:
    def __init__(self, server_id: str) -> None:
        self.server = {"id": server_id, "name": server_id}
        self.state = "live"
        self.message = ""
        self.asked: list[datetime] = []

    def job_states(self) -> list[Any]:
        return []

    def agents(self) -> list[Any]:
        return []

    async def finished_since(self, since: datetime) -> list[dict[str, Any]]:
        self.asked.append(since)
        return [{"job": {"id": 1, "name": "j"}, "run": {"id": 9, "status": "succeeded"}}]


def event(server: str, job: int) -> Event:
    return cast(
        Event,
        {
            "seq": 0,
            "epoch": "",
            "type": "job_started",
            "occurred_at": "",
            "server": {"id": server},
            "job": {"id": job, "name": "j", "enabled": True},
        },
    )


def hub_with(window: int = 5) -> tuple[Hub, FakeSio, FakeWatcher]:
    sio = FakeSio()
    hub = Hub(cast(Any, sio), window=window)
    watcher = FakeWatcher("a")
    hub.add(cast(Watcher, watcher))
    return hub, sio, watcher


def sent(sio: FakeSio, name: str) -> list[Any]:
    return [data for event_name, data, to in sio.sent if event_name == name and to == "sid"]


async def test_a_client_within_the_window_gets_only_what_it_missed() -> None:
    hub, sio, _ = hub_with()
    await hub.publish([event("a", 1), event("a", 2), event("a", 1)])

    await hub.welcome("sid", {"a": None}, {"epoch": hub.epoch, "seq": 1, "at": None})

    (replayed,) = sent(sio, "job_status_update")
    assert [e["seq"] for e in replayed] == [2, 3]
    assert sent(sio, "snapshot") == []
    assert sent(sio, "server_status")[0]["state"] == "live"
    assert ("sid", "server:a") in sio.rooms


async def test_a_client_that_missed_nothing_gets_nothing_but_states() -> None:
    hub, sio, _ = hub_with()
    await hub.publish([event("a", 1)])

    await hub.welcome("sid", {"a": None}, {"epoch": hub.epoch, "seq": 1})

    assert sent(sio, "job_status_update") == []
    assert sent(sio, "snapshot") == []


async def test_a_client_following_some_jobs_gets_only_theirs_replayed() -> None:
    hub, sio, _ = hub_with()
    await hub.publish([event("a", 1), event("a", 2)])

    await hub.welcome("sid", {"a": [2]}, {"epoch": hub.epoch, "seq": 0})

    assert [e["job"]["id"] for e in sent(sio, "job_status_update")[0]] == [2]
    assert ("sid", "job:a:2") in sio.rooms
    assert ("sid", "server:a") not in sio.rooms


async def test_a_gap_older_than_the_window_gets_a_snapshot_and_a_summary() -> None:
    hub, sio, watcher = hub_with(window=2)
    await hub.publish([event("a", 1), event("a", 1), event("a", 1)])
    at = "2026-12-03T16:00:00+00:00"

    await hub.welcome("sid", {"a": None}, {"epoch": hub.epoch, "seq": 0, "at": at})
    await asyncio.gather(*hub._summaries)

    (snapshot,) = sent(sio, "snapshot")
    (summary,) = sent(sio, "finished_since")
    assert snapshot["seq"] == 3
    assert summary["reason"] == "window_passed"
    assert summary["servers"][0]["runs"][0]["run"]["id"] == 9
    assert watcher.asked == [datetime.fromisoformat(at)]


async def test_another_epoch_or_no_resume_gets_a_snapshot() -> None:
    hub, sio, watcher = hub_with()
    await hub.publish([event("a", 1)])

    await hub.welcome("sid", {"a": None}, {"epoch": "old", "seq": 1, "at": "yesterday"})
    await hub.welcome("sid", {"a": None}, None)
    await asyncio.gather(*hub._summaries)

    assert len(sent(sio, "snapshot")) == 2
    assert sent(sio, "finished_since") == []
    assert watcher.asked == []


async def test_a_server_still_connecting_is_waited_for_before_the_snapshot() -> None:
    hub, sio, watcher = hub_with()
    watcher.state = "connecting"

    async def go_live() -> None:
        await asyncio.sleep(0.1)
        watcher.state = "live"
        await hub.server_state(cast(Any, watcher.server), "live", "")

    await asyncio.gather(hub.welcome("sid", {"a": None}, None), go_live())

    assert sent(sio, "snapshot")[0]["servers"][0]["state"] == "live"
