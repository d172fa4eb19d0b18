"""The LISTEN connection of a notify-mode watcher: wake-ups, health checks and reconnects."""

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable

import psycopg

from pgagent_live.pgagent.queries import query
from pgagent_live.pgagent.reads import Connection
from pgagent_live.pgagent.triggers import CHANNEL

logger = logging.getLogger(__name__)

Connect = Callable[[], Awaitable[Connection]]

QUEUE_WARNING = 0.5
"""The share of PostgreSQL's notification queue above which the health check warns."""


class Listener:
    """Listens on the triggers' channel and sets ``wake`` for each NOTIFY.

    ``listening`` is set while LISTEN is in force and cleared as soon as the connection
    is found dead. ``wake`` is also set when the connection is lost, and again once LISTEN
    is back, since what was committed while nobody listened only a look at the tables finds.
    """

    def __init__(
        self,
        server_id: str,
        connect: Connect,
        *,
        health_interval: float = 10.0,
        health_timeout: float = 10.0,
        max_backoff: float = 30.0,
    ) -> None:
        self.server_id = server_id
        self.wake = asyncio.Event()
        self.listening = asyncio.Event()
        self.error = ""
        self.notifications = 0
        self.backend_pid: int | None = None
        self._connect = connect
        self._health_interval = health_interval
        self._health_timeout = health_timeout
        self._max_backoff = max_backoff

    async def run(self) -> None:
        """Listen until cancelled, reconnecting with backoff and jitter when it fails."""
        failures = 0
        while True:
            try:
                await self._listen()
            except (psycopg.Error, TimeoutError, OSError) as exc:
                self.error = _first_line(exc) if str(exc) else "the health check timed out"
                logger.warning("listener of %s lost: %s", self.server_id, self.error)
            finally:
                self.listening.clear()
                self.backend_pid = None
            # The watcher waits for a NOTIFY that will not come: it must poll meanwhile.
            self.wake.set()

            failures += 1
            delay = min(self._max_backoff, 0.5 * 2 ** min(failures, 6))
            await asyncio.sleep(delay * random.uniform(0.5, 1.0))

    async def _listen(self) -> None:
        conn = await self._connect()
        async with conn:
            await conn.execute(f"LISTEN {CHANNEL}")
            self.backend_pid = conn.info.backend_pid
            self.listening.set()
            self.wake.set()
            logger.info("listening to %s (backend %s)", self.server_id, self.backend_pid)

            while True:
                async for _ in conn.notifies(timeout=self._health_interval):
                    self.notifications += 1
                    self.wake.set()
                await self._check_health(conn)

    async def _check_health(self, conn: Connection) -> None:
        # A backend that stopped answering keeps its socket open: only a deadline tells.
        async with asyncio.timeout(self._health_timeout):
            cur = await conn.execute(query("listener_health"))
            row = await cur.fetchone()
        usage = float(row[0]) if row else 0.0
        if usage > QUEUE_WARNING:
            logger.warning(
                "notification queue of %s is %.0f%% full: a session holds a transaction open",
                self.server_id,
                usage * 100,
            )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]
