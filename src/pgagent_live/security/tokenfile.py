"""The ``[tokens]`` table of the settings file: issue, list, revoke, and reread while serving."""

import os
import tempfile
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import tomlkit
from pydantic import TypeAdapter, ValidationError

from pgagent_live.security.tokens import ISSUED_ROLES, TokenEntry, new_token

_ENTRIES = TypeAdapter(dict[str, TokenEntry])

_UNITS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


class TokenFileError(Exception):
    """The settings file's tokens could not be read or written."""


def parse_duration(text: str) -> timedelta:
    """A lifetime such as ``90m``, ``12h``, ``30d`` or ``2w``."""
    number, unit = text[:-1], text[-1:].lower()
    if unit not in _UNITS or not number.isdigit() or int(number) == 0:
        raise ValueError(f"expected a duration such as '30d', '12h' or '90m', found {text!r}")
    return timedelta(seconds=int(number) * _UNITS[unit])


def read_tokens(path: Path) -> dict[str, TokenEntry]:
    """The tokens the file holds now."""
    try:
        with path.open("rb") as f:
            data = tomllib.load(f)
    except OSError as exc:
        raise TokenFileError(f"cannot read settings file {str(path)!r}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise TokenFileError(f"settings file {str(path)!r} is not valid TOML: {exc}") from None

    table = {key.lower(): value for key, value in data.items()}.get("tokens", {})
    try:
        return _ENTRIES.validate_python(table)
    except ValidationError as exc:
        where = "; ".join(
            f"TOKENS.{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise TokenFileError(f"settings file {str(path)!r} has invalid tokens: {where}") from None


def create_token(
    path: Path,
    role: str,
    servers: list[str] | None = None,
    lifetime: timedelta | None = None,
    now: datetime | None = None,
) -> tuple[str, str]:
    """Issue a token and keep its hash in the file; returns its id and the token itself."""
    if role not in ISSUED_ROLES:
        raise TokenFileError(f"expected a role among {', '.join(ISSUED_ROLES)}, found {role!r}")
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    token_id, token, digest = new_token()

    entry = tomlkit.table()
    entry["hash"] = digest
    entry["role"] = role
    if servers is not None:
        entry["servers"] = servers
    entry["created"] = now
    if lifetime is not None:
        entry["expires"] = now + lifetime

    document = _load(path)
    tokens = document.setdefault("tokens", tomlkit.table(is_super_table=True))
    tokens[token_id] = entry
    _save(path, document)
    return token_id, token


def revoke_token(path: Path, token_id: str, now: datetime | None = None) -> None:
    """Mark a token revoked; a serving service closes its sockets at its next reread."""
    document = _load(path)
    tokens: Any = document.get("tokens", {})
    if token_id not in tokens:
        raise TokenFileError(f"no token {token_id!r} in {str(path)!r}")
    tokens[token_id]["revoked"] = (now or datetime.now(UTC)).replace(microsecond=0)
    _save(path, document)


def _load(path: Path) -> tomlkit.TOMLDocument:
    if not path.exists():
        return tomlkit.document()
    try:
        return tomlkit.parse(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise TokenFileError(f"cannot read settings file {str(path)!r}: {exc.strerror}") from None
    except tomlkit.exceptions.ParseError as exc:
        raise TokenFileError(f"settings file {str(path)!r} is not valid TOML: {exc}") from None


def _save(path: Path, document: tomlkit.TOMLDocument) -> None:
    # A serving service rereads the file at any moment: it must never see half of it.
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o600
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as f:
            f.write(tomlkit.dumps(document))
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
