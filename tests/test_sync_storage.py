"""Sync server storage on SQLite and on a real PostgreSQL server (see tests/pg.py)."""

import multiprocessing
import threading
import uuid

import pytest

from pg import postgres_cluster, storage, storage_url  # noqa: F401 (fixtures)
from qvault.sync.server.config import BackoffSettings
from qvault.sync.server.ratelimit import Backoff
from qvault.sync.storage import open_storage, schema
from qvault.sync.storage.base import (
    EmailTaken,
    EntryRow,
    Kdf,
    NewAccount,
    PushRow,
    SchemaTooNew,
    StalePush,
)

KDF = Kdf(65536, 3, 4)


def new_account(email: str = "alice@example.org") -> NewAccount:
    return NewAccount(email, "$argon2id$fake", b"v" * 16, KDF, b"s" * 16, [b"slot-1", b"slot-2"], b"manifest-0")


def row(entry_id: str, revision: int = 1, size: int = 40, deleted: bool = False) -> EntryRow:
    if deleted:
        return EntryRow(entry_id, revision, 1000 + revision, True, b"", b"", b"", b"")
    return EntryRow(entry_id, revision, 1000 + revision, False, b"n" * 24, b"m" * size, b"N" * 24, b"c" * size)


def new_id() -> str:
    return str(uuid.uuid4())


def count_rows(opened, table: str, account_id: str) -> int:
    with opened._read() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {table} WHERE account_id = ?", (account_id,))
        return cursor.fetchone()[0]


def test_migrate_fresh_database(storage_url):
    opened = open_storage(storage_url)
    try:
        assert opened.migrate() == [migration.version for migration in schema.MIGRATIONS]
        assert opened.schema_version() == schema.LATEST_VERSION
        assert opened.migrate() == []
    finally:
        opened.close()


@pytest.mark.parametrize("start", range(0, schema.LATEST_VERSION))
def test_migrate_from_earlier_version(storage_url, start):
    opened = open_storage(storage_url)
    try:
        opened.migrate(target=start)
        assert opened.schema_version() == start
        account_id = opened.create_account(new_account(), now=1) if start >= 1 else None

        applied = opened.migrate()

        assert applied == list(range(start + 1, schema.LATEST_VERSION + 1))
        assert opened.schema_version() == schema.LATEST_VERSION
        if account_id is not None:
            assert opened.find_account("alice@example.org").account_id == account_id
        state = opened.record_login_failure("ip:192.0.2.1", 10.0, Backoff(BackoffSettings(free_failures=5)))
        assert state.failures == 1
    finally:
        opened.close()


def test_migrate_rejects_newer_schema(storage):
    with storage._write() as cursor:
        cursor.execute("INSERT INTO schema_migrations (version, description, applied_at) VALUES (99, 'future', 0)")
    with pytest.raises(SchemaTooNew, match="newer than this server"):
        storage.migrate()


def test_account_email_taken(storage):
    storage.create_account(new_account(), now=1)
    with pytest.raises(EmailTaken, match="already exists"):
        storage.create_account(new_account(), now=2)


def test_account_fields_round_trip(storage):
    account_id = storage.create_account(new_account(), now=1)
    found = storage.find_account("alice@example.org")
    assert found.account_id == account_id
    assert found.kdf == KDF
    assert storage.get_account(account_id) == found
    slots = storage.key_slots(account_id)
    assert slots.key_slots == [b"slot-1", b"slot-2"]
    assert slots.vault_id == b"v" * 16
    assert storage.find_account("bob@example.org") is None


def test_server_secret_stable_across_opens(storage_url):
    first = open_storage(storage_url)
    first.migrate()
    secret = first.server_secret()
    first.close()
    second = open_storage(storage_url)
    try:
        assert second.server_secret() == secret
        assert len(secret) == 32
    finally:
        second.close()


def test_token_expiry_and_delete(storage):
    account_id = storage.create_account(new_account(), now=1)
    storage.add_token(b"t" * 32, account_id, expires_at=100, now=10)
    assert storage.token_account(b"t" * 32, now=99) == account_id
    assert storage.token_account(b"t" * 32, now=100) is None
    assert storage.token_account(b"x" * 32, now=10) is None
    storage.delete_token(b"t" * 32)
    assert storage.token_account(b"t" * 32, now=10) is None


def test_token_expired_purged_at_login(storage):
    account_id = storage.create_account(new_account(), now=1)
    storage.add_token(b"a" * 32, account_id, expires_at=50, now=10)
    storage.add_token(b"b" * 32, account_id, expires_at=500, now=60)
    assert count_rows(storage, "tokens", account_id) == 1


def test_change_password_revokes_tokens(storage):
    account_id = storage.create_account(new_account(), now=1)
    storage.add_token(b"a" * 32, account_id, expires_at=500, now=10)
    storage.add_token(b"b" * 32, account_id, expires_at=500, now=10)
    revoked = storage.change_password(account_id, "$argon2id$new", Kdf(65536, 4, 4), b"S" * 16, [b"new-slot"])
    assert revoked == 2
    assert storage.token_account(b"a" * 32, now=11) is None
    assert storage.key_slots(account_id).key_slots == [b"new-slot"]
    assert storage.get_account(account_id).auth_hash == "$argon2id$new"


def test_push_then_changes_pages(storage):
    account_id = storage.create_account(new_account(), now=1)
    ids = [new_id() for _ in range(5)]
    newest = storage.push(account_id, 0, [PushRow(row(entry_id), 0) for entry_id in ids], b"manifest-1")
    assert newest == 5

    first = storage.changes(account_id, since=0, limit=2, byte_budget=1 << 20)
    assert [item.entry_id for item in first.rows] == ids[:2]
    assert first.more is True
    assert first.server_revision == 2
    rest = storage.changes(account_id, since=first.server_revision, limit=10, byte_budget=1 << 20)
    assert [item.entry_id for item in rest.rows] == ids[2:]
    assert rest.more is False
    assert rest.server_revision == 5
    assert rest.manifest == b"manifest-1"


def test_changes_byte_budget(storage):
    account_id = storage.create_account(new_account(), now=1)
    storage.push(account_id, 0, [PushRow(row(new_id(), size=1000), 0) for _ in range(3)], b"m")
    page = storage.changes(account_id, since=0, limit=10, byte_budget=1500)
    assert len(page.rows) == 1
    assert page.more is True
    # A row larger than the whole budget still comes alone, so pulling always progresses.
    tiny = storage.changes(account_id, since=0, limit=10, byte_budget=10)
    assert len(tiny.rows) == 1


def test_changes_since_newer_than_account(storage):
    account_id = storage.create_account(new_account(), now=1)
    storage.push(account_id, 0, [PushRow(row(new_id()), 0)], b"m")
    page = storage.changes(account_id, since=50, limit=10, byte_budget=1 << 20)
    assert page.rows == []
    assert page.server_revision == 1


def test_push_update_and_tombstone(storage):
    account_id = storage.create_account(new_account(), now=1)
    entry_id = new_id()
    storage.push(account_id, 0, [PushRow(row(entry_id), 0)], b"m1")
    storage.push(account_id, 1, [PushRow(row(entry_id, revision=2, deleted=True), 1)], b"m2")
    page = storage.changes(account_id, since=0, limit=10, byte_budget=1 << 20)
    assert len(page.rows) == 1
    assert page.rows[0].deleted is True
    assert page.rows[0].revision == 2
    assert page.rows[0].server_revision == 2
    assert page.rows[0].meta_ct == b""


def test_push_stale_writes_nothing(storage):
    account_id = storage.create_account(new_account(), now=1)
    existing = new_id()
    storage.push(account_id, 0, [PushRow(row(existing), 0)], b"m1")
    fresh = new_id()
    with pytest.raises(StalePush) as stale:
        storage.push(account_id, 1, [PushRow(row(fresh), 0), PushRow(row(existing, revision=3), 2)], b"m2")
    assert [(item.entry_id, item.current_revision) for item in stale.value.conflicts] == [(existing, 1)]
    page = storage.changes(account_id, since=0, limit=10, byte_budget=1 << 20)
    assert [item.entry_id for item in page.rows] == [existing]
    assert page.server_revision == 1
    assert page.manifest == b"m1"


def test_push_new_row_that_exists(storage):
    account_id = storage.create_account(new_account(), now=1)
    entry_id = new_id()
    storage.push(account_id, 0, [PushRow(row(entry_id), 0)], b"m1")
    with pytest.raises(StalePush) as stale:
        storage.push(account_id, 1, [PushRow(row(entry_id, revision=1), 0)], b"m2")
    assert stale.value.conflicts[0].current_revision == 1


def test_push_stale_base_lists_changed_rows(storage):
    account_id = storage.create_account(new_account(), now=1)
    other = new_id()
    storage.push(account_id, 0, [PushRow(row(other), 0)], b"m1")
    with pytest.raises(StalePush) as stale:
        storage.push(account_id, 0, [PushRow(row(new_id()), 0)], b"m2")
    assert [item.entry_id for item in stale.value.conflicts] == [other]


def test_push_base_ahead_of_server(storage):
    account_id = storage.create_account(new_account(), now=1)
    with pytest.raises(StalePush) as stale:
        storage.push(account_id, 7, [PushRow(row(new_id()), 0)], b"m")
    assert stale.value.conflicts == []


def test_push_concurrent_threads_one_wins(storage):
    account_id = storage.create_account(new_account(), now=1)
    contenders = 6
    barrier = threading.Barrier(contenders)
    outcomes: list[str] = []

    def contend() -> None:
        barrier.wait()
        try:
            storage.push(account_id, 0, [PushRow(row(new_id()), 0)], b"m")
            outcomes.append("won")
        except StalePush:
            outcomes.append("stale")

    threads = [threading.Thread(target=contend) for _ in range(contenders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("won") == 1
    assert outcomes.count("stale") == contenders - 1


def _push_in_process(url: str, account_id: str, base: int, barrier, results) -> None:
    opened = open_storage(url)
    try:
        barrier.wait()
        try:
            opened.push(account_id, base, [PushRow(row(str(uuid.uuid4())), 0)], b"m")
            results.put("won")
        except StalePush:
            results.put("stale")
    finally:
        opened.close()


def test_push_concurrent_processes_one_wins(storage_url):
    opened = open_storage(storage_url)
    opened.migrate()
    account_id = opened.create_account(new_account(), now=1)
    context = multiprocessing.get_context("spawn")
    try:
        for base in range(3):
            barrier = context.Barrier(2)
            results = context.Queue()
            workers = [
                context.Process(target=_push_in_process, args=(storage_url, account_id, base, barrier, results))
                for _ in range(2)
            ]
            for worker in workers:
                worker.start()
            for worker in workers:
                worker.join(timeout=60)
                assert worker.exitcode == 0
            outcomes = sorted(results.get(timeout=5) for _ in workers)
            assert outcomes == ["stale", "won"]
        assert opened.changes(account_id, 0, 10, 1 << 20).server_revision == 3
    finally:
        opened.close()


def test_delete_account_removes_rows(storage):
    account_id = storage.create_account(new_account(), now=1)
    keep_id = storage.create_account(new_account("bob@example.org"), now=1)
    storage.push(account_id, 0, [PushRow(row(new_id()), 0)], b"m")
    storage.push(keep_id, 0, [PushRow(row(new_id()), 0)], b"m")
    storage.add_token(b"t" * 32, account_id, expires_at=500, now=10)

    storage.delete_account(account_id)

    for table in ("entries", "tokens", "accounts"):
        assert count_rows(storage, table, account_id) == 0
    assert count_rows(storage, "entries", keep_id) == 1
    assert storage.find_account("alice@example.org") is None


def test_login_failures_backoff(storage):
    policy = Backoff(BackoffSettings(free_failures=2, base_seconds=1, max_seconds=8))
    states = [storage.record_login_failure("email:x", 100.0, policy) for _ in range(6)]
    assert [state.failures for state in states] == [1, 2, 3, 4, 5, 6]
    assert [state.blocked_until for state in states] == [0.0, 0.0, 101.0, 102.0, 104.0, 108.0]
    assert storage.login_failures(["email:x", "ip:none"])["email:x"].failures == 6
    storage.clear_login_failures("email:x")
    assert storage.login_failures(["email:x"]) == {}


def test_login_failures_forgotten_after_quiet_time(storage):
    policy = Backoff(BackoffSettings(free_failures=2, forget_after_seconds=60))
    storage.record_login_failure("ip:192.0.2.1", 100.0, policy)
    later = storage.record_login_failure("ip:192.0.2.1", 200.0, policy)
    assert later.failures == 1


def test_login_failures_purge_old(storage):
    policy = Backoff(BackoffSettings(free_failures=2))
    storage.record_login_failure("ip:192.0.2.1", 100.0, policy)
    storage.record_login_failure("ip:192.0.2.2", 500.0, policy)
    assert storage.purge_login_failures(before=200.0) == 1
    assert list(storage.login_failures(["ip:192.0.2.1", "ip:192.0.2.2"])) == ["ip:192.0.2.2"]


def test_sqlite_files_private(tmp_path):
    import stat

    path = tmp_path / "sync.db"
    sqlite = open_storage(f"sqlite:///{path}")
    try:
        sqlite.migrate()
    finally:
        sqlite.close()
    for file in tmp_path.iterdir():
        assert stat.S_IMODE(file.stat().st_mode) == 0o600, file.name
