"""The hub: stamps events with sequence numbers, keeps a replay window and fans them out."""

import asyncio
import contextlib
import logging
import secrets
from collections import deque
from collections.abc import Collection, Iterable, Mapping
from datetime import datetime
from typing import Any

import socketio

from pgagent_live.security.redaction import Redactor
from pgagent_live.watch.events import Event, ServerRef, ServerSnapshot, ServerState, Snapshot
from pgagent_live.watch.watcher import Watcher

logger = logging.getLogger(__name__)

NAMESPACE = "/pgagent"


def server_room(server_id: str) -> str:
    return f"server:{server_id}"


def job_room(server_id: str, job_id: int) -> str:
    """The room of clients that follow some jobs of a server rather than all of it."""
    return f"job:{server_id}:{job_id}"


FIRST_LOOK_WAIT = 5.0
"""Seconds a connecting client waits for watchers that are still reading their server."""

JobFilter = Mapping[str, Collection[int] | None]
"""Server id to the jobs a client follows there; None for every job of the server."""


class Hub:
    """Where every watcher's events meet every client."""

    def __init__(
        self, sio: socketio.AsyncServer, window: int = 1000, redactor: Redactor | None = None
    ) -> None:
        self.sio = sio
        self.redactor = redactor or Redactor()
        self.epoch = secrets.token_hex(8)
        self.seq = 0
        self.window: deque[Event] = deque(maxlen=window)
        self.watchers: dict[str, Watcher] = {}
        # Held while events are stamped and sent, and while a client enters its rooms and is
        # brought up to date: each event reaches it either in that catch-up or by its rooms.
        self._lock = asyncio.Lock()
        self._summaries: set[asyncio.Task[None]] = set()
        self._states = asyncio.Condition()
        """Notified whenever a server's state changes."""

    def add(self, watcher: Watcher) -> None:
        self.watchers[watcher.server["id"]] = watcher

    async def publish(self, events: list[Event]) -> None:
        """Stamp events in order and send each server's share to its room as one batch."""
        async with self._lock:
            await self._publish(events)

    async def _publish(self, events: list[Event]) -> None:
        by_server: dict[str, list[Event]] = {}
        for event in map(self.redactor.value, events):
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

            # Clients that follow some jobs are in those jobs' rooms, never in the server's.
            by_job: dict[int, list[Event]] = {}
            for event in batch:
                if "job" in event:
                    by_job.setdefault(event["job"]["id"], []).append(event)
            for job_id, share in by_job.items():
                await self.sio.emit(
                    "job_status_update",
                    share[0] if len(share) == 1 else share,
                    room=job_room(server_id, job_id),
                    namespace=NAMESPACE,
                )

    async def server_state(self, server: ServerRef, state: ServerState, message: str) -> None:
        data = {"server": server, "state": state, "message": self.redactor.text(message)}
        watcher = self.watchers.get(server["id"])
        job_ids = [job["id"] for job in watcher.job_states()] if watcher else []
        rooms = [server_room(server["id"])] + [job_room(server["id"], i) for i in job_ids]
        await self.sio.emit("server_status", data, room=rooms, namespace=NAMESPACE)
        async with self._states:
            self._states.notify_all()

    def snapshot(
        self, server_ids: Iterable[str] | None = None, jobs: JobFilter | None = None
    ) -> Snapshot:
        """The state of the given servers (all by default), narrowed to ``jobs`` where given."""
        wanted = set(self.watchers if server_ids is None else server_ids)
        jobs = jobs or {}
        servers = [
            ServerSnapshot(
                id=watcher.server["id"],
                name=watcher.server["name"],
                state=watcher.state,
                agents=watcher.agents(),
                message=self.redactor.text(watcher.message),
                jobs=[
                    job
                    for job in watcher.job_states()
                    if jobs.get(server_id) is None or job["id"] in (jobs[server_id] or ())
                ],
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
                "message": self.redactor.text(watcher.message),
            }
            for watcher in self.watchers.values()
        ]

    def replay(self, epoch: object, seq: object, jobs: JobFilter) -> list[Event] | None:
        """The events after ``seq`` that ``jobs`` lets through, or None when they are gone."""
        if epoch != self.epoch or not isinstance(seq, int) or isinstance(seq, bool):
            return None
        oldest = self.window[0]["seq"] if self.window else self.seq + 1
        if seq < oldest - 1 or seq > self.seq:
            return None
        return [
            event
            for event in self.window
            if event["seq"] > seq
            and event["server"]["id"] in jobs
            and (
                jobs[event["server"]["id"]] is None
                or ("job" in event and event["job"]["id"] in (jobs[event["server"]["id"]] or ()))
            )
        ]

    async def welcome(self, sid: str, follows: JobFilter, resume: object) -> None:
        """Put a connecting client in its rooms and bring it up to date.

        A client that resumes (``resume`` is ``{epoch, seq, at}``) gets the events it missed
        when the window still holds them all. Any other gets a snapshot; a resuming one also
        gets, as ``finished_since``, the runs that ended since ``at``, read from the databases.
        """
        request = resume if isinstance(resume, dict) else None
        await self._first_looks(follows)
        async with self._lock:
            for server_id, jobs in follows.items():
                rooms = (
                    [server_room(server_id)]
                    if jobs is None
                    else [job_room(server_id, job_id) for job_id in jobs]
                )
                for room in rooms:
                    await self.sio.enter_room(sid, room, namespace=NAMESPACE)

            missed = None
            if request is not None:
                missed = self.replay(request.get("epoch"), request.get("seq"), follows)
            if missed is not None:
                await self._replay_to(sid, missed, follows)
                return
            await self.sio.emit(
                "snapshot", self.snapshot(list(follows), follows), to=sid, namespace=NAMESPACE
            )

        since = _parse_time(request.get("at")) if request is not None else None
        if request is not None and since is not None:
            reason = "epoch_changed" if request.get("epoch") != self.epoch else "window_passed"
            task = asyncio.create_task(self._send_summary(sid, since, reason, follows))
            self._summaries.add(task)
            task.add_done_callback(self._summaries.discard)

    async def _first_looks(self, follows: JobFilter) -> None:
        """Wait a little for watchers that have not read their server yet: they have no jobs.

        A known shortcoming: a server still connecting after ``FIRST_LOOK_WAIT`` shows no jobs
        to this client until it reconnects or asks for a ``resync``.
        """
        watchers = [self.watchers[s] for s in follows if s in self.watchers]
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(FIRST_LOOK_WAIT), self._states:
                await self._states.wait_for(lambda: all(w.state != "connecting" for w in watchers))

    async def _replay_to(self, sid: str, missed: list[Event], follows: JobFilter) -> None:
        logger.info("socket %s resumed with %d missed events", sid, len(missed))
        if missed:
            await self.sio.emit("job_status_update", missed, to=sid, namespace=NAMESPACE)

        # A state that changed while the client was away is not in the window.
        for server_id in follows:
            watcher = self.watchers.get(server_id)
            if watcher is not None:
                data = {
                    "server": watcher.server,
                    "state": watcher.state,
                    "message": self.redactor.text(watcher.message),
                }
                await self.sio.emit("server_status", data, to=sid, namespace=NAMESPACE)

    async def _send_summary(
        self, sid: str, since: datetime, reason: str, follows: JobFilter
    ) -> None:
        servers = []
        for server_id, jobs in follows.items():
            watcher = self.watchers.get(server_id)
            if watcher is None:
                continue
            entry: dict[str, Any] = {"id": server_id, "runs": [], "error": None}
            try:
                runs = await watcher.finished_since(since)
            except Exception as exc:
                # A server that is down now cannot say what it did: the client is told so.
                logger.warning("summary of %s for socket %s failed: %s", server_id, sid, exc)
                entry["error"] = self.redactor.text(str(exc).strip().splitlines()[0] or "failed")
            else:
                entry["runs"] = [r for r in runs if jobs is None or r["job"]["id"] in jobs]
            servers.append(entry)

        data = {"since": since.isoformat(), "reason": reason, "servers": servers}
        await self.sio.emit("finished_since", data, to=sid, namespace=NAMESPACE)


def _parse_time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None
