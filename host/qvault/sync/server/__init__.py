"""The sync server: an ASGI app over a Storage backend."""

from qvault.sync.server.app import create_app
from qvault.sync.server.config import ServerConfig

__all__ = ["ServerConfig", "create_app"]
