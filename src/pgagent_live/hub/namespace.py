"""The Socket.IO namespace ``/pgagent``: who may connect, and what they get on connect."""

import logging
from typing import Any

import socketio

from pgagent_live.auth import check_token
from pgagent_live.hub.hub import NAMESPACE, Hub, server_room

logger = logging.getLogger(__name__)


class PgAgentNamespace(socketio.AsyncNamespace):  # type: ignore[misc]
    """Clients of the live job status; each is refused or handed a snapshot."""

    def __init__(self, hub: Hub, token: str) -> None:
        super().__init__(NAMESPACE)
        self.hub = hub
        self.token = token

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        given = auth.get("token") if isinstance(auth, dict) else None
        refusal = check_token(self.token, given)
        if refusal is not None:
            logger.warning("socket refused from %s: %s", _peer(environ), refusal.code)
            raise socketio.exceptions.ConnectionRefusedError(refusal.message, refusal.as_dict())

        for server_id in self.hub.watchers:
            await self.enter_room(sid, server_room(server_id))
        await self.emit("snapshot", self.hub.snapshot(), to=sid)
        logger.info("socket %s connected from %s", sid, _peer(environ))

    async def on_disconnect(self, sid: str, reason: Any = None) -> None:
        logger.info("socket %s disconnected", sid)


def _peer(environ: dict[str, Any]) -> str:
    return str(environ.get("REMOTE_ADDR", "unknown"))
