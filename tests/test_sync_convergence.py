"""Two devices, one server, 1,000 random edits, deletions, offline periods and lost push responses.

A model applies the same merge rules to content tokens; at the end both vaults must
equal the model's server state, so every edit survives (conflict copies included).
"""

import datetime
import random

import pytest

from qvault.sync.client import setup as sync_setup
from qvault.sync.client.errors import SyncError
from qvault.sync.client.merge import conflict_title
from sync_client_support import EMAIL, SERVER_URL, Tap, http_client, make_app
from vault_helpers import PASSWORD, create_vault

SEED = 20250314
OPERATIONS = 1000
DAY = datetime.date(2025, 3, 14)
ABSENT = "absent"


class Device:
    """One device: its vault, its sync session, its tap, and its model state."""

    def __init__(self, name, vault, session, tap):
        self.name = name
        self.vault = vault
        self.session = session
        self.tap = tap
        self.online = True
        # Model: id -> (title, token) for a live entry, None for a tombstone.
        self.base: dict = {}
        self.local: dict = {}


def _write(vault, entry_id, title, token):
    metadata = {"type": "login", "title": title, "username": token}
    secret = {"password": token}
    if entry_id is None:
        return vault.add_entry(metadata, secret).id
    vault.update_entry(entry_id, vault.entry(entry_id).revision, metadata, secret)
    return entry_id


def _model_sync(device: Device, server: dict) -> list[tuple]:
    """Apply the merge rules to the model; return the local versions that become conflict copies."""
    copies = []
    for entry_id in sorted(set(device.local) | set(server) | set(device.base)):
        base = device.base.get(entry_id, ABSENT)
        local = device.local.get(entry_id, ABSENT)
        remote = server.get(entry_id, ABSENT)
        local_changed, remote_changed = local != base, remote != base
        if local_changed and not remote_changed:
            server[entry_id] = local
        elif remote_changed and not local_changed:
            device.local[entry_id] = remote
        elif local_changed and remote_changed and local != remote:
            if local is None:
                device.local[entry_id] = remote
            elif remote is None:
                server[entry_id] = local
            else:
                device.local[entry_id] = remote
                copies.append(local)
    return copies


def _register_copies(device: Device, server: dict, copies: list[tuple]) -> None:
    """Find each conflict copy the real sync made, by its unique token, and add it to the model."""
    by_token = {entry.metadata["username"]: entry for entry in device.vault.entries()}
    for title, token in copies:
        entry = by_token[token]
        assert entry.id not in device.local
        assert entry.title == conflict_title(title, DAY)
        device.local[entry.id] = server[entry.id] = (entry.title, token)


def _real_state(vault) -> dict:
    return {entry.id: (entry.title, vault.get_secret(entry.id)["password"]) for entry in vault.entries()}


def _live(model: dict) -> dict:
    return {entry_id: value for entry_id, value in model.items() if value is not None}


def _fail_all(path, status, document):
    return 503, {"error": {"code": "unavailable", "message": "offline"}}


def _lose_push_response(path, status, document):
    if path == "/v1/push":
        return 502, {"error": {"code": "bad_gateway", "message": "response lost"}}
    return status, document


def test_two_devices_converge(tmp_path):
    rng = random.Random(SEED)
    app = make_app(tmp_path)
    server: dict = {}

    vault_a, _ = create_vault(tmp_path / "a.qvault")
    tap_a, tap_b = Tap(app), Tap(app)
    session_a, _, _ = sync_setup.setup(vault_a, SERVER_URL, EMAIL, PASSWORD, None, http_client(tap_a))
    vault_b, session_b, _ = sync_setup.clone(tmp_path / "b.qvault", SERVER_URL, EMAIL, PASSWORD, None, http_client(tap_b))
    devices = [Device("a", vault_a, session_a, tap_a), Device("b", vault_b, session_b, tap_b)]
    for device in devices:
        device.session.today = lambda: DAY

    counter = 0
    counts = {"edit": 0, "add": 0, "delete": 0, "sync": 0, "offline": 0, "lost": 0, "conflicts": 0}
    for _ in range(OPERATIONS):
        device = rng.choice(devices)
        live = sorted(entry_id for entry_id, value in device.local.items() if value is not None)
        choice = rng.random()
        counter += 1
        token = f"t{counter}"

        if choice < 0.30 and live:
            entry_id = rng.choice(live)
            title = device.local[entry_id][0]
            _write(device.vault, entry_id, title, token)
            device.local[entry_id] = (title, token)
            counts["edit"] += 1
        elif choice < 0.45 or not live:
            title = f"entry {counter}"
            entry_id = _write(device.vault, None, title, token)
            device.local[entry_id] = (title, token)
            counts["add"] += 1
        elif choice < 0.55:
            entry_id = rng.choice(live)
            device.vault.delete_entry(entry_id, device.vault.entry(entry_id).revision)
            device.local[entry_id] = None
            counts["delete"] += 1
        elif choice < 0.60:
            device.online = not device.online
            device.tap.rewrite = None if device.online else _fail_all
            counts["offline"] += 1
        elif choice < 0.65 and device.online:
            # The server applies the push but its response is lost on the way back.
            # The device saved the pulled state before pushing, so its base is the
            # server before the push; the next sync finds its own rows there.
            device.tap.rewrite = _lose_push_response
            before_push = dict(server)
            copies = _model_sync(device, server)
            try:
                device.session.sync()
                device.base = dict(server)
            except SyncError as error:
                assert "response lost" in str(error)
                device.base = before_push
                counts["lost"] += 1
            device.tap.rewrite = None
            _register_copies(device, server, copies)
        elif device.online:
            copies = _model_sync(device, server)
            report = device.session.sync()
            assert report.conflicts == len(copies)
            _register_copies(device, server, copies)
            device.base = dict(server)
            counts["sync"] += 1
            counts["conflicts"] += len(copies)
        else:
            with pytest.raises(SyncError, match="unavailable"):
                device.session.sync()

    for device in devices:
        device.tap.rewrite = None
    for device in devices + devices:
        copies = _model_sync(device, server)
        device.session.sync()
        _register_copies(device, server, copies)
        device.base = dict(server)

    expected = _live(server)
    assert _real_state(vault_a) == expected
    assert _real_state(vault_b) == expected
    for device in devices:
        assert _live(device.local) == expected
    # The run must exercise every path, or the seed proves little.
    assert counts["conflicts"] > 0
    assert counts["lost"] > 0
    assert counts["offline"] > 0
    assert counts["delete"] > 0
    vault_a.close()
    vault_b.close()
