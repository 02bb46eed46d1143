"""Sync server limits: rate limits, size caps, plain-HTTP refusal, request ids, logs."""

import logging

from pg import postgres_cluster, storage, storage_url  # noqa: F401 (fixtures)
from qvault.sync.server.config import BackoffSettings
from sync_server_support import (
    FakeClock,
    make_client,
    push,
    push_row,
    random_b64,
    register_and_login,
    registration,
)


def login(client, email, auth_key, **kwargs):
    return client.post("/v1/login", json={"email": email, "auth_key": auth_key}, **kwargs)


def test_login_rate_limit_per_account(storage):
    clock = FakeClock()
    client = make_client(storage, clock=clock, account_backoff=BackoffSettings(free_failures=2, base_seconds=10))
    body, _ = register_and_login(client)
    for _ in range(3):
        assert login(client, body["email"], random_b64(32)).status_code == 401

    blocked = login(client, body["email"], body["auth_key"])
    assert blocked.status_code == 429
    assert blocked.json()["error"]["code"] == "rate_limited"
    assert blocked.headers["Retry-After"] == "10"

    clock.advance(10)
    assert login(client, body["email"], body["auth_key"]).status_code == 200
    # Success clears the account's count: the next failure is a free one again.
    assert login(client, body["email"], random_b64(32)).status_code == 401
    assert login(client, body["email"], body["auth_key"]).status_code == 200


def test_login_rate_limit_backoff_grows(storage):
    clock = FakeClock()
    client = make_client(storage, clock=clock, account_backoff=BackoffSettings(free_failures=1, base_seconds=5))
    assert login(client, "mallory@example.org", random_b64(32)).status_code == 401
    waits = []
    for _ in range(3):
        assert login(client, "mallory@example.org", random_b64(32)).status_code == 401
        blocked = login(client, "mallory@example.org", random_b64(32))
        assert blocked.status_code == 429
        waits.append(int(blocked.headers["Retry-After"]))
        clock.advance(waits[-1])
    assert waits == [5, 10, 20]


def test_login_rate_limit_per_address(storage):
    clock = FakeClock()
    settings = {"clock": clock, "ip_backoff": BackoffSettings(free_failures=3, base_seconds=30)}
    client = make_client(storage, address=("127.0.0.1", 1000), **settings)
    body, _ = register_and_login(client)
    for number in range(4):
        assert login(client, f"guess{number}@example.org", random_b64(32)).status_code == 401
    blocked = login(client, body["email"], body["auth_key"])
    assert blocked.status_code == 429
    assert blocked.headers["Retry-After"] == "30"
    elsewhere = make_client(storage, address=("::1", 1000), **settings)
    assert login(elsewhere, body["email"], body["auth_key"]).status_code == 200


def test_login_rate_limit_applies_to_delete(storage):
    client = make_client(storage, account_backoff=BackoffSettings(free_failures=1, base_seconds=60))
    _, headers = register_and_login(client)
    for expected in (401, 401, 429):
        reply = client.request("DELETE", "/v1/account", headers=headers, json={"auth_key": random_b64(32)})
        assert reply.status_code == expected


def test_body_cap_declared_length(storage):
    client = make_client(storage, body_max_bytes=1024)
    body = registration()
    body["key_slots"] = [random_b64(2000)]
    reply = client.post("/v1/register", json=body)
    assert reply.status_code == 413
    assert reply.json()["error"]["code"] == "payload_too_large"
    assert "over the limit of 1024 bytes" in reply.json()["error"]["message"]


def test_body_cap_streamed(storage):
    client = make_client(storage, body_max_bytes=1024)
    chunks = iter([b"{" + b" " * 600, b" " * 600 + b"}"])
    reply = client.post("/v1/prelogin", content=chunks, headers={"Content-Type": "application/json"})
    assert reply.status_code == 413
    assert "over the limit of 1024 bytes" in reply.json()["error"]["message"]


def test_push_batch_cap(storage):
    client = make_client(storage, push_rows_max=3)
    _, headers = register_and_login(client)
    reply = push(client, headers, [push_row() for _ in range(4)], base=0)
    assert reply.status_code == 413
    assert "push at most 3 per request" in reply.json()["error"]["message"]


def test_body_not_json(storage):
    client = make_client(storage)
    cases = [
        (b"{not json", "not valid JSON"),
        (b"", "request body is missing"),
        (b"[1, 2]", "request body must be a JSON object"),
        (b"\xff\xfe", "not UTF-8"),
    ]
    for raw, phrase in cases:
        reply = client.post("/v1/prelogin", content=raw, headers={"Content-Type": "application/json"})
        assert reply.status_code == 400, raw
        assert phrase in reply.json()["error"]["message"], raw


def test_plain_http_refused_from_remote(storage):
    client = make_client(storage, address=("203.0.113.9", 4000))
    reply = client.post("/v1/prelogin", json={"email": "alice@example.org"})
    assert reply.status_code == 403
    assert reply.json()["error"]["code"] == "tls_required"
    assert "--behind-tls-proxy" in reply.json()["error"]["message"]
    assert client.get("/v1/health").status_code == 200


def test_plain_http_ignores_forwarded_headers(storage):
    client = make_client(storage, address=("203.0.113.9", 4000))
    reply = client.post(
        "/v1/prelogin", json={"email": "a@example.org"}, headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "127.0.0.1"}
    )
    assert reply.status_code == 403


def test_https_and_loopback_accepted(storage):
    remote_tls = make_client(storage, address=("203.0.113.9", 4000), base_url="https://testserver")
    assert remote_tls.post("/v1/prelogin", json={"email": "a@example.org"}).status_code == 200
    ipv6_loopback = make_client(storage, address=("::1", 4000))
    assert ipv6_loopback.post("/v1/prelogin", json={"email": "a@example.org"}).status_code == 200


def test_behind_proxy_trusts_forwarded_proto(storage):
    client = make_client(storage, address=("10.0.0.2", 4000), behind_tls_proxy=True)
    secure = client.post(
        "/v1/prelogin", json={"email": "a@example.org"},
        headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.4"},
    )
    assert secure.status_code == 200
    plain = client.post(
        "/v1/prelogin", json={"email": "a@example.org"},
        headers={"X-Forwarded-Proto": "http", "X-Forwarded-For": "198.51.100.4"},
    )
    assert plain.status_code == 403


def test_behind_proxy_rate_limits_forwarded_address(storage):
    clock = FakeClock()
    client = make_client(
        storage, address=("127.0.0.1", 4000), behind_tls_proxy=True, clock=clock,
        ip_backoff=BackoffSettings(free_failures=1, base_seconds=30),
    )

    def attempt(forwarded_for: str):
        headers = {"X-Forwarded-Proto": "https", "X-Forwarded-For": forwarded_for}
        return login(client, "nobody@example.org", random_b64(32), headers=headers)

    assert attempt("198.51.100.4").status_code == 401
    assert attempt("198.51.100.4").status_code == 401
    # The proxy appends the real address last; a client-sent value before it is ignored.
    assert attempt("127.0.0.9, 198.51.100.4").status_code == 429
    assert attempt("198.51.100.5").status_code == 401


def test_request_id_echoed(storage):
    client = make_client(storage)
    echoed = client.get("/v1/health", headers={"X-Request-Id": "abc-123"})
    assert echoed.headers["X-Request-Id"] == "abc-123"
    generated = client.get("/v1/health")
    assert len(generated.headers["X-Request-Id"]) == 32
    replaced = client.get("/v1/health", headers={"X-Request-Id": "bad id\twith spaces"})
    assert replaced.headers["X-Request-Id"] != "bad id\twith spaces"
    missing = client.get("/v1/nothing", headers={"X-Request-Id": "abc-404"})
    assert missing.headers["X-Request-Id"] == "abc-404"


def test_logs_hold_no_secrets(storage, caplog):
    caplog.set_level(logging.DEBUG)
    client = make_client(storage)
    body, headers = register_and_login(client)
    row = push_row()
    push(client, headers, [row], base=0)
    client.get("/v1/changes", headers=headers)
    login(client, body["email"], random_b64(32))
    new_key = random_b64(32)
    change = {"auth_key": body["auth_key"], "new_auth_key": new_key, "kdf": body["kdf"], "salt": random_b64(16),
              "key_slots": [random_b64(90)]}
    client.post("/v1/password", headers={**headers, "X-Request-Id": "trace-77"}, json=change)

    secrets = [body["auth_key"], new_key, headers["Authorization"].split()[1], row["meta_ct"], row["secret_ct"],
               body["key_slots"][0], body["manifest"]]
    logged = caplog.text
    assert "trace-77" in logged
    assert "POST /v1/push -> 200" in logged
    for secret in secrets:
        assert secret not in logged


def test_login_failures_purged_after_quiet_time(storage):
    clock = FakeClock()
    client = make_client(storage, clock=clock)
    assert login(client, "first@example.org", random_b64(32)).status_code == 401
    clock.advance(2 * 3600)
    assert login(client, "second@example.org", random_b64(32)).status_code == 401
    with storage._read() as cursor:
        cursor.execute("SELECT COUNT(*) FROM login_failures")
        # The second attempt's email and address records; the first email's is gone.
        assert cursor.fetchone()[0] == 2
