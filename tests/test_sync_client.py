"""Sync client: setup, clone, three-way merge, retries, and the sidecar state."""

import datetime
import io
import json
import sqlite3

import pytest

from qvault.cli import main as cli_main
from qvault.cli.commands import sync as sync_command
from qvault.errors import IntegrityError, VaultExists
from qvault.sync.client import api as api_module
from qvault.sync.client import auth
from qvault.sync.client.errors import SyncError
from qvault.sync.client.state import SyncState, sidecar_path
from qvault.vault import Vault, format, keyslots, replica
from qvault.vault.kdf import FLOOR
from sync_client_support import EMAIL, Devices, UvicornThread, contents, make_app
from vault_helpers import PASSWORD, create_vault

DAY = datetime.date(2025, 3, 14)
LOGIN = {"type": "login", "title": "Bank", "username": "ana"}


@pytest.fixture(name="devices")
def devices_fixture(tmp_path):
    return Devices(tmp_path)


@pytest.fixture(name="pair")
def pair_fixture(devices):
    """Two synced devices holding one entry; return (a, session_a, b, session_b, entry_id)."""
    a, session_a = devices.first("a", entries=0)
    entry = a.add_entry(LOGIN, {"password": "base"})
    session_a.sync()
    b, session_b = devices.clone("b")
    session_a.today = session_b.today = lambda: DAY
    yield a, session_a, b, session_b, entry.id
    a.close()
    b.close()


def _edit(vault, entry_id, secret, metadata=LOGIN):
    vault.update_entry(entry_id, vault.entry(entry_id).revision, metadata, secret)


def _converge(session_a, session_b):
    session_a.sync()
    session_b.sync()
    session_a.sync()


# Blobs


def test_slot_blob_roundtrip(tmp_path):
    vault, _ = create_vault(tmp_path / "v.qvault")
    for slot in vault.key_slots():
        parsed = replica.decode_slot(replica.encode_slot(slot))
        assert (parsed.kind, parsed.params, parsed.flags) == (slot.kind, slot.params, slot.flags)
        assert (parsed.salt, parsed.nonce, parsed.wrapped_key) == (slot.salt, slot.nonce, slot.wrapped_key)
    vault.close()


def test_slot_blob_wrong_length(tmp_path):
    vault, _ = create_vault(tmp_path / "v.qvault")
    blob = replica.encode_slot(vault.key_slots()[0])
    vault.close()
    with pytest.raises(Exception, match="length 10 is invalid"):
        replica.decode_slot(blob[:10])


def test_slot_blob_unknown_kind(tmp_path):
    vault, _ = create_vault(tmp_path / "v.qvault")
    blob = bytearray(replica.encode_slot(vault.key_slots()[0]))
    vault.close()
    blob[1] = 9
    with pytest.raises(Exception, match="kind 9 is unknown"):
        replica.decode_slot(bytes(blob))


def test_manifest_roundtrip(tmp_path):
    vault, _ = create_vault(tmp_path / "v.qvault")
    blob = replica.encode_manifest(vault, 7, 12345)
    assert replica.decode_manifest(vault, blob) == replica.Manifest(7, 12345)
    forged = blob[:8] + bytes(32) + blob[40:]
    with pytest.raises(IntegrityError, match="manifest MAC is invalid"):
        replica.decode_manifest(vault, forged)
    vault.close()


def test_auth_key_differs_from_kek(tmp_path):
    vault, _ = create_vault(tmp_path / "v.qvault")
    slot = next(slot for slot in vault.key_slots() if slot.kind == format.SLOT_PASSWORD)
    auth_key = auth.derive_auth_key(vault.vault_id, slot.salt, slot.params, PASSWORD, None)
    kek = keyslots._password_kek(vault.vault_id, slot, PASSWORD, None)
    assert len(auth_key) == 32
    assert auth_key != kek
    vault.close()


def test_server_url_plain_http_rejected():
    with pytest.raises(SyncError, match="plain HTTP"):
        api_module.check_server_url("http://sync.example.org")
    assert api_module.check_server_url("http://127.0.0.1:8000/") == "http://127.0.0.1:8000"
    assert api_module.check_server_url("https://sync.example.org/qv") == "https://sync.example.org/qv"


# Setup and clone


def test_setup_then_clone_copies_entries(devices):
    a, _ = devices.first("a", entries=3)
    b, _ = devices.clone("b")
    assert contents(b) == contents(a)
    assert b.vault_id == a.vault_id
    a.close()
    b.close()


def test_clone_existing_path_rejected(devices):
    a, _ = devices.first("a")
    (devices.tmp_path / "b.qvault").write_bytes(b"keep me")
    with pytest.raises(VaultExists, match="already exists"):
        devices.clone("b")
    assert (devices.tmp_path / "b.qvault").read_bytes() == b"keep me"
    a.close()


def test_clone_wrong_password_leaves_nothing(devices, tmp_path):
    from qvault.sync.client import setup as sync_setup

    a, _ = devices.first("a")
    target = tmp_path / "b.qvault"
    with pytest.raises(SyncError, match="wrong email or master password"):
        sync_setup.clone(target, "http://127.0.0.1:8765", EMAIL, "not the password", None, devices.client())
    assert not target.exists()
    assert not sidecar_path(target).exists()
    a.close()


def test_setup_links_same_vault(devices):
    from qvault.sync.client import setup as sync_setup

    a, session = devices.first("a", entries=2)
    session.state.close()
    sidecar_path(a.path).unlink()
    relinked, report, registered = sync_setup.setup(a, "http://127.0.0.1:8765", EMAIL, PASSWORD, None, devices.client())
    assert registered is False
    assert report.conflicts == 0
    assert relinked.state.server_revision == session.state.server_revision
    a.close()


def test_setup_rejects_other_vault(devices, tmp_path):
    from qvault.sync.client import setup as sync_setup

    a, _ = devices.first("a")
    other, _ = create_vault(tmp_path / "other.qvault")
    with pytest.raises(SyncError, match="holds a different vault"):
        sync_setup.setup(other, "http://127.0.0.1:8765", EMAIL, PASSWORD, None, devices.client())
    a.close()
    other.close()


# Three-way merge


def test_merge_only_local_pushes(pair):
    a, session_a, b, session_b, entry_id = pair
    _edit(a, entry_id, {"password": "from a"})
    assert session_a.sync().pushed == 1
    session_b.sync()
    assert b.get_secret(entry_id) == {"password": "from a"}


def test_merge_same_edit_no_copy(pair):
    a, session_a, b, session_b, entry_id = pair
    _edit(a, entry_id, {"password": "same"})
    _edit(b, entry_id, {"password": "same"})
    _converge(session_a, session_b)
    assert len(a.entries()) == 1
    assert contents(a) == contents(b)


def test_merge_conflict_keeps_both(pair):
    a, session_a, b, session_b, entry_id = pair
    _edit(a, entry_id, {"password": "from a"})
    _edit(b, entry_id, {"password": "from b"})
    session_a.sync()
    report = session_b.sync()
    session_a.sync()

    assert report.conflicts == 1
    assert "Bank (conflict copy 2025-03-14)" in report.notices[0]
    assert contents(a) == contents(b)
    assert a.get_secret(entry_id) == {"password": "from a"}
    copies = [entry for entry in b.entries() if entry.id != entry_id]
    assert len(copies) == 1
    assert copies[0].title == "Bank (conflict copy 2025-03-14)"
    assert b.get_secret(copies[0].id) == {"password": "from b"}


def test_merge_local_delete_remote_edit(pair):
    a, session_a, b, session_b, entry_id = pair
    _edit(a, entry_id, {"password": "edited"})
    b.delete_entry(entry_id, b.entry(entry_id).revision)
    session_a.sync()
    report = session_b.sync()
    session_a.sync()
    assert "deleted on this device but edited on another" in report.notices[0]
    assert b.get_secret(entry_id) == {"password": "edited"}
    assert contents(a) == contents(b)


def test_merge_local_edit_remote_delete(pair):
    a, session_a, b, session_b, entry_id = pair
    a.delete_entry(entry_id, a.entry(entry_id).revision)
    _edit(b, entry_id, {"password": "edited"})
    session_a.sync()
    report = session_b.sync()
    session_a.sync()
    assert "deleted on another device but edited on this one" in report.notices[0]
    assert a.get_secret(entry_id) == {"password": "edited"}
    assert contents(a) == contents(b)


def test_merge_both_deleted(pair):
    a, session_a, b, session_b, entry_id = pair
    a.delete_entry(entry_id, a.entry(entry_id).revision)
    b.delete_entry(entry_id, b.entry(entry_id).revision)
    _converge(session_a, session_b)
    assert a.entries() == []
    assert b.entries() == []


def test_stale_push_pulls_and_retries(pair):
    a, session_a, b, session_b, entry_id = pair
    _edit(a, entry_id, {"password": "from a"})
    _edit(b, entry_id, {"password": "from b"})
    real_push = session_a.api.push
    calls = []

    def push_after_other_device(*args):
        if not calls:
            session_b.sync()
        calls.append(1)
        return real_push(*args)

    session_a.api.push = push_after_other_device
    report = session_a.sync()
    session_b.sync()
    assert len(calls) == 2
    assert report.conflicts == 1
    assert contents(a) == contents(b)
    assert len(a.entries()) == 2


def test_lost_push_response_recovers(pair):
    a, session_a, b, session_b, entry_id = pair
    _edit(a, entry_id, {"password": "from a"})
    real_push = session_a.api.push

    def push_then_fail(*args):
        real_push(*args)
        raise SyncError("push: connection reset")

    session_a.api.push = push_then_fail
    with pytest.raises(SyncError, match="connection reset"):
        session_a.sync()
    session_a.api.push = real_push
    report = session_a.sync()
    session_b.sync()
    assert report.conflicts == 0
    assert len(a.entries()) == 1
    assert b.get_secret(entry_id) == {"password": "from a"}


def test_failed_push_retried_next_sync(pair):
    a, session_a, b, session_b, entry_id = pair
    _edit(a, entry_id, {"password": "from a"})
    real_push = session_a.api.push

    def push_fails(*args):
        raise SyncError("push: could not reach the sync server")

    session_a.api.push = push_fails
    with pytest.raises(SyncError, match="could not reach"):
        session_a.sync()
    session_a.api.push = real_push
    assert session_a.sync().pushed == 1
    session_b.sync()
    assert b.get_secret(entry_id) == {"password": "from a"}


def test_vault_edit_during_sync_kept(pair, monkeypatch):
    a, session_a, b, session_b, entry_id = pair
    _edit(a, entry_id, {"password": "from a"})
    session_a.sync()
    other_process = Vault.open(b.path)
    other_process.unlock(PASSWORD)
    real_apply = replica.apply_changes
    calls = []

    def edit_first(*args):
        if not calls:
            _edit(other_process, entry_id, {"password": "native host edit"})
        calls.append(1)
        return real_apply(*args)

    monkeypatch.setattr(replica, "apply_changes", edit_first)
    report = session_b.sync()
    other_process.close()

    assert len(calls) == 2
    assert report.conflicts == 1
    secrets = sorted(b.get_secret(entry.id)["password"] for entry in b.entries())
    assert secrets == ["from a", "native host edit"]


# Sidecar


def test_sidecar_settings_tamper_detected(pair):
    a, session_a, b, session_b, entry_id = pair
    session_a.state.close()
    path = sidecar_path(a.path)
    connection = sqlite3.connect(path, isolation_level=None)
    settings = json.loads(connection.execute("SELECT settings FROM remote").fetchone()[0])
    settings["kdf"]["iterations"] = 1
    connection.execute("UPDATE remote SET settings = ?", (json.dumps(settings),))
    connection.close()
    with pytest.raises(IntegrityError, match="sync settings MAC is invalid"):
        SyncState.load(a)


def test_sidecar_base_row_tamper_detected(pair):
    a, session_a, b, session_b, entry_id = pair
    session_a.state.close()
    connection = sqlite3.connect(sidecar_path(a.path), isolation_level=None)
    connection.execute("DELETE FROM base_rows")
    connection.close()
    with pytest.raises(IntegrityError, match="base rows do not match"):
        SyncState.load(a)


def test_sidecar_holds_no_plaintext(pair):
    a, session_a, b, session_b, entry_id = pair
    session_a.state.close()
    data = sidecar_path(a.path).read_bytes()
    assert b"base" not in data.replace(b"base_rows", b"")
    assert b"Bank" not in data
    assert PASSWORD.encode() not in data


# Command line


def _run(argv, stdin_text=""):
    stdout, stderr = io.StringIO(), io.StringIO()
    status = cli_main.main(argv, stdin=io.StringIO(stdin_text), stdout=stdout, stderr=stderr)
    return status, stdout.getvalue(), stderr.getvalue()


def test_cli_setup_sync_clone_status(tmp_path):
    first, _ = create_vault(tmp_path / "a.qvault")
    first.add_entry(LOGIN, {"password": "cli"})
    first.close()
    with UvicornThread(make_app(tmp_path)) as server:
        a = str(tmp_path / "a.qvault")
        b = str(tmp_path / "b.qvault")
        status, out, err = _run(["--vault", a, "--password-stdin", "sync", "setup", "--server", server.url, "--email", EMAIL], PASSWORD + "\n")
        assert status == 0, err
        assert "registered a new account" in err
        assert "1 pushed" in out

        status, out, err = _run(["--vault", b, "--password-stdin", "sync", "clone", "--server", server.url, "--email", EMAIL], PASSWORD + "\n")
        assert status == 0, err
        assert "cloned the vault" in err

        status, out, err = _run(["--vault", a, "--password-stdin", "sync"], PASSWORD + "\n")
        assert status == 0, err
        assert "0 pulled, 0 pushed" in out

        status, out, err = _run(["--vault", b, "sync", "status", "--json"])
        assert status == 0, err
        summary = json.loads(out)
        assert summary["server_url"] == server.url
        assert summary["base_entries"] == 1
        assert summary["local_changes"] == 0
        assert summary["kdf"]["memory_kib"] == FLOOR.memory_kib


def test_cli_sync_not_set_up(tmp_path):
    create_vault(tmp_path / "a.qvault")[0].close()
    status, out, err = _run(["--vault", str(tmp_path / "a.qvault"), "--password-stdin", "sync"], PASSWORD + "\n")
    assert status == 1
    assert "sync is not set up" in err


def test_cli_status_counts_local_changes(devices):
    a, session = devices.first("a", entries=1)
    a.add_entry(LOGIN, {"password": "new"})
    status, out, err = _run(["--vault", str(a.path), "sync", "status"])
    assert status == 0, err
    assert "local changes:     1 not yet pushed" in out
    a.close()


def test_http_client_factory_default():
    assert sync_command.HTTP_CLIENT_FACTORY is None
