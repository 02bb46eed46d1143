"""Servers for the sync client tests: the real server app, a tap around it, uvicorn in a thread.

The tap is ASGI middleware: it records every request and response body, and lets a
test rewrite responses to play a hostile server.
"""

import asyncio
import json
import socket
import threading
import time
from typing import Callable

import httpx
from starlette.testclient import TestClient

from qvault.sync.server.app import create_app
from qvault.sync.server.config import AuthHashParams, ServerConfig
from qvault.sync.storage import open_storage

SERVER_URL = "http://127.0.0.1:8765"
EMAIL = "ana@example.org"


class Tap:
    """ASGI middleware that records traffic and can rewrite JSON responses.

    rewrite(path, status, document) returns (status, document) to send instead.
    """

    def __init__(self, app):
        self.app = app
        self.exchanges: list[tuple[str, bytes, bytes]] = []
        self.rewrite: Callable[[str, int, object], tuple[int, object]] | None = None

    def paths(self) -> list[str]:
        return [path for path, _, _ in self.exchanges]

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        request_body = bytearray()

        async def tapped_receive():
            message = await receive()
            if message["type"] == "http.request":
                request_body.extend(message.get("body", b""))
            return message

        start: dict = {}
        chunks: list[bytes] = []

        async def capture(message):
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, tapped_receive, capture)
        status, body = start["status"], b"".join(chunks)
        headers = [(name, value) for name, value in start.get("headers", []) if name.lower() != b"content-length"]
        if self.rewrite is not None and body:
            try:
                document = json.loads(body)
            except ValueError:
                document = None
            if document is not None:
                status, document = self.rewrite(scope["path"], status, document)
                body = json.dumps(document).encode()
        self.exchanges.append((scope["path"], bytes(request_body), body))
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def http_client(app) -> httpx.Client:
    """An httpx.Client that sends every request to app in-process (no socket)."""
    # The real server accepts plain HTTP only from a loopback peer.
    return TestClient(app, base_url=SERVER_URL, raise_server_exceptions=True, client=("127.0.0.1", 50000))


class UvicornThread:
    """Serve an ASGI app with uvicorn on 127.0.0.1 and a free port, in a daemon thread."""

    def __init__(self, app):
        import uvicorn

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="auto")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=lambda: asyncio.run(self.server.serve()), daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> "UvicornThread":
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start within 10 s")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc_info) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def make_app(tmp_path):
    """Return the real sync server over a fresh SQLite file, with a cheap auth-key hash for speed."""
    storage = open_storage(str(tmp_path / "sync-server.db"))
    storage.migrate()
    return create_app(storage, ServerConfig(auth_hash=AuthHashParams(time_cost=1, memory_kib=1024, parallelism=1)))


class Devices:
    """One server behind a Tap, and helpers to set up and clone devices against it."""

    def __init__(self, tmp_path, app=None):
        self.tmp_path = tmp_path
        self.tap = Tap(app if app is not None else make_app(tmp_path))

    def client(self) -> httpx.Client:
        return http_client(self.tap)

    def first(self, name: str = "a", entries: int = 1):
        """Create a vault with sample entries and set up sync; return (vault, session)."""
        from qvault.sync.client import setup as sync_setup
        from vault_helpers import PASSWORD, create_vault

        vault, _ = create_vault(self.tmp_path / f"{name}.qvault")
        for number in range(entries):
            vault.add_entry({"type": "login", "title": f"entry {number}", "username": f"user{number}"}, {"password": f"pw-{number}"})
        session, _, _ = sync_setup.setup(vault, SERVER_URL, EMAIL, PASSWORD, None, self.client())
        return vault, session

    def clone(self, name: str = "b"):
        """Clone the account into a new vault file; return (vault, session)."""
        from qvault.sync.client import setup as sync_setup
        from vault_helpers import PASSWORD

        vault, session, _ = sync_setup.clone(self.tmp_path / f"{name}.qvault", SERVER_URL, EMAIL, PASSWORD, None, self.client())
        return vault, session


def contents(vault) -> dict:
    """Return {id: (metadata, secret)} of every live entry."""
    return {entry.id: (entry.metadata, vault.get_secret(entry.id)) for entry in vault.entries()}
