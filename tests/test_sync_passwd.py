"""Changing the master password of a synced vault: passwd and recover against the real server."""

import io
import json

import pytest

from qvault.cli import main as cli_main
from qvault.cli.commands import sync as sync_command
from qvault.errors import StorageError, WrongPassword
from qvault.sync.client import auth
from qvault.sync.client import setup as sync_setup
from qvault.sync.client.api import ApiClient
from qvault.sync.client.engine import password_slot
from qvault.sync.client.errors import ServerError, SyncError
from qvault.sync.client.state import SyncState, sidecar_path
from qvault.vault import Vault, keyslots
from qvault.vault.kdf import FLOOR
from sync_client_support import EMAIL, SERVER_URL, Devices, UvicornThread, contents, make_app
from vault_helpers import PASSWORD, create_vault

NEW_PASSWORD = "a brand new master password"
NEWER_PASSWORD = "yet another master password"
LOGIN = {"type": "login", "title": "Bank", "username": "ana"}


@pytest.fixture(name="devices")
def devices_fixture(tmp_path, monkeypatch):
    devices = Devices(tmp_path)
    monkeypatch.setattr(sync_command, "HTTP_CLIENT_FACTORY", devices.client)
    return devices


@pytest.fixture(name="synced")
def synced_fixture(devices):
    """A vault with one entry, set up for sync and closed; return its path."""
    vault, session = devices.first("a", entries=1)
    session.api.logout()
    session.state.close()
    vault.close()
    return devices.tmp_path / "a.qvault"


def _run(vault_path, *argv, lines=()):
    stdout, stderr = io.StringIO(), io.StringIO()
    stdin = io.StringIO("".join(line + "\n" for line in lines))
    status = cli_main.main(["--vault", str(vault_path), "--password-stdin", *argv], stdin=stdin, stdout=stdout, stderr=stderr)
    return status, stdout.getvalue(), stderr.getvalue()


def _opens_with(vault_path, password) -> bool:
    with Vault.open(vault_path) as vault:
        try:
            vault.unlock(password)
        except WrongPassword:
            return False
        return True


def _pinned(vault_path, password) -> tuple:
    """Return (pinned KDF, pinned salt, the vault's password slot KDF and salt)."""
    with Vault.open(vault_path) as vault:
        vault.unlock(password)
        state = SyncState.load(vault)
        slot = password_slot(vault)
        pinned = (state.kdf, state.salt, slot.params, slot.salt)
        state.close()
    return pinned


def _server_login(devices, password, vault_path, unlock_password) -> None:
    """Log in to the account with the auth key of password and the vault's current slot settings."""
    with Vault.open(vault_path) as vault:
        vault.unlock(unlock_password)
        slot = password_slot(vault)
        auth_key = auth.derive_auth_key(vault.vault_id, slot.salt, slot.params, password, None)
    api = ApiClient(SERVER_URL, devices.client())
    try:
        api.login(EMAIL, auth_key)
    finally:
        api.close()


# Normal change


def test_passwd_then_sync(synced):
    status, out, err = _run(synced, "passwd", lines=[PASSWORD, NEW_PASSWORD])
    assert status == 0, err
    assert "here and on" in err

    assert _opens_with(synced, NEW_PASSWORD)
    assert not _opens_with(synced, PASSWORD)
    pinned_kdf, pinned_salt, slot_kdf, slot_salt = _pinned(synced, NEW_PASSWORD)
    assert pinned_kdf == slot_kdf
    assert pinned_salt == slot_salt

    status, out, err = _run(synced, "sync", lines=[NEW_PASSWORD])
    assert status == 0, err
    assert "0 pulled, 0 pushed" in out


def test_passwd_second_device_clones(devices, synced):
    assert _run(synced, "passwd", lines=[PASSWORD, NEW_PASSWORD])[0] == 0
    clone_path = devices.tmp_path / "b.qvault"

    status, out, err = _run(clone_path, "sync", "clone", "--server", SERVER_URL, "--email", EMAIL, lines=[NEW_PASSWORD])

    assert status == 0, err
    with Vault.open(synced) as first, Vault.open(clone_path) as second:
        first.unlock(NEW_PASSWORD)
        second.unlock(NEW_PASSWORD)
        assert contents(second) == contents(first)


def test_passwd_old_password_rejected(devices, synced):
    assert _run(synced, "passwd", lines=[PASSWORD, NEW_PASSWORD])[0] == 0

    with pytest.raises(SyncError, match="wrong email or master password"):
        sync_setup.clone(devices.tmp_path / "b.qvault", SERVER_URL, EMAIL, PASSWORD, None, devices.client())
    assert not (devices.tmp_path / "b.qvault").exists()

    with pytest.raises(ServerError, match="rejected the credentials") as raised:
        _server_login(devices, PASSWORD, synced, NEW_PASSWORD)
    assert raised.value.status == 401
    _server_login(devices, NEW_PASSWORD, synced, NEW_PASSWORD)


def test_passwd_revokes_tokens(devices):
    vault, session = devices.first("a", entries=1)
    vault.close()
    session.state.close()
    path = devices.tmp_path / "a.qvault"
    assert _run(path, "passwd", lines=[PASSWORD, NEW_PASSWORD])[0] == 0

    # The session's token was revoked, and its stored auth key is the old one.
    with pytest.raises(ServerError, match="rejected the credentials"):
        session.api.keyslots()


def test_passwd_sends_new_slots(devices, synced):
    assert _run(synced, "passwd", lines=[PASSWORD, NEW_PASSWORD])[0] == 0

    with Vault.open(synced) as vault:
        vault.unlock(NEW_PASSWORD)
        local_slots = vault.key_slots()
        slot = password_slot(vault)
        auth_key = auth.derive_auth_key(vault.vault_id, slot.salt, slot.params, NEW_PASSWORD, None)
    api = ApiClient(SERVER_URL, devices.client())
    api.login(EMAIL, auth_key)
    remote = api.keyslots()
    api.close()

    assert remote.kdf == slot.params
    assert remote.salt == slot.salt
    assert sorted(remote.blobs) == sorted(sync_setup.replica.encode_slot(item) for item in local_slots)


def test_passwd_stronger_kdf_pinned(synced):
    stronger = ["--kdf-memory-kib", str(FLOOR.memory_kib), "--kdf-iterations", str(FLOOR.iterations + 1)]
    status, out, err = _run(synced, "passwd", *stronger, lines=[PASSWORD, NEW_PASSWORD])
    assert status == 0, err

    pinned_kdf, _, slot_kdf, _ = _pinned(synced, NEW_PASSWORD)
    assert slot_kdf.iterations == FLOOR.iterations + 1
    assert pinned_kdf == slot_kdf
    assert _run(synced, "sync", lines=[NEW_PASSWORD])[0] == 0


# Another device


def test_passwd_other_device_adopts(devices, synced):
    second, session = devices.clone("b")
    session.api.logout()
    session.state.close()
    second.close()
    second_path = devices.tmp_path / "b.qvault"
    assert _run(synced, "passwd", lines=[PASSWORD, NEW_PASSWORD])[0] == 0

    status, out, err = _run(second_path, "sync", lines=[PASSWORD])
    assert status == 1
    assert "run 'qvault passwd' here" in err

    status, out, err = _run(second_path, "passwd", lines=[PASSWORD, NEW_PASSWORD])
    assert status == 0, err
    assert "another master password" in err
    assert _opens_with(second_path, NEW_PASSWORD)

    status, out, err = _run(second_path, "sync", lines=[NEW_PASSWORD])
    assert status == 0, err


def test_passwd_adopt_wrong_password(devices, synced):
    second, session = devices.clone("b")
    session.state.close()
    second.close()
    second_path = devices.tmp_path / "b.qvault"
    assert _run(synced, "passwd", lines=[PASSWORD, NEW_PASSWORD])[0] == 0

    status, out, err = _run(second_path, "passwd", lines=[PASSWORD, NEWER_PASSWORD])

    assert status == 1
    assert "rejected the new master password" in err
    assert _opens_with(second_path, PASSWORD)


# Failure at each step


def test_passwd_server_unreachable(tmp_path, monkeypatch):
    monkeypatch.setattr(sync_command, "HTTP_CLIENT_FACTORY", None)
    path = tmp_path / "a.qvault"
    vault, _ = create_vault(path)
    vault.add_entry(LOGIN, {"password": "kept"})
    vault.close()
    app = make_app(tmp_path)
    with UvicornThread(app) as server:
        port = server.port
        status, out, err = _run(path, "sync", "setup", "--server", server.url, "--email", EMAIL, lines=[PASSWORD])
        assert status == 0, err

    # Step 1 fails: nothing changes, and the old password still syncs once the server is back.
    status, out, err = _run(path, "passwd", lines=[PASSWORD, NEW_PASSWORD])
    assert status == 1
    assert "could not reach the sync server" in err
    assert "--local-only" in err
    assert _opens_with(path, PASSWORD)

    status, out, err = _run(path, "passwd", "--local-only", lines=[PASSWORD, NEW_PASSWORD])
    assert status == 0, err
    assert "the sync server still uses the previous master password" in err
    assert _opens_with(path, NEW_PASSWORD)

    restarted = UvicornThread(app)
    restarted.port = port
    restarted.server.config.port = port
    with restarted:
        status, out, err = _run(path, "sync", lines=[NEW_PASSWORD])
        assert status == 1
        assert "changed without updating the sync server" in err

        status, out, err = _run(path, "passwd", lines=[NEW_PASSWORD, PASSWORD, NEWER_PASSWORD])
        assert status == 0, err

        status, out, err = _run(path, "sync", lines=[NEWER_PASSWORD])
        assert status == 0, err
        clone_path = tmp_path / "b.qvault"
        status, out, err = _run(clone_path, "sync", "clone", "--server", restarted.url, "--email", EMAIL, lines=[NEWER_PASSWORD])
        assert status == 0, err


def test_passwd_response_lost(devices, synced):
    # The server stores the change, but the response is lost (here: replaced by a 500).
    def lose_password_response(path, status, document):
        if path == "/v1/password":
            return 500, {"error": {"code": "internal_error", "message": "response lost"}}
        return status, document

    devices.tap.rewrite = lose_password_response
    status, out, err = _run(synced, "passwd", lines=[PASSWORD, NEW_PASSWORD])
    devices.tap.rewrite = None
    assert status == 1
    assert "did not confirm the password change" in err
    assert _opens_with(synced, PASSWORD)

    status, out, err = _run(synced, "sync", lines=[PASSWORD])
    assert status == 1
    assert "run 'qvault passwd' here" in err

    status, out, err = _run(synced, "passwd", lines=[PASSWORD, NEW_PASSWORD])
    assert status == 0, err
    assert _opens_with(synced, NEW_PASSWORD)
    assert _run(synced, "sync", lines=[NEW_PASSWORD])[0] == 0


def test_passwd_vault_write_fails(devices, synced, monkeypatch):
    def fail(self, slot):
        raise StorageError("disk full")

    with monkeypatch.context() as patch:
        patch.setattr(Vault, "replace_password_slot", fail)
        status, out, err = _run(synced, "passwd", lines=[PASSWORD, NEW_PASSWORD])
    assert status == 1
    assert "the sync server has the new master password, but saving it" in err
    assert _opens_with(synced, PASSWORD)

    status, out, err = _run(synced, "passwd", lines=[PASSWORD, NEW_PASSWORD])
    assert status == 0, err
    assert _run(synced, "sync", lines=[NEW_PASSWORD])[0] == 0


def test_passwd_sidecar_write_fails(devices, synced, monkeypatch):
    original = SyncState.pin_kdf

    def fail(self, vault, kdf, salt):
        raise SyncError("sync state: disk full")

    with monkeypatch.context() as patch:
        patch.setattr(SyncState, "pin_kdf", fail)
        status, out, err = _run(synced, "passwd", lines=[PASSWORD, NEW_PASSWORD])
    assert SyncState.pin_kdf is original
    assert status == 1
    assert "disk full" in err
    assert _opens_with(synced, NEW_PASSWORD)
    pinned_kdf, pinned_salt, slot_kdf, slot_salt = _pinned(synced, NEW_PASSWORD)
    assert pinned_salt != slot_salt

    # The next login finds the vault's own slot settings on the server and pins them.
    status, out, err = _run(synced, "sync", lines=[NEW_PASSWORD])
    assert status == 0, err
    pinned_kdf, pinned_salt, slot_kdf, slot_salt = _pinned(synced, NEW_PASSWORD)
    assert pinned_salt == slot_salt


def test_passwd_wrong_previous_password(synced):
    assert _run(synced, "passwd", "--local-only", lines=[PASSWORD, NEW_PASSWORD])[0] == 0

    status, out, err = _run(synced, "passwd", lines=[NEW_PASSWORD, "not the previous one", NEWER_PASSWORD])

    assert status == 1
    assert "rejected the master password the sync server uses" in err
    assert _opens_with(synced, NEW_PASSWORD)


# Recovery code


def test_recover_explains_relink(devices):
    path = devices.tmp_path / "a.qvault"
    vault, recovery_code = create_vault(path)
    vault.add_entry(LOGIN, {"password": "kept"})
    session, _, _ = sync_setup.setup(vault, SERVER_URL, EMAIL, PASSWORD, None, devices.client())
    session.state.close()
    vault.close()
    code = keyslots.encode_code(recovery_code)

    status, out, err = _run(path, "recover", lines=[code, NEW_PASSWORD])
    assert status == 0, err
    assert "still uses the previous master password" in err
    assert "ANOTHER_EMAIL" in err
    assert _opens_with(path, NEW_PASSWORD)

    status, out, err = _run(path, "sync", lines=[NEW_PASSWORD])
    assert status == 1
    assert "run 'qvault passwd'" in err

    # The previous password is lost: sync through a new account, the path the warning prints.
    sidecar_path(path).unlink()
    status, out, err = _run(path, "sync", "setup", "--server", SERVER_URL, "--email", "ana+new@example.org", lines=[NEW_PASSWORD])
    assert status == 0, err
    assert "1 pushed" in out
    status, out, err = _run(
        devices.tmp_path / "b.qvault", "sync", "clone", "--server", SERVER_URL, "--email", "ana+new@example.org", lines=[NEW_PASSWORD]
    )
    assert status == 0, err


def test_recover_then_passwd_with_previous(devices):
    path = devices.tmp_path / "a.qvault"
    vault, recovery_code = create_vault(path)
    session, _, _ = sync_setup.setup(vault, SERVER_URL, EMAIL, PASSWORD, None, devices.client())
    session.state.close()
    vault.close()
    assert _run(path, "recover", lines=[keyslots.encode_code(recovery_code), NEW_PASSWORD])[0] == 0

    status, out, err = _run(path, "passwd", lines=[NEW_PASSWORD, PASSWORD, NEWER_PASSWORD])

    assert status == 0, err
    assert _run(path, "sync", lines=[NEWER_PASSWORD])[0] == 0


def test_status_shows_new_pinned_kdf(synced):
    stronger = ["--kdf-iterations", str(FLOOR.iterations + 2)]
    assert _run(synced, "passwd", *stronger, lines=[PASSWORD, NEW_PASSWORD])[0] == 0

    status, out, err = _run(synced, "sync", "status", "--json")

    assert status == 0, err
    assert json.loads(out)["kdf"]["iterations"] == FLOOR.iterations + 2
