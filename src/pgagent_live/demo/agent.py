"""The real pgAgent daemon, run in the foreground as a child process."""

import logging
import math
import shutil
import subprocess
import time
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import IO, Self

import psycopg

from pgagent_live.demo.account import Account

logger = logging.getLogger(__name__)

# An agent registers by inserting its backend pid; one whose backend is gone is a leftover.
_REGISTERED = """
SELECT a.jagpid
  FROM pgagent.pga_jobagent a
  JOIN pg_stat_activity s ON s.pid = a.jagpid
 WHERE a.jaglogintime >= %s
 ORDER BY a.jaglogintime DESC
 LIMIT 1
"""


class AgentError(RuntimeError):
    """The agent could not be started or did not register."""


class Agent:
    """``pgagent -f`` against one database, logging warnings and errors to ``log_path``.

    pgAgent polls in whole seconds, so ``poll_seconds`` is rounded up (at least 1).
    """

    def __init__(self, conninfo: str, log_path: Path, poll_seconds: float = 1.0) -> None:
        self.conninfo = conninfo
        self.log_path = log_path
        self.poll_seconds = max(1, math.ceil(poll_seconds))
        self.jagpid: int | None = None
        """The agent's id in ``pga_jobagent``: the pid of its database backend."""
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self._account = Account()

    @property
    def pid(self) -> int:
        """The daemon's own process id."""
        if self._process is None:
            raise AgentError("expected a started agent, found none")
        return self._process.pid

    @property
    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self, timeout: float = 30.0) -> None:
        """Start the daemon and wait until it has registered in ``pga_jobagent``."""
        if self.alive:
            return
        executable = shutil.which("pgagent")
        if executable is None:
            raise AgentError("expected the pgagent program on PATH, found none")

        with psycopg.connect(self.conninfo, autocommit=True) as conn:
            row = conn.execute("SELECT clock_timestamp()").fetchone()
            assert row is not None
            launched: datetime = row[0]

        # Level 1 logs warnings and errors; level 2 would write connection strings out.
        args = [executable, "-f", "-l", "1", "-t", str(self.poll_seconds), self.conninfo]
        self._log = self.log_path.open("ab")
        self._process = self._account.spawn(args, self._log)
        try:
            self.jagpid = self._wait_registered(launched, timeout)
        except BaseException:
            self.stop()
            raise
        logger.info("started agent pid %d (backend %d)", self._process.pid, self.jagpid)

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the daemon to end (SIGTERM), killing it when it does not in time."""
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout)
            except subprocess.TimeoutExpired:
                logger.warning("agent pid %d ignored SIGTERM, killing it", self._process.pid)
                self._process.kill()
                self._process.wait()
            logger.info("stopped agent pid %d", self._process.pid)
        self._close_log()

    def kill(self) -> None:
        """End the daemon with SIGKILL, as a crash would: its runs stay open in the tables."""
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait()
            logger.info("killed agent pid %d", self._process.pid)
        self._close_log()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _wait_registered(self, launched: datetime, timeout: float) -> int:
        deadline = time.monotonic() + timeout
        with psycopg.connect(self.conninfo, autocommit=True) as conn:
            while True:
                row = conn.execute(_REGISTERED, (launched,)).fetchone()
                if row is not None:
                    jagpid: int = row[0]
                    return jagpid

                assert self._process is not None
                if self._process.poll() is not None:
                    raise AgentError(
                        f"expected pgagent to register, found it exited with code"
                        f" {self._process.returncode}\n{self._log_tail()}"
                    )
                if time.monotonic() > deadline:
                    raise AgentError(
                        f"expected pgagent to register within {timeout:g} s, found no row in"
                        f" pgagent.pga_jobagent\n{self._log_tail()}"
                    )
                time.sleep(0.1)

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None

    def _log_tail(self, lines: int = 20) -> str:
        tail = self.log_path.read_text(errors="replace").splitlines()[-lines:]
        return f"last lines of {self.log_path}:\n" + "\n".join(tail)
