"""Settings: a TOML file, then ``PGAGENT_LIVE_*`` environment variables, then flags."""

import ipaddress
import ssl
import tomllib
from pathlib import Path
from typing import Any, Literal

import psycopg
from psycopg.conninfo import conninfo_to_dict
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    InitSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)

from pgagent_live.security.ratelimit import parse_limit
from pgagent_live.security.redaction import Redactor
from pgagent_live.security.tokens import TokenEntry

NotificationPosition = Literal["top-right", "top-left", "bottom-right", "bottom-left"]


class ConfigError(Exception):
    """The settings could not be read or are not valid."""


class ServerEntry(BaseModel):
    """A monitored PostgreSQL server: its id is the key it is listed under."""

    model_config = ConfigDict(extra="forbid")

    conninfo: str
    """A libpq connection string, URI or ``service=NAME``; passwords belong in ``.pgpass``."""
    name: str | None = None
    """The display name; the id when unset."""

    @field_validator("conninfo")
    @classmethod
    def _parsable(cls, value: str) -> str:
        try:
            conninfo_to_dict(value)
        except psycopg.ProgrammingError:
            # libpq's message repeats the string, password and all: say what was expected only.
            expected = "keyword=value pairs, a postgresql:// URI or service=NAME"
            raise ValueError(f"expected a connection string of {expected}") from None
        return value


class Settings(BaseSettings):
    """Every setting of the service, with the specification's names where it has one."""

    model_config = SettingsConfigDict(
        env_prefix="PGAGENT_LIVE_", case_sensitive=False, extra="forbid"
    )

    websocket_enabled: bool = True
    """Push over Socket.IO; when false the page polls the REST API instead."""
    websocket_port: int = Field(default=5050, ge=1, le=65535)
    """The one port of the service: page, REST API and Socket.IO."""
    host: str = "127.0.0.1"
    """The address to listen on."""
    token: str | None = None
    """The token that opens the socket and the REST API; a random one when unset."""
    notification_duration: int = Field(default=5000, ge=0)
    """Milliseconds a notification stays on screen (failures stay until dismissed)."""
    notification_position: NotificationPosition = "top-right"
    """Where notifications appear on the page."""
    debug_mode: bool = False
    """Verbose logs in the service, and socket traffic in the browser console."""
    poll_interval: float = Field(default=1.0, gt=0, le=3600)
    """Seconds between two looks at a server's pgAgent tables."""
    claim_grace: float = Field(default=30.0, ge=0)
    """Seconds a job may stay claimed by an agent with no run row before it shows as stuck."""
    overdue_grace: float = Field(default=60.0, ge=0)
    """Seconds a job's next run may be past with no run started before it shows as overdue."""
    long_running_factor: float = Field(default=3.0, ge=1)
    """A run is long running past this many times the median of its job's last 20 successes."""
    long_running_min_excess: float = Field(default=60.0, ge=0)
    """... and only when it is at least this many seconds over that median."""
    watch_mode: Literal["poll", "notify", "auto"] = "auto"
    """``notify`` where the triggers are installed and ``poll`` elsewhere (``auto``), or one
    of them everywhere."""
    safety_poll_interval: float = Field(default=30.0, gt=0, le=3600)
    """In notify mode, seconds between two looks when no NOTIFY comes: the safety net."""
    health_timeout: float = Field(default=10.0, gt=0, le=600)
    """Seconds the listener's health query may take, and between two of them."""
    replay_window: int = Field(default=1000, ge=0, le=1_000_000)
    """Events the service keeps for clients that reconnect and resume."""
    url_prefix: str = ""
    """The path the service lives under behind a reverse proxy that passes paths unchanged,
    such as ``/pgagent``; empty for the root."""
    socket_path: str = "/socket.io"
    socket_reconnection: bool = True
    socket_reconnection_attempts: int = Field(default=10, ge=0)
    socket_reconnection_delay: int = Field(default=1000, ge=0)
    socket_timeout: int = Field(default=20000, ge=0)
    servers: dict[str, ServerEntry] = Field(default_factory=dict)
    """Monitored servers by id."""
    tokens: dict[str, TokenEntry] = Field(default_factory=dict)
    """Issued tokens by id, as ``pgagent-live token create`` writes them: hashes only."""
    allowed_origins: list[str] = Field(default_factory=list)
    """Browser origins that may use the socket and REST API; the page's own one when empty."""
    trusted_proxies: list[str] = Field(default_factory=list)
    """Addresses or networks of proxies whose ``X-Forwarded-For`` and ``-Proto`` are believed."""
    tls_cert: Path | None = None
    """PEM certificate chain: serve https and wss."""
    tls_key: Path | None = None
    """PEM private key of ``tls_cert``."""
    rate_connect: str = "30/minute"
    """Connection attempts (and refused REST calls) per client address."""
    rate_messages: str = "10/second"
    """Messages per socket."""
    rate_calls: str = "300/minute"
    """REST calls per token."""
    max_message_bytes: int = Field(default=16 * 1024, ge=1024, le=1024 * 1024)
    """The largest message a client may send; a bigger one closes its connection."""
    token_recheck: float = Field(default=5.0, gt=0, le=300)
    """Seconds between two rereads of the tokens; a revoked or expired token's sockets
    are closed within that time."""

    @field_validator("url_prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        if value and not value.startswith("/"):
            raise ValueError(f"expected a path starting with '/', or nothing, found {value!r}")
        return value.rstrip("/")

    @field_validator("socket_path")
    @classmethod
    def _absolute_path(cls, value: str) -> str:
        if not value.startswith("/"):
            raise ValueError(f"expected a path starting with '/', found {value!r}")
        return value.rstrip("/") or "/"

    @field_validator("allowed_origins")
    @classmethod
    def _explicit_origins(cls, value: list[str]) -> list[str]:
        for origin in value:
            scheme, sep, host = origin.partition("://")
            if scheme not in ("http", "https") or not sep or not host or "/" in host.rstrip("/"):
                raise ValueError(f"expected origins such as 'https://host:port', found {origin!r}")
        return [origin.rstrip("/") for origin in value]

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for entry in value:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(f"expected an address or network, found {entry!r}") from None
        return value

    @field_validator("rate_connect", "rate_messages", "rate_calls")
    @classmethod
    def _rate(cls, value: str) -> str:
        parse_limit(value)
        return value

    @model_validator(mode="after")
    def _tls_pair(self) -> "Settings":
        if (self.tls_cert is None) != (self.tls_key is None):
            raise ValueError("expected both TLS_CERT and TLS_KEY, or neither")
        if self.tls_cert is None or self.tls_key is None:
            return self

        # Load them now: a bad file is a settings error, not a failure once serving.
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        try:
            context.load_cert_chain(self.tls_cert, self.tls_key)
        except ssl.SSLError as exc:
            raise ValueError(
                f"expected TLS_CERT to be a PEM certificate and TLS_KEY its key, found {exc.reason}"
            ) from None
        except OSError as exc:
            where = exc.filename or f"{self.tls_cert} or {self.tls_key}"
            reason = exc.strerror or str(exc)
            expected = "expected readable TLS_CERT and TLS_KEY files"
            raise ValueError(f"{expected}: {where}: {reason}") from None
        return self

    def client_config(self) -> dict[str, Any]:
        """The settings the page needs, as ``GET /api/v1/config`` returns them."""
        return {
            "websocket_enabled": self.websocket_enabled,
            "namespace": "/pgagent",
            "socket": {
                "path": self.socket_path,
                "reconnection": self.socket_reconnection,
                "reconnectionAttempts": self.socket_reconnection_attempts,
                "reconnectionDelay": self.socket_reconnection_delay,
                "timeout": self.socket_timeout,
            },
            "notification": {
                "duration": self.notification_duration,
                "position": self.notification_position,
            },
            "debug": self.debug_mode,
        }


def load_settings(config_file: Path | None = None, **flags: Any) -> Settings:
    """Read the settings: flags win over the environment, which wins over the file."""
    file_values = _read_file(config_file) if config_file else {}

    class _FileSettings(Settings):
        @classmethod
        def settings_customise_sources(
            cls,
            settings_cls: type[BaseSettings],
            init_settings: PydanticBaseSettingsSource,
            env_settings: PydanticBaseSettingsSource,
            dotenv_settings: PydanticBaseSettingsSource,
            file_secret_settings: PydanticBaseSettingsSource,
        ) -> tuple[PydanticBaseSettingsSource, ...]:
            return init_settings, env_settings, InitSettingsSource(settings_cls, file_values)

    given = {key: value for key, value in flags.items() if value is not None}
    try:
        return Settings.model_validate(_FileSettings(**given).model_dump())
    except ValidationError as exc:
        raise ConfigError(_describe(exc)) from None
    except SettingsError as exc:
        hint = 'a list or table in the environment is written as JSON, e.g. \'["a", "b"]\''
        raise ConfigError(f"invalid settings: {exc}: {hint}") from None


def _read_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as f:
            data = tomllib.load(f)
    except OSError as exc:
        raise ConfigError(f"cannot read settings file {str(path)!r}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"settings file {str(path)!r} is not valid TOML: {exc}") from None
    return {key.lower(): value for key, value in data.items()}


def _describe(exc: ValidationError) -> str:
    lines = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"]).upper() or "SETTINGS"
        found = error.get("input")

        # A server entry holds a connection string, which may hold a password.
        if where.startswith("SERVERS") or not isinstance(found, str | int | float | bool):
            lines.append(f"{where}: {error['msg']}")
        else:
            lines.append(f"{where}: {error['msg']} (found {found!r})")
    return Redactor().text("invalid settings: " + "; ".join(lines))
