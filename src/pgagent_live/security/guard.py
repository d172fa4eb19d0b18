"""The service's security state in one place: tokens, limits, origins, redaction, and its log."""

import logging
from collections import OrderedDict
from pathlib import Path

from pgagent_live.security.origins import OriginPolicy
from pgagent_live.security.ratelimit import RateLimits
from pgagent_live.security.redaction import Redactor
from pgagent_live.security.tokenfile import TokenFileError, read_tokens
from pgagent_live.security.tokens import Authenticator, Principal

logger = logging.getLogger("pgagent_live.security")

_ADDRESSES_PER_TOKEN = 64
_TOKENS_REMEMBERED = 4096


class Guard:
    """What the socket and the REST API consult before doing anything for a client."""

    def __init__(
        self,
        authenticator: Authenticator,
        limits: RateLimits,
        origins: OriginPolicy,
        redactor: Redactor,
        tokens_file: Path | None = None,
    ) -> None:
        self.authenticator = authenticator
        self.limits = limits
        self.origins = origins
        self.redactor = redactor
        self.tokens_file = tokens_file
        self._seen: OrderedDict[str, OrderedDict[str, None]] = OrderedDict()
        self._tokens_mtime: int | None = None

    def note_use(self, principal: Principal, address: str) -> None:
        """Log the first use of a token from each address."""
        seen = self._seen.setdefault(principal.token_id, OrderedDict())
        self._seen.move_to_end(principal.token_id)
        if address in seen:
            return
        logger.info(
            "token %s (%s) used from new address %s", principal.token_id, principal.role, address
        )
        seen[address] = None
        if len(seen) > _ADDRESSES_PER_TOKEN:
            seen.popitem(last=False)
        if len(self._seen) > _TOKENS_REMEMBERED:
            self._seen.popitem(last=False)

    def reload_tokens(self) -> None:
        """Reread the settings file's tokens when it changed; on error keep the ones known."""
        if self.tokens_file is None:
            return
        try:
            mtime = self.tokens_file.stat().st_mtime_ns
        except OSError as exc:
            logger.warning("cannot read tokens of %s: %s", self.tokens_file, exc.strerror)
            return
        if mtime == self._tokens_mtime:
            return

        try:
            tokens = read_tokens(self.tokens_file)
        except TokenFileError as exc:
            logger.warning("keeping the tokens known: %s", exc)
            return
        self._tokens_mtime = mtime
        if tokens != self.authenticator.tokens:
            self.authenticator.replace_tokens(tokens)
            logger.info("tokens reread from %s: %d issued", self.tokens_file, len(tokens))
