"""Sync server push and changes endpoints, on SQLite and PostgreSQL."""

import threading

from pg import postgres_cluster, storage, storage_url  # noqa: F401 (fixtures)
from sync_server_support import make_client, push, push_row, random_b64, register_and_login


def test_push_then_changes(storage):
    client = make_client(storage)
    _, headers = register_and_login(client)
    rows = [push_row(), push_row(deleted=True)]
    manifest = random_b64(80)
    pushed = push(client, headers, rows, base=0, manifest=manifest)
    assert pushed.status_code == 200
    assert pushed.json() == {"server_revision": 2}

    page = client.get("/v1/changes", headers=headers, params={"since": 0}).json()
    assert page["server_revision"] == 2
    assert page["more"] is False
    assert page["manifest"] == manifest
    for sent, received in zip(rows, page["entries"]):
        for field in ("id", "revision", "updated_at", "deleted", "meta_nonce", "meta_ct", "secret_nonce", "secret_ct"):
            assert received[field] == sent[field], field
    assert [received["server_revision"] for received in page["entries"]] == [1, 2]


def test_changes_empty_account(storage):
    client = make_client(storage)
    body, headers = register_and_login(client)
    page = client.get("/v1/changes", headers=headers).json()
    assert page["entries"] == []
    assert page["server_revision"] == 0
    assert page["manifest"] == body["manifest"]


def test_changes_pagination(storage):
    client = make_client(storage)
    _, headers = register_and_login(client)
    rows = [push_row() for _ in range(5)]
    push(client, headers, rows, base=0)
    seen = []
    since = 0
    while True:
        page = client.get("/v1/changes", headers=headers, params={"since": since, "limit": 2}).json()
        seen.extend(entry["id"] for entry in page["entries"])
        since = page["server_revision"]
        if not page["more"]:
            break
    assert seen == [row["id"] for row in rows]
    assert since == 5


def test_changes_limit_clamped(storage):
    client = make_client(storage, changes_limit_max=3)
    _, headers = register_and_login(client)
    push(client, headers, [push_row() for _ in range(5)], base=0)
    page = client.get("/v1/changes", headers=headers, params={"limit": 1000}).json()
    assert len(page["entries"]) == 3
    assert page["more"] is True


def test_changes_bad_query(storage):
    client = make_client(storage)
    _, headers = register_and_login(client)
    for params, phrase in (({"since": "-1"}, "'since'"), ({"limit": "abc"}, "'limit'"), ({"limit": "0"}, "'limit'")):
        reply = client.get("/v1/changes", headers=headers, params=params)
        assert reply.status_code == 400
        assert phrase in reply.json()["error"]["message"]


def test_push_update_with_expected_revision(storage):
    client = make_client(storage)
    _, headers = register_and_login(client)
    row = push_row()
    push(client, headers, [row], base=0)
    update = push_row(row["id"], expected_revision=1, revision=2)
    reply = push(client, headers, [update], base=1)
    assert reply.status_code == 200
    assert reply.json()["server_revision"] == 2
    page = client.get("/v1/changes", headers=headers, params={"since": 1}).json()
    assert [(entry["id"], entry["revision"]) for entry in page["entries"]] == [(row["id"], 2)]


def test_push_stale_conflicts(storage):
    client = make_client(storage)
    _, headers = register_and_login(client)
    row = push_row()
    push(client, headers, [row], base=0)
    fresh = push_row()
    stale = push(client, headers, [fresh, push_row(row["id"], expected_revision=0, revision=1)], base=1)
    assert stale.status_code == 409
    assert stale.json()["error"]["code"] == "stale"
    assert stale.json()["conflicts"] == [{"id": row["id"], "current_revision": 1}]
    page = client.get("/v1/changes", headers=headers).json()
    assert [entry["id"] for entry in page["entries"]] == [row["id"]]


def test_push_stale_base(storage):
    client = make_client(storage)
    _, headers = register_and_login(client)
    first = push_row()
    push(client, headers, [first], base=0)
    reply = push(client, headers, [push_row()], base=0)
    assert reply.status_code == 409
    assert reply.json()["conflicts"] == [{"id": first["id"], "current_revision": 1}]


def test_push_concurrent_one_wins(storage):
    client = make_client(storage)
    _, headers = register_and_login(client)
    barrier = threading.Barrier(4)
    statuses: list[int] = []

    def contend() -> None:
        barrier.wait()
        statuses.append(push(client, headers, [push_row()], base=0).status_code)

    threads = [threading.Thread(target=contend) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 409, 409, 409]


def test_push_accounts_isolated(storage):
    client = make_client(storage)
    _, alice = register_and_login(client, "alice@example.org")
    _, bob = register_and_login(client, "bob@example.org")
    row = push_row()
    push(client, alice, [row], base=0)
    assert client.get("/v1/changes", headers=bob).json()["entries"] == []
    # Bob may use the same entry id: ids are per account.
    assert push(client, bob, [push_row(row["id"])], base=0).status_code == 200


def test_push_invalid_rows_name_field(storage):
    client = make_client(storage)
    _, headers = register_and_login(client)
    cases = [
        ({"id": "not-a-uuid"}, "'entries[1].id' must be a lowercase UUID"),
        ({"id": "123E4567-E89B-12D3-A456-426614174000"}, "'entries[1].id' must be a lowercase UUID"),
        ({"revision": -1}, "'entries[1].revision' must be between 0"),
        ({"deleted": "no"}, "'entries[1].deleted' must be true or false"),
        ({"meta_nonce": random_b64(12)}, "'entries[1].meta_nonce' must decode to 0 or 24 bytes"),
        ({"secret_ct": 42}, "'entries[1].secret_ct' must be a base64 string"),
        ({"expected_revision": None}, "'entries[1].expected_revision' is missing"),
    ]
    for change, phrase in cases:
        bad = {**push_row(), **change}
        reply = push(client, headers, [push_row(), bad], base=0)
        assert reply.status_code == 400, change
        assert phrase in reply.json()["error"]["message"], change
    assert client.get("/v1/changes", headers=headers).json()["server_revision"] == 0


def test_push_duplicate_id(storage):
    client = make_client(storage)
    _, headers = register_and_login(client)
    row = push_row()
    reply = push(client, headers, [row, dict(row)], base=0)
    assert reply.status_code == 400
    assert "'entries[1].id' repeats an id" in reply.json()["error"]["message"]


def test_push_missing_manifest(storage):
    client = make_client(storage)
    _, headers = register_and_login(client)
    reply = client.post("/v1/push", headers=headers, json={"base_server_revision": 0, "entries": []})
    assert reply.status_code == 400
    assert "'manifest' is missing" in reply.json()["error"]["message"]
