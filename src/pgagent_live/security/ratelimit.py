"""Rate limits of connection attempts, socket messages and REST calls, on the limits library."""

import logging

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

logger = logging.getLogger(__name__)

_MAX_REMEMBERED = 10_000


def parse_limit(text: str) -> RateLimitItem:
    """A limit such as ``30/minute`` or ``20 per 10 seconds``."""
    try:
        return parse(text)
    except ValueError:
        raise ValueError(f"expected a rate such as '30/minute', found {text!r}") from None


class RateLimits:
    """The service's limits, each counted per key in a moving window held in memory."""

    def __init__(self, connect: str, messages: str, calls: str) -> None:
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._connect = parse_limit(connect)
        self._messages = parse_limit(messages)
        self._calls = parse_limit(calls)
        self._limited: set[tuple[str, str]] = set()

    def connect(self, address: str) -> bool:
        """Whether one more connection attempt (or refused call) from this address is allowed."""
        return self._hit(self._connect, "connect", address)

    def message(self, sid: str) -> bool:
        """Whether one more message from this socket is allowed."""
        return self._hit(self._messages, "message", sid)

    def call(self, token_id: str) -> bool:
        """Whether one more REST call with this token is allowed."""
        return self._hit(self._calls, "call", token_id)

    def _hit(self, item: RateLimitItem, kind: str, key: str) -> bool:
        allowed = self._limiter.hit(item, kind, key)

        # One line when a key starts being refused, not one per refused request of a flood.
        if allowed:
            self._limited.discard((kind, key))
        elif (kind, key) not in self._limited:
            if len(self._limited) > _MAX_REMEMBERED:
                self._limited.clear()
            self._limited.add((kind, key))
            logger.warning("rate limit of %s hit by %s", kind, key)
        return allowed
