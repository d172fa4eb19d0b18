"""Sequence numbers, fan-out and the Socket.IO namespace ``/pgagent``."""
