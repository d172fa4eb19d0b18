"""Which browser origins may open a socket or call the REST API."""

import logging
from collections.abc import Mapping
from typing import Any

logger = logging.getLogger(__name__)

_HTTP_SCHEME = {"ws": "http", "wss": "https"}


def peer_of(scope: Mapping[str, Any]) -> str:
    """The client's address; uvicorn has already put a trusted proxy's forwarded one there."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


class OriginPolicy:
    """The page's own origin by default, or exactly the configured public origins."""

    def __init__(self, allowed: list[str]) -> None:
        self.allowed = [origin.rstrip("/") for origin in allowed]

    def allows(self, origin: str | None, scope: Mapping[str, Any]) -> bool:
        """Whether a request with this ``Origin`` header may go on (programs send none)."""
        if origin is None:
            return True
        if self.allowed:
            return origin in self.allowed
        return origin == own_origin(scope)

    def __call__(self, origin: str | None, environ: dict[str, Any]) -> bool:
        """The check Engine.IO calls before it accepts a socket."""
        scope = environ.get("asgi.scope", {})
        allowed = self.allows(origin, scope)

        # Engine.IO asks twice per request; one line per refused request is enough.
        if not allowed and environ.get("pgagent_live.origin_logged") is None:
            environ["pgagent_live.origin_logged"] = True
            logger.warning(
                "socket refused from %s: origin %.100r not allowed", peer_of(scope), origin
            )
        return allowed


def own_origin(scope: Mapping[str, Any]) -> str | None:
    """The origin the request was addressed to, from its scheme and ``Host`` header."""
    host = next((value for name, value in scope.get("headers", []) if name == b"host"), None)
    if host is None:
        return None
    scheme = str(scope.get("scheme", "http"))
    return f"{_HTTP_SCHEME.get(scheme, scheme)}://{host.decode('latin-1')}"
