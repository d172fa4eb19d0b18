"""Live status of pgAgent jobs, pushed over Socket.IO to browsers, programs and terminals."""

__version__ = "0.1.0"
