"""Tokens, roles and scopes: who a request comes from and what it may see and do."""

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Role = Literal["viewer", "operator", "publisher", "admin"]
"""``admin`` is the single token of ``--token``; the others are issued by ``token create``."""

Action = Literal["watch", "operate", "publish"]
"""``operate``: run now, enable, disable; ``publish``: send progress of a running job."""

ISSUED_ROLES: tuple[Role, ...] = ("viewer", "operator", "publisher")

ROLE_ACTIONS: dict[Role, frozenset[Action]] = {
    "viewer": frozenset({"watch"}),
    "operator": frozenset({"watch", "operate"}),
    "publisher": frozenset({"watch", "publish"}),
    "admin": frozenset({"watch", "operate", "publish"}),
}

TOKEN_PREFIX = "pgl_"
_ID_HEX = 8
MAX_TOKEN_LENGTH = 256


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a request was refused, in words and as a machine-readable code."""

    code: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


class TokenEntry(BaseModel):
    """An issued token as the settings file keeps it: its hash, never the token."""

    model_config = ConfigDict(extra="forbid")

    hash: str
    role: Literal["viewer", "operator", "publisher"]
    servers: list[str] | None = None
    """The servers the token may see; all when unset."""
    created: datetime | None = None
    expires: datetime | None = None
    revoked: datetime | None = None

    @field_validator("hash")
    @classmethod
    def _known_scheme(cls, value: str) -> str:
        scheme, _, rest = value.partition("$")
        if scheme != "sha256" or rest.count("$") != 1:
            raise ValueError("expected 'sha256$SALT$DIGEST'")
        return value

    @field_validator("created", "expires", "revoked")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


@dataclass(frozen=True, slots=True)
class Principal:
    """Whoever a request comes from: the token's id, role and scope."""

    token_id: str
    role: Role
    servers: frozenset[str] | None = None
    """None: every server."""
    expires: datetime | None = None

    def may(self, action: Action) -> bool:
        return action in ROLE_ACTIONS[self.role]

    def sees(self, server_id: str) -> bool:
        return self.servers is None or server_id in self.servers


class Tokens(BaseModel):
    """The ``[tokens]`` table: issued tokens by id."""

    model_config = ConfigDict(extra="forbid")

    tokens: dict[str, TokenEntry] = Field(default_factory=dict)


def hash_secret(secret: str, salt: str | None = None) -> str:
    """The stored form of a token's secret part.

    A fast salted SHA-256 is enough here, unlike for passwords: the secret is 32 random bytes,
    so no guess list or brute force can reach it however fast each guess is, and a slow hash
    would only make every socket connect and REST call cost more.
    """
    salt = salt if salt is not None else secrets.token_hex(16)
    digest = hashlib.sha256(f"{salt}${secret}".encode()).hexdigest()
    return f"sha256${salt}${digest}"


def new_token() -> tuple[str, str, str]:
    """A fresh token: its id, the token to hand out (once), and the hash to keep."""
    token_id = secrets.token_hex(_ID_HEX // 2)
    secret = secrets.token_urlsafe(32)
    return token_id, f"{TOKEN_PREFIX}{token_id}_{secret}", hash_secret(secret)


def split_token(given: str) -> tuple[str, str] | None:
    """The id and secret of an issued token, or None when ``given`` has not that shape."""
    if not given.startswith(TOKEN_PREFIX):
        return None
    rest = given[len(TOKEN_PREFIX) :]
    token_id, sep, secret = rest[:_ID_HEX], rest[_ID_HEX : _ID_HEX + 1], rest[_ID_HEX + 1 :]
    if sep != "_" or not secret or not all(c in "0123456789abcdef" for c in token_id):
        return None
    return token_id, secret


class Authenticator:
    """Turns a given token into a principal, or says why it cannot."""

    ADMIN_ID = "main"

    def __init__(
        self, admin_token: str | None, tokens: Mapping[str, TokenEntry] | None = None
    ) -> None:
        self._admin = admin_token
        self.tokens: dict[str, TokenEntry] = dict(tokens or {})

    def replace_tokens(self, tokens: Mapping[str, TokenEntry]) -> None:
        self.tokens = dict(tokens)

    def authenticate(self, given: object, now: datetime | None = None) -> Principal | Refusal:
        """The principal the token stands for, or the refusal to answer."""
        if given is None or given == "":
            return Refusal("auth_required", "a token is required: open the URL that carries it")
        if not isinstance(given, str) or len(given) > MAX_TOKEN_LENGTH:
            return Refusal("auth_invalid", "the token is not valid")

        if self._admin is not None and hmac.compare_digest(
            given.encode("utf-8", "surrogateescape"), self._admin.encode("utf-8")
        ):
            return Principal(self.ADMIN_ID, "admin")

        parts = split_token(given)
        entry = self.tokens.get(parts[0]) if parts else None
        if parts is None or entry is None:
            return Refusal("auth_invalid", "the token is not valid")
        _, salt, _ = entry.hash.split("$")
        if not hmac.compare_digest(hash_secret(parts[1], salt), entry.hash):
            return Refusal("auth_invalid", "the token is not valid")

        refusal = _lapsed(parts[0], entry, now or datetime.now(UTC))
        if refusal is not None:
            return refusal
        return _principal(parts[0], entry)

    def recheck(self, principal: Principal, now: datetime | None = None) -> Refusal | None:
        """None while the principal's token still stands as it did, else why it does not."""
        if principal.token_id == self.ADMIN_ID and principal.role == "admin":
            return None
        entry = self.tokens.get(principal.token_id)
        if entry is None:
            return Refusal("auth_invalid", f"token {principal.token_id} was revoked")
        refusal = _lapsed(principal.token_id, entry, now or datetime.now(UTC))
        if refusal is not None:
            return refusal
        if _principal(principal.token_id, entry) != principal:
            return Refusal("auth_invalid", f"token {principal.token_id} changed: connect again")
        return None


def _lapsed(token_id: str, entry: TokenEntry, now: datetime) -> Refusal | None:
    if entry.revoked is not None and entry.revoked <= now:
        return Refusal("auth_invalid", f"token {token_id} was revoked")
    if entry.expires is not None and entry.expires <= now:
        return Refusal("auth_expired", f"token {token_id} expired at {entry.expires.isoformat()}")
    return None


def _principal(token_id: str, entry: TokenEntry) -> Principal:
    servers = frozenset(entry.servers) if entry.servers is not None else None
    return Principal(token_id, entry.role, servers, entry.expires)
