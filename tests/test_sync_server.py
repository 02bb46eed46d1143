"""Sync server account endpoints over HTTP (Starlette's TestClient), on SQLite and PostgreSQL."""

import base64

from pg import postgres_cluster, storage, storage_url  # noqa: F401 (fixtures)
from qvault.sync.server.config import AuthHashParams
from sync_server_support import (
    KDF,
    FakeClock,
    make_client,
    random_b64,
    register_and_login,
    registration,
)


def test_health(storage):
    client = make_client(storage)
    reply = client.get("/v1/health")
    assert reply.status_code == 200
    assert reply.json()["status"] == "ok"
    assert reply.json()["version"]


def test_prelogin_known_account(storage):
    client = make_client(storage)
    body, _ = register_and_login(client)
    reply = client.post("/v1/prelogin", json={"email": "Alice@Example.org "})
    assert reply.status_code == 200
    assert reply.json() == {"kdf": KDF, "salt": body["salt"], "vault_id": body["vault_id"]}


def test_prelogin_unknown_email_stable(storage):
    first = make_client(storage).post("/v1/prelogin", json={"email": "nobody@example.org"}).json()
    second = make_client(storage).post("/v1/prelogin", json={"email": "nobody@example.org"}).json()
    other = make_client(storage).post("/v1/prelogin", json={"email": "someone@example.org"}).json()
    assert first == second
    assert first["salt"] != other["salt"]
    assert first["kdf"] == {"memory_kib": 65536, "iterations": 3, "parallelism": 4}
    assert len(base64.b64decode(first["salt"])) == 16
    assert len(base64.b64decode(first["vault_id"])) == 16


def test_register_email_taken(storage):
    client = make_client(storage)
    register_and_login(client)
    reply = client.post("/v1/register", json=registration("ALICE@example.org"))
    assert reply.status_code == 409
    assert reply.json()["error"]["code"] == "email_taken"


def test_register_missing_field(storage):
    client = make_client(storage)
    body = registration()
    del body["salt"]
    reply = client.post("/v1/register", json=body)
    assert reply.status_code == 400
    assert reply.json()["error"]["code"] == "invalid_request"
    assert "'salt' is missing" in reply.json()["error"]["message"]


def test_register_bad_values_name_field(storage):
    client = make_client(storage)
    cases = [
        ("auth_key", random_b64(31), "'auth_key' must decode to 32 bytes"),
        ("vault_id", "not base64!", "'vault_id' is not valid base64"),
        ("email", "no-at-sign", "'email' must be an email address"),
        ("key_slots", [], "'key_slots' needs at least 1 items"),
        ("key_slots", [random_b64(8), 5], "'key_slots[1]' must be a base64 string"),
        ("kdf", {"memory_kib": 65536, "iterations": "3", "parallelism": 4}, "'kdf.iterations' must be an integer"),
    ]
    for field, value, phrase in cases:
        body = registration()
        body[field] = value
        reply = client.post("/v1/register", json=body)
        assert reply.status_code == 400, field
        assert phrase in reply.json()["error"]["message"], field


def test_register_kdf_below_floor(storage):
    client = make_client(storage)
    body = registration()
    body["kdf"] = {"memory_kib": 1024, "iterations": 1, "parallelism": 1}
    reply = client.post("/v1/register", json=body)
    assert reply.status_code == 400
    assert "field 'kdf': Argon2id memory 1024 KiB is below the minimum" in reply.json()["error"]["message"]


def test_login_wrong_key_and_unknown_email(storage):
    client = make_client(storage)
    register_and_login(client)
    wrong = client.post("/v1/login", json={"email": "alice@example.org", "auth_key": random_b64(32)})
    unknown = client.post("/v1/login", json={"email": "nobody@example.org", "auth_key": random_b64(32)})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong.json()["error"]["code"] == "invalid_credentials"


def test_login_token_expiry(storage):
    clock = FakeClock()
    client = make_client(storage, clock=clock, token_lifetime_seconds=3600)
    body = registration()
    client.post("/v1/register", json=body)
    login = client.post("/v1/login", json={"email": body["email"], "auth_key": body["auth_key"]}).json()
    assert login["expires_at"] == int(clock.now) + 3600
    headers = {"Authorization": f"Bearer {login['token']}"}
    assert client.get("/v1/keyslots", headers=headers).status_code == 200
    clock.advance(3600)
    expired = client.get("/v1/keyslots", headers=headers)
    assert expired.status_code == 401
    assert expired.json()["error"]["code"] == "invalid_token"
    assert expired.headers["WWW-Authenticate"] == "Bearer"


def test_login_default_hash_cost(storage):
    client = make_client(storage, auth_hash=AuthHashParams())
    _, headers = register_and_login(client)
    assert client.get("/v1/keyslots", headers=headers).status_code == 200
    (auth_hash,) = [storage.find_account("alice@example.org").auth_hash]
    assert auth_hash.startswith("$argon2id$v=19$m=65536,t=3,p=4$")


def test_login_rehashes_weaker_hash(storage):
    cheap = make_client(storage)
    body, _ = register_and_login(cheap)
    stronger = make_client(storage, auth_hash=AuthHashParams(time_cost=2, memory_kib=8 * 1024, parallelism=1))
    reply = stronger.post("/v1/login", json={"email": body["email"], "auth_key": body["auth_key"]})
    assert reply.status_code == 200
    assert "t=2" in storage.find_account(body["email"]).auth_hash


def test_bearer_missing_or_malformed(storage):
    client = make_client(storage)
    cases = [
        ({}, "missing Authorization header"),
        ({"Authorization": "Basic abc"}, "must be 'Bearer <token>'"),
        ({"Authorization": "Bearer " + "x" * 500}, "invalid or expired"),
        ({"Authorization": "Bearer forged-token"}, "invalid or expired"),
    ]
    for headers, phrase in cases:
        reply = client.get("/v1/keyslots", headers=headers)
        assert reply.status_code == 401
        assert phrase in reply.json()["error"]["message"]


def test_keyslots(storage):
    client = make_client(storage)
    body, headers = register_and_login(client)
    reply = client.get("/v1/keyslots", headers=headers)
    assert reply.status_code == 200
    assert reply.json() == {"vault_id": body["vault_id"], "kdf": KDF, "salt": body["salt"], "key_slots": body["key_slots"]}


def test_logout_revokes_token(storage):
    client = make_client(storage)
    _, headers = register_and_login(client)
    assert client.post("/v1/logout", headers=headers).status_code == 204
    assert client.get("/v1/keyslots", headers=headers).status_code == 401


def test_password_change_revokes_tokens(storage):
    client = make_client(storage)
    body, headers = register_and_login(client)
    other_device = client.post("/v1/login", json={"email": body["email"], "auth_key": body["auth_key"]}).json()
    new_key = random_b64(32)
    change = {
        "auth_key": body["auth_key"],
        "new_auth_key": new_key,
        "kdf": {"memory_kib": 65536, "iterations": 5, "parallelism": 4},
        "salt": random_b64(16),
        "key_slots": [random_b64(100)],
    }
    reply = client.post("/v1/password", headers=headers, json=change)
    assert reply.status_code == 200
    assert client.get("/v1/keyslots", headers=headers).status_code == 401
    assert client.get("/v1/keyslots", headers={"Authorization": f"Bearer {other_device['token']}"}).status_code == 401
    old_login = client.post("/v1/login", json={"email": body["email"], "auth_key": body["auth_key"]})
    assert old_login.status_code == 401
    new_login = client.post("/v1/login", json={"email": body["email"], "auth_key": new_key})
    assert new_login.status_code == 200
    slots = client.get("/v1/keyslots", headers={"Authorization": f"Bearer {new_login.json()['token']}"}).json()
    assert slots["key_slots"] == change["key_slots"]
    assert slots["kdf"]["iterations"] == 5


def test_password_change_wrong_old_key(storage):
    client = make_client(storage)
    _, headers = register_and_login(client)
    change = {
        "auth_key": random_b64(32),
        "new_auth_key": random_b64(32),
        "kdf": dict(KDF),
        "salt": random_b64(16),
        "key_slots": [random_b64(100)],
    }
    reply = client.post("/v1/password", headers=headers, json=change)
    assert reply.status_code == 401
    assert reply.json()["error"]["code"] == "invalid_credentials"
    assert client.get("/v1/keyslots", headers=headers).status_code == 200


def test_delete_account(storage):
    client = make_client(storage)
    body, headers = register_and_login(client)
    wrong = client.request("DELETE", "/v1/account", headers=headers, json={"auth_key": random_b64(32)})
    assert wrong.status_code == 401
    reply = client.request("DELETE", "/v1/account", headers=headers, json={"auth_key": body["auth_key"]})
    assert reply.status_code == 204
    assert client.get("/v1/keyslots", headers=headers).status_code == 401
    assert storage.find_account(body["email"]) is None
    again = client.post("/v1/register", json=registration())
    assert again.status_code == 201


def test_unknown_path_and_method(storage):
    client = make_client(storage)
    missing = client.get("/v1/nothing")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
    wrong_method = client.get("/v1/login")
    assert wrong_method.status_code == 405
    assert wrong_method.json()["error"]["code"] == "method_not_allowed"
