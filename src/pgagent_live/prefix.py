"""Serving the whole service under a URL prefix, for a reverse proxy that passes paths unchanged."""

from starlette.types import ASGIApp, Receive, Scope, Send


class UnderPrefix:
    """Strips ``prefix`` from every request's path; requests outside it get 404.

    The page derives every address from its own, so nothing it sends needs to know the prefix;
    only this layer does. ``/prefix`` is redirected to ``/prefix/``, where the page lives.
    """

    def __init__(self, prefix: str, app: ASGIApp) -> None:
        self.prefix = prefix
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return

        path: str = scope["path"]
        if path == self.prefix and scope["type"] == "http":
            await _send_plain(send, 308, b"", [(b"location", (self.prefix + "/").encode())])
            return
        if not path.startswith(self.prefix + "/"):
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
            else:
                expected = f"not found: this service lives under {self.prefix}/".encode()
                await _send_plain(send, 404, expected, [])
            return

        inner = dict(scope)
        inner["path"] = path[len(self.prefix) :]
        raw = scope.get("raw_path")
        if isinstance(raw, bytes) and raw.startswith(self.prefix.encode()):
            inner["raw_path"] = raw[len(self.prefix.encode()) :]
        await self.app(inner, receive, send)


def under_prefix(prefix: str, app: ASGIApp) -> ASGIApp:
    """``app`` itself when there is no prefix."""
    return UnderPrefix(prefix, app) if prefix else app


async def _send_plain(
    send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]
) -> None:
    headers = [*headers, (b"content-type", b"text/plain; charset=utf-8")]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
