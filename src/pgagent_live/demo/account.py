"""The operating system account that runs the demo's PostgreSQL programs and the agent."""

import os
import pwd
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import IO, TypedDict

SERVER_USER = "postgres"


class _Identity(TypedDict, total=False):
    user: int
    group: int
    extra_groups: list[int]
    env: dict[str, str]
    cwd: str


class Account:
    """Runs programs as ``postgres`` when we are root (initdb refuses root), else as ourselves."""

    def __init__(self) -> None:
        self.entry: pwd.struct_passwd | None = None
        if os.geteuid() == 0:
            try:
                self.entry = pwd.getpwnam(SERVER_USER)
            except KeyError:
                raise RuntimeError(
                    f"expected an OS user {SERVER_USER!r} to run PostgreSQL as root, found none"
                ) from None

    def run(self, args: Sequence[str], timeout: float) -> subprocess.CompletedProcess[str]:
        """Run a program to its end, with its output captured as text."""
        return subprocess.run(
            args,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            **self._identity(),
        )

    def spawn(self, args: Sequence[str], output: IO[bytes]) -> "subprocess.Popen[bytes]":
        """Start a long-running program in its own session, so a Ctrl-C reaches only us."""
        return subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            **self._identity(),
        )

    def own(self, path: Path, mode: int) -> None:
        """Give a file or directory to the account, with the given permissions."""
        if self.entry is not None:
            os.chown(path, self.entry.pw_uid, self.entry.pw_gid)
        path.chmod(mode)

    def check_reachable(self, path: Path) -> None:
        """Fail early when the account could not walk down to ``path``."""
        if self.entry is None:
            return

        groups = os.getgrouplist(SERVER_USER, self.entry.pw_gid)
        for parent in path.resolve().parents:
            info = parent.stat()
            if info.st_uid == self.entry.pw_uid:
                searchable = info.st_mode & 0o100
            elif info.st_gid in groups:
                searchable = info.st_mode & 0o010
            else:
                searchable = info.st_mode & 0o001
            if not searchable:
                raise RuntimeError(
                    f"expected {parent} to be searchable by the {SERVER_USER} user (o+x) so"
                    f" that it can reach {path}, found mode {info.st_mode & 0o777:o}"
                )

    def _identity(self) -> _Identity:
        # Popen switches user and groups itself, so the pid we hold is the program's own.
        if self.entry is None:
            return {}

        env = dict(os.environ)
        env.update(HOME=self.entry.pw_dir, USER=SERVER_USER, LOGNAME=SERVER_USER)
        return {
            "user": self.entry.pw_uid,
            "group": self.entry.pw_gid,
            "extra_groups": os.getgrouplist(SERVER_USER, self.entry.pw_gid),
            "env": env,
            "cwd": "/",
        }
