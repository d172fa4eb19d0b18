"""A private PostgreSQL cluster in a directory of its own, reachable only from this machine."""

import hashlib
import logging
import os
import shlex
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from types import TracebackType
from typing import Self

import psycopg
from psycopg.conninfo import make_conninfo

from pgagent_live.demo.account import SERVER_USER, Account

logger = logging.getLogger(__name__)

# Unix socket paths hold at most 107 bytes; the server adds "/.s.PGSQL.NNNNN".
_MAX_SOCKET_DIR = 107 - len("/.s.PGSQL.65535")

_HBA = """\
# Written by pgagent-live: trust, but only on the private socket, which only its owner reaches.
local all all trust
"""


class ClusterError(RuntimeError):
    """The cluster could not be created, started or stopped."""


class Cluster:
    """A cluster made by initdb on first start and reused afterwards.

    ``data_dir`` holds the cluster's files (``pgdata``), its log (``server.log``) and, when
    the path is short enough, the directory of its socket (``run``).
    """

    def __init__(self, data_dir: Path, port: int | None = None) -> None:
        self.data_dir = data_dir.absolute()
        self.pgdata = self.data_dir / "pgdata"
        self.log_path = self.data_dir / "server.log"
        self.socket_dir = _socket_dir(self.data_dir)
        self.bindir = find_bindir()
        self._fixed_port = port
        self._port: int | None = None
        self._account = Account()

    @property
    def port(self) -> int:
        if self._port is None:
            raise ClusterError(f"expected a started cluster in {self.data_dir}, found none")
        return self._port

    def conninfo(self, dbname: str = "postgres") -> str:
        """A libpq connection string to the started cluster, over its private socket."""
        return make_conninfo(
            host=str(self.socket_dir), port=self.port, dbname=dbname, user=SERVER_USER
        )

    def start(self, timeout: float = 60.0) -> None:
        """Create the cluster if needed and start it, waiting until it accepts connections."""
        if self._port is not None and self.running:
            return
        self._prepare_dirs()
        if not (self.pgdata / "PG_VERSION").exists():
            self._initdb()
        self._remove_stale_pid_file()

        port = self._fixed_port or _free_port()
        # pg_ctl hands -o to a shell, hence the quoting.
        # No TCP at all: trust on a network address would let any local user in as superuser.
        options = shlex.join(["-p", str(port), "-k", str(self.socket_dir), "-h", ""])
        wait = ["-w", "-t", str(round(timeout))]
        result = self._pg_ctl(
            ["start", *wait, "-l", str(self.log_path), "-o", options], timeout=timeout + 10
        )
        if result.returncode != 0:
            raise ClusterError(
                f"expected the server in {self.pgdata} to start, found pg_ctl exit code"
                f" {result.returncode}: {result.stderr.strip()}\n{self._log_tail()}"
            )

        self._port = port
        logger.info("started cluster %s on port %d", self.pgdata, port)

    def stop(self, timeout: float = 60.0) -> None:
        """Stop the server this object started, with a fast shutdown; else do nothing."""
        # A server found running in the data directory belongs to someone else: leave it be.
        if self._port is None or not self.running:
            self._port = None
            return

        wait = ["-w", "-t", str(round(timeout))]
        result = self._pg_ctl(["stop", "-m", "fast", *wait], timeout=timeout + 10)
        if result.returncode != 0 and self.running:
            raise ClusterError(
                f"expected the server in {self.pgdata} to stop, found pg_ctl exit code"
                f" {result.returncode}: {result.stderr.strip()}\n{self._log_tail()}"
            )

        self._port = None
        logger.info("stopped cluster %s", self.pgdata)

    @property
    def running(self) -> bool:
        """Whether the postmaster named in the data directory's pid file is alive."""
        pid = self._postmaster_pid()
        return pid is not None and _is_postmaster(pid, self.pgdata)

    def ensure_pgagent(self, dbname: str = "postgres") -> None:
        """Create the pgagent extension in a database, unless it is there already."""
        with psycopg.connect(self.conninfo(dbname), autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS pgagent")

    def __enter__(self) -> Self:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _prepare_dirs(self) -> None:
        for path in (self.data_dir, self.socket_dir):
            path.mkdir(parents=True, exist_ok=True)
            self._account.own(path, 0o700)
            self._account.check_reachable(path)

    def _initdb(self) -> None:
        args = [str(self.bindir / "initdb"), "-D", str(self.pgdata), "-U", SERVER_USER]
        args += ["-E", "UTF8", "--no-locale", "--auth=trust", "--no-sync", "--no-instructions"]
        result = self._account.run(args, timeout=300)
        if result.returncode != 0:
            raise ClusterError(
                f"expected initdb to create {self.pgdata}, found exit code {result.returncode}:"
                f"\n{result.stdout}{result.stderr}"
            )

        # initdb's own file also trusts ::1 and replication; the demo needs neither.
        hba = self.pgdata / "pg_hba.conf"
        hba.write_text(_HBA)
        self._account.own(hba, 0o600)
        logger.info("created cluster %s", self.pgdata)

    def _remove_stale_pid_file(self) -> None:
        pid = self._postmaster_pid()
        if pid is None:
            return

        if _is_postmaster(pid, self.pgdata):
            raise ClusterError(
                f"expected no server running in {self.pgdata}, found postmaster pid {pid}:"
                f" stop it with {self.bindir / 'pg_ctl'} stop -D {self.pgdata}"
            )
        (self.pgdata / "postmaster.pid").unlink()
        logger.warning("removed stale pid file of cluster %s (pid %d is gone)", self.pgdata, pid)

    def _postmaster_pid(self) -> int | None:
        try:
            return int((self.pgdata / "postmaster.pid").read_text().split("\n", 1)[0])
        except (FileNotFoundError, ValueError):
            return None

    def _pg_ctl(self, args: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
        command = [str(self.bindir / "pg_ctl"), args[0], "-D", str(self.pgdata), *args[1:]]
        return self._account.run(command, timeout=timeout)

    def _log_tail(self, lines: int = 20) -> str:
        try:
            tail = self.log_path.read_text(errors="replace").splitlines()[-lines:]
        except FileNotFoundError:
            return f"(no server log at {self.log_path})"
        return f"last lines of {self.log_path}:\n" + "\n".join(tail)


def find_bindir() -> Path:
    """Where PostgreSQL's server programs are: pg_config, Debian's layout, then PATH."""
    candidates: list[Path] = []

    pg_config = shutil.which("pg_config")
    if pg_config:
        result = subprocess.run(
            [pg_config, "--bindir"], capture_output=True, text=True, check=False
        )
        if result.returncode == 0:
            candidates.append(Path(result.stdout.strip()))

    debian = Path("/usr/lib/postgresql")
    if debian.is_dir():
        versions = [p for p in debian.iterdir() if p.name.isdigit()]
        candidates += [p / "bin" for p in sorted(versions, key=lambda p: -int(p.name))]

    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(Path(initdb).parent)

    for bindir in candidates:
        if (bindir / "initdb").is_file() and (bindir / "pg_ctl").is_file():
            return bindir
    raise ClusterError(
        "expected PostgreSQL's initdb and pg_ctl (via pg_config --bindir,"
        " /usr/lib/postgresql/<version>/bin or PATH), found none: install the server package"
    )


def _socket_dir(data_dir: Path) -> Path:
    beside = data_dir / "run"
    if len(os.fsencode(beside)) <= _MAX_SOCKET_DIR:
        return beside

    # Too long for a socket: a short directory under /tmp, the same one for the same data dir.
    digest = hashlib.sha256(os.fsencode(data_dir)).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"pgagent-live-{digest}"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _is_postmaster(pid: int, pgdata: Path) -> bool:
    # A pid from a stale file may belong to another process by now: on Linux, the postmaster
    # is a live (not zombie) process whose working directory is its data directory.
    proc = Path(f"/proc/{pid}")
    if proc.parent.joinpath("self").is_dir():
        try:
            state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
            return state != "Z" and Path(os.readlink(proc / "cwd")) == pgdata.resolve()
        except OSError:
            return False

    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        # The postmaster runs as an account we can signal: another user's process is not it.
        return False
    return True
