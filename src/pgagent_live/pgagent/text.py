"""How text read from pgAgent's tables becomes valid UTF-8, one value at a time."""

FALLBACK_ENCODING = "cp1252"
"""Bytes that are not valid UTF-8 are read as Windows-1252, the likeliest other code page.

On a ``SQL_ASCII`` database the server stores whatever bytes it is given (batch output in the
console's code page, names typed in another encoding) and psycopg returns them as ``bytes``.
"""


def decode(value: str | bytes | None) -> str:
    """A value as text: UTF-8 when it is valid UTF-8, else Windows-1252.

    The five bytes Windows-1252 leaves undefined become U+FFFD; nothing ever raises, so one bad
    value never hides the others.
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return value.decode(FALLBACK_ENCODING, "replace")
