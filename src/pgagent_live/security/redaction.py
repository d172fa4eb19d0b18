"""Redaction of passwords and tokens from every text the service shows or logs."""

import logging
import re
from collections.abc import Iterable
from typing import Any, TypeVar
from urllib.parse import unquote

MASK = "***"

# libpq keyword form: key = value, the value bare or in single quotes with backslash escapes.
_KEYWORD = re.compile(
    r"(?<![?&\w])((?:ssl)?password\s*=\s*)('(?:[^'\\]|\\.)*'?|[^\s']\S*)", re.IGNORECASE
)
# URI form: the password of the user info, and password parameters of the query.
_URI = re.compile(r"postgres(?:ql)?://[^\s'\"]*", re.IGNORECASE)
_URI_USERINFO = re.compile(r"^([a-z]+://[^:/?#@]*:)([^/?#]*)(@)", re.IGNORECASE)
_URI_PARAM = re.compile(r"([?&](?:ssl)?password=)([^&#]*)", re.IGNORECASE)
# The secret part of tokens issued by ``token create``; the id before it stays readable.
_TOKEN = re.compile(r"(pgl_[0-9a-f]{8}_)[A-Za-z0-9_-]+")
# Tokens inside requests' texts: query strings, auth payloads, headers.
_TOKEN_FIELD = re.compile(
    r"""((?:['"]?token['"]?\s*[:=]\s*['"]?)|(?:bearer\s+))([^\s'"&,}]+)""", re.IGNORECASE
)

T = TypeVar("T")


def redact_conninfo(text: str) -> str:
    """The text with every password of libpq connection strings, in either form, masked."""
    text = _URI.sub(_redact_uri, text)
    return _KEYWORD.sub(lambda m: m.group(1) + MASK, text)


def _redact_uri(match: re.Match[str]) -> str:
    uri = _URI_USERINFO.sub(lambda m: m.group(1) + MASK + m.group(3), match.group(0))
    return _URI_PARAM.sub(lambda m: m.group(1) + MASK, uri)


def passwords_of(conninfo: str) -> set[str]:
    """The passwords a connection string carries, raw and decoded, to mask wherever seen."""
    found: set[str] = set()
    for match in _KEYWORD.finditer(conninfo):
        raw = match.group(2)
        found.add(raw)
        if raw.startswith("'"):
            inner = raw[1:-1] if len(raw) > 1 and raw.endswith("'") else raw[1:]
            found.add(re.sub(r"\\(.)", r"\1", inner))
    for uri in _URI.finditer(conninfo):
        for part in [m.group(2) for m in _URI_USERINFO.finditer(uri.group(0))] + [
            m.group(2) for m in _URI_PARAM.finditer(uri.group(0))
        ]:
            found.update({part, unquote(part)})
    return {secret for secret in found if len(secret) >= 4}


class Redactor:
    """Masks connection-string passwords, tokens, and the known secrets of this service."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: set[str] = set()
        self.add(secrets)

    def add(self, secrets: Iterable[str]) -> None:
        # Short strings would mask ordinary words; real secrets are longer.
        self._secrets.update(secret for secret in secrets if len(secret) >= 4)

    def add_conninfo(self, conninfo: str) -> None:
        self.add(passwords_of(conninfo))

    def text(self, text: str) -> str:
        """The text with every secret masked."""
        text = redact_conninfo(text)
        text = _TOKEN.sub(lambda m: m.group(1) + MASK, text)
        text = _TOKEN_FIELD.sub(lambda m: m.group(1) + MASK, text)
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, MASK)
        return text

    def value(self, value: T) -> T:
        """A copy of a JSON-like value with every string in it redacted."""
        return self._walk(value)  # type: ignore[no-any-return]

    def _walk(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {key: self._walk(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [self._walk(item) for item in value]
        return value


_active: list[Redactor] = []


def redact_log_records(redactor: Redactor) -> None:
    """Mask secrets in every log record of the process, whichever logger or handler it meets.

    Redaction happens where records are made, so that no handler, ours or a library's, can
    see a secret; each served application adds its redactor.
    """
    if not _active:
        previous = logging.getLogRecordFactory()

        def make_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            _redact_record(record)
            return record

        logging.setLogRecordFactory(make_record)
    if redactor not in _active:
        _active.append(redactor)


def _redact_record(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except Exception:
        # A broken format string is the logging call's bug; logging reports it later.
        return
    exc_text = None
    if record.exc_info:
        exc_text = logging.Formatter().formatException(record.exc_info)
    for redactor in list(_active):
        message = redactor.text(message)
        exc_text = redactor.text(exc_text) if exc_text else exc_text
    record.msg, record.args = message, None
    if exc_text:
        record.exc_text = exc_text
