"""Helpers for the sync server tests: an app over a storage, accounts and rows."""

import base64
import os
import uuid

from starlette.testclient import TestClient

from qvault.sync.server import ServerConfig, create_app
from qvault.sync.server.config import AuthHashParams

# A cheap server-side hash keeps the tests fast; one test keeps the default cost.
CHEAP_HASH = AuthHashParams(time_cost=1, memory_kib=8 * 1024, parallelism=1)
KDF = {"memory_kib": 65536, "iterations": 3, "parallelism": 4}
LOOPBACK = ("127.0.0.1", 50000)


class FakeClock:
    """A settable Unix time for expiry and backoff tests."""

    def __init__(self, now: float = 1_700_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def random_b64(size: int) -> str:
    return b64(os.urandom(size))


def make_client(storage, address=LOOPBACK, base_url="http://testserver", **settings) -> TestClient:
    settings.setdefault("auth_hash", CHEAP_HASH)
    app = create_app(storage, ServerConfig(**settings))
    return TestClient(app, base_url=base_url, client=address)


def registration(email: str = "alice@example.org", auth_key: str | None = None) -> dict:
    return {
        "email": email,
        "auth_key": auth_key or random_b64(32),
        "vault_id": random_b64(16),
        "kdf": dict(KDF),
        "salt": random_b64(16),
        "key_slots": [random_b64(120), random_b64(120)],
        "manifest": random_b64(80),
    }


def register_and_login(client: TestClient, email: str = "alice@example.org") -> tuple[dict, dict]:
    """Register an account and log in; return the registration body and auth headers."""
    body = registration(email)
    created = client.post("/v1/register", json=body)
    assert created.status_code == 201, created.text
    login = client.post("/v1/login", json={"email": email, "auth_key": body["auth_key"]})
    assert login.status_code == 200, login.text
    return body, {"Authorization": f"Bearer {login.json()['token']}"}


def push_row(entry_id: str | None = None, expected_revision: int = 0, revision: int = 1, deleted: bool = False) -> dict:
    if deleted:
        nonces_and_ciphertexts = {"meta_nonce": "", "meta_ct": "", "secret_nonce": "", "secret_ct": ""}
    else:
        nonces_and_ciphertexts = {
            "meta_nonce": random_b64(24),
            "meta_ct": random_b64(80),
            "secret_nonce": random_b64(24),
            "secret_ct": random_b64(64),
        }
    return {
        "id": entry_id or str(uuid.uuid4()),
        "expected_revision": expected_revision,
        "revision": revision,
        "updated_at": 1_700_000_000_000 + revision,
        "deleted": deleted,
        **nonces_and_ciphertexts,
    }


def push(client: TestClient, headers: dict, rows: list[dict], base: int, manifest: str | None = None):
    body = {"base_server_revision": base, "entries": rows, "manifest": manifest or random_b64(80)}
    return client.post("/v1/push", headers=headers, json=body)
