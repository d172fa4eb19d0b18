"""The hub: stamps events with sequence numbers, keeps a replay window and fans them out."""

import logging
import secrets
from collections import deque
from collections.abc import Iterable
from typing import Any

import socketio

from pgagent_live.watch.events import Event, ServerRef, ServerSnapshot, ServerState, Snapshot
from pgagent_live.watch.watcher import Watcher

logger = logging.getLogger(__name__)

NAMESPACE = "/pgagent"


def server_room(server_id: str) -> str:
    return f"server:{server_id}"


class Hub:
    """Where every watcher's events meet every client."""

    def __init__(self, sio: socketio.AsyncServer, window: int = 1000) -> None:
        self.sio = sio
        self.epoch = secrets.token_hex(8)
        self.seq = 0
        self.window: deque[Event] = deque(maxlen=window)
        self.watchers: dict[str, Watcher] = {}

    def add(self, watcher: Watcher) -> None:
        self.watchers[watcher.server["id"]] = watcher

    async def publish(self, events: list[Event]) -> None:
        """Stamp events in order and send each server's share to its room as one batch."""
        by_server: dict[str, list[Event]] = {}
        for event in events:
            self.seq += 1
            event["seq"] = self.seq
            event["epoch"] = self.epoch
            self.window.append(event)
            by_server.setdefault(event["server"]["id"], []).append(event)
            job = event.get("job")
            logger.debug("event %s seq %d for job %s", event["type"], self.seq, job and job["id"])

        for server_id, batch in by_server.items():
            payload: Event | list[Event] = batch[0] if len(batch) == 1 else batch
            await self.sio.emit(
                "job_status_update", payload, room=server_room(server_id), namespace=NAMESPACE
            )

    async def server_state(self, server: ServerRef, state: ServerState, message: str) -> None:
        data = {"server": server, "state": state, "message": message}
        await self.sio.emit(
            "server_status", data, room=server_room(server["id"]), namespace=NAMESPACE
        )

    def snapshot(self, server_ids: Iterable[str] | None = None) -> Snapshot:
        wanted = set(self.watchers if server_ids is None else server_ids)
        servers = [
            ServerSnapshot(
                id=watcher.server["id"],
                name=watcher.server["name"],
                state=watcher.state,
                agents=watcher.agents(),
                message=watcher.message,
                jobs=watcher.job_states(),
            )
            for server_id, watcher in self.watchers.items()
            if server_id in wanted
        ]
        return Snapshot(epoch=self.epoch, seq=self.seq, servers=servers)

    def servers(self) -> list[dict[str, Any]]:
        return [
            {
                "id": watcher.server["id"],
                "name": watcher.server["name"],
                "state": watcher.state,
                "agents": watcher.agents(),
                "message": watcher.message,
            }
            for watcher in self.watchers.values()
        ]
