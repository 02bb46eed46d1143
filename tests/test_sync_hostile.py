"""Sync client against a hostile server: each test rewrites the server's responses through a tap."""

import base64
import copy
import json

import pytest

from qvault.errors import KdfParametersRejected
from qvault.sync.client import setup as sync_setup
from qvault.sync.client.errors import ServerIntegrityError
from qvault.sync.client.state import sidecar_path
from qvault.vault import kdf
from sync_client_support import EMAIL, SERVER_URL, Devices, contents
from vault_helpers import PASSWORD

BELOW_FLOOR = {"memory_kib": 8 * 1024, "iterations": 1, "parallelism": 1}
ABOVE_CEILING = {"memory_kib": 4 * 1024 * 1024, "iterations": 64, "parallelism": 4}


@pytest.fixture(name="devices")
def devices_fixture(tmp_path):
    return Devices(tmp_path)


@pytest.fixture(name="argon2_calls")
def argon2_calls_fixture(monkeypatch):
    """Count Argon2id runs made through qvault.vault.kdf from now on."""
    calls = []
    real = kdf.hash_secret_raw

    def counting(*args, **kwargs):
        calls.append(kwargs.get("memory_cost"))
        return real(*args, **kwargs)

    monkeypatch.setattr(kdf, "hash_secret_raw", counting)
    return calls


def _on(path, change):
    """A rewrite that applies change(document) to the responses of one endpoint."""

    def rewrite(request_path, status, document):
        if request_path == path and status < 400:
            document = copy.deepcopy(document)
            change(document)
        return status, document

    return rewrite


def _clone(devices, name="b"):
    return sync_setup.clone(devices.tmp_path / f"{name}.qvault", SERVER_URL, EMAIL, PASSWORD, None, devices.client())


# 1. KDF parameters outside the floor or ceiling


@pytest.mark.parametrize("params", [BELOW_FLOOR, ABOVE_CEILING], ids=["below_floor", "above_ceiling"])
def test_kdf_out_of_bounds_aborts_clone(devices, argon2_calls, params):
    a, _ = devices.first("a")
    argon2_calls.clear()
    devices.tap.exchanges.clear()
    devices.tap.rewrite = _on("/v1/prelogin", lambda document: document.update(kdf=params))

    with pytest.raises(KdfParametersRejected, match="refusing to derive or send anything"):
        _clone(devices)

    assert argon2_calls == []
    assert devices.tap.paths() == ["/v1/prelogin"]
    assert not (devices.tmp_path / "b.qvault").exists()
    a.close()


# 2. KDF parameters changed after the first sync


def test_kdf_change_after_sync_refused(devices, argon2_calls):
    a, session = devices.first("a")
    argon2_calls.clear()
    devices.tap.exchanges.clear()
    stronger = {"memory_kib": 128 * 1024, "iterations": 4, "parallelism": 4}
    devices.tap.rewrite = _on("/v1/prelogin", lambda document: document.update(kdf=stronger))

    with pytest.raises(ServerIntegrityError, match="than were pinned at setup"):
        session.login(PASSWORD, None)

    assert argon2_calls == []
    assert "/v1/login" not in devices.tap.paths()
    a.close()


def test_salt_change_after_sync_refused(devices):
    a, session = devices.first("a")
    devices.tap.rewrite = _on("/v1/prelogin", lambda document: document.update(salt=base64.b64encode(bytes(16)).decode()))
    with pytest.raises(ServerIntegrityError, match="a different Argon2id salt than the one pinned at setup"):
        session.login(PASSWORD, None)
    a.close()


# 3. Missing or damaged key slots


def _drop_password_slot(document):
    document["key_slots"] = document["key_slots"][1:]


def _damage_wrapped_key(document):
    blob = bytearray(base64.b64decode(document["key_slots"][0]))
    blob[-1] ^= 0x01
    document["key_slots"][0] = base64.b64encode(bytes(blob)).decode()


def _truncate_slot(document):
    document["key_slots"][0] = base64.b64encode(base64.b64decode(document["key_slots"][0])[:40]).decode()


@pytest.mark.parametrize(
    ("change", "phrase"),
    [
        (_drop_password_slot, "expected one of each"),
        (lambda document: document.update(key_slots=[]), "expected one of each"),
        (_damage_wrapped_key, "does not open with the password that logged in"),
        (_truncate_slot, "damaged key slot"),
    ],
    ids=["missing_password_slot", "no_slots", "damaged_wrapped_key", "truncated_slot"],
)
def test_bad_key_slots_rejected(devices, change, phrase):
    a, _ = devices.first("a")
    devices.tap.exchanges.clear()
    devices.tap.rewrite = _on("/v1/keyslots", change)

    with pytest.raises(ServerIntegrityError, match=phrase):
        _clone(devices)

    assert not (devices.tmp_path / "b.qvault").exists()
    assert not sidecar_path(devices.tmp_path / "b.qvault").exists()
    # No new key material went anywhere: nothing after fetching the slots.
    assert devices.tap.paths() == ["/v1/prelogin", "/v1/login", "/v1/keyslots"]
    a.close()


# 4. Ciphertexts moved between entries or fields


def _swap(first_key, second_key, same_row):
    def change(document):
        rows = document["entries"]
        first, second = (rows[0], rows[0]) if same_row else (rows[0], rows[1])
        first[first_key], second[second_key] = second[second_key], first[first_key]

    return change


@pytest.mark.parametrize(
    "change",
    [
        _swap("meta_ct", "meta_ct", same_row=False),
        _swap("secret_ct", "secret_ct", same_row=False),
        _swap("meta_nonce", "secret_nonce", same_row=True),
        _swap("meta_ct", "secret_ct", same_row=True),
    ],
    ids=["metadata_between_entries", "secret_between_entries", "nonces_between_fields", "metadata_into_secret"],
)
def test_swapped_ciphertext_detected(devices, change):
    a, session_a = devices.first("a", entries=0)
    b, session_b = _clone(devices)[0:2]
    # Equal-length plaintexts, so a swap is not caught by a length check alone.
    for number in range(2):
        a.add_entry({"type": "note", "title": f"n{number}"}, {"notes": f"s{number}"})
    session_a.sync()
    before = contents(b)
    devices.tap.rewrite = _on("/v1/changes", change)

    with pytest.raises(ServerIntegrityError, match="damaged or tampered"):
        session_b.sync()

    devices.tap.rewrite = None
    assert contents(b) == before
    a.close()
    b.close()


def test_row_moved_to_other_revision_detected(devices):
    a, session_a = devices.first("a", entries=1)
    b, session_b = _clone(devices)[0:2]
    entry = a.entries()[0]
    a.update_entry(entry.id, entry.revision, entry.metadata, {"password": "new"})
    session_a.sync()
    devices.tap.rewrite = _on("/v1/changes", lambda document: document["entries"][0].update(revision=9))

    with pytest.raises(ServerIntegrityError, match="damaged or tampered"):
        session_b.sync()
    a.close()
    b.close()


# 5. Rollback, replay and omission


def test_rolled_back_state_detected(devices):
    a, session_a = devices.first("a", entries=1)
    b, session_b = _clone(devices)[0:2]
    devices.tap.exchanges.clear()
    old_response = {}

    def remember_old(path, status, document):
        if path == "/v1/changes" and not old_response:
            old_response.update(copy.deepcopy(document))
        return status, document

    devices.tap.rewrite = remember_old
    session_b.sync()
    for number in range(2):
        a.add_entry({"type": "note", "title": f"later {number}"}, {"notes": "x"})
        session_a.sync()
    session_b.sync()
    before = contents(b)

    # The server now returns the state b saw two pushes ago.
    devices.tap.rewrite = lambda path, status, document: (status, copy.deepcopy(old_response)) if path == "/v1/changes" else (status, document)
    with pytest.raises(ServerIntegrityError, match="returned an older state than this device saw before"):
        session_b.sync()
    assert contents(b) == before
    a.close()
    b.close()


def test_dropped_entry_detected(devices):
    a, session_a = devices.first("a", entries=0)
    b, session_b = _clone(devices)[0:2]
    for number in range(3):
        a.add_entry({"type": "note", "title": f"n{number}"}, {"notes": "x"})
    session_a.sync()
    devices.tap.rewrite = _on("/v1/changes", lambda document: document["entries"].pop(1))

    with pytest.raises(ServerIntegrityError, match="an entry was dropped, replayed or rolled back"):
        session_b.sync()
    assert contents(b) == {}
    a.close()
    b.close()


def test_dropped_entry_detected_on_clone(devices):
    a, _ = devices.first("a", entries=3)
    devices.tap.rewrite = _on("/v1/changes", lambda document: document["entries"].pop(0))
    with pytest.raises(ServerIntegrityError, match="an entry was dropped"):
        _clone(devices)
    assert not (devices.tmp_path / "b.qvault").exists()
    a.close()


def test_replayed_old_row_detected(devices):
    a, session_a = devices.first("a", entries=1)
    b, session_b = _clone(devices)[0:2]
    entry = a.entries()[0]
    old_rows = []

    def remember(path, status, document):
        if path == "/v1/changes" and document["entries"] and not old_rows:
            old_rows.append(copy.deepcopy(document["entries"][0]))
        return status, document

    a.update_entry(entry.id, entry.revision, entry.metadata, {"password": "v2"})
    session_a.sync()
    devices.tap.rewrite = remember
    session_b.sync()
    devices.tap.rewrite = None
    for version in ("v3", "v4"):
        entry = a.entry(entry.id)
        a.update_entry(entry.id, entry.revision, entry.metadata, {"password": version})
        session_a.sync()
        if version == "v3":
            session_b.sync()

    def replay(document):
        fresh = document["entries"][0]
        document["entries"][0] = dict(old_rows[0], server_revision=fresh["server_revision"])

    devices.tap.rewrite = _on("/v1/changes", replay)
    with pytest.raises(ServerIntegrityError, match="older than revision"):
        session_b.sync()
    assert b.get_secret(entry.id) == {"password": "v3"}
    a.close()
    b.close()


def test_missing_manifest_detected(devices):
    a, session_a = devices.first("a", entries=1)
    devices.tap.rewrite = _on("/v1/changes", lambda document: document.update(manifest=None))
    with pytest.raises(ServerIntegrityError, match="no manifest"):
        session_a.sync()
    a.close()


def test_forged_manifest_detected(devices):
    a, session_a = devices.first("a", entries=1)

    def forge(document):
        blob = bytearray(base64.b64decode(document["manifest"]))
        blob[7] += 5
        document["manifest"] = base64.b64encode(bytes(blob)).decode()

    devices.tap.rewrite = _on("/v1/changes", forge)
    with pytest.raises(ServerIntegrityError, match="manifest failed verification"):
        session_a.sync()
    a.close()


# 6. Nothing that decrypts crosses the wire


def _forms(secret: bytes) -> list[bytes]:
    """The byte forms a secret could take in a JSON body."""
    return [
        secret,
        secret.hex().encode(),
        base64.b64encode(secret),
        base64.b64encode(secret).rstrip(b"="),
        base64.urlsafe_b64encode(secret).rstrip(b"="),
    ]


def test_traffic_holds_no_plaintext_or_key(devices):
    a, session_a = devices.first("a", entries=0)
    plaintexts = ["hunter2-Пароль-🔑", "ana.secret.user", "Treasury Wallet", "abandon ability able about above absent"]
    a.add_entry({"type": "login", "title": plaintexts[2], "username": plaintexts[1]}, {"password": plaintexts[0]})
    a.add_entry({"type": "note", "title": "seed"}, {"notes": plaintexts[3]})
    session_a.sync()
    b, session_b = _clone(devices)[0:2]
    edited = b.entries()[0]
    b.update_entry(edited.id, edited.revision, edited.metadata, {"password": "second-secret-Ω"})
    session_b.sync()
    session_a.sync()
    session_a.login(PASSWORD, None)

    secrets_to_find = [PASSWORD.encode(), a._vault_key, b._vault_key, "second-secret-Ω".encode()]
    secrets_to_find += [text.encode() for text in plaintexts]
    for derived in (a._keys.metadata, a._keys.secret, a._keys.manifest):
        secrets_to_find.append(derived)
    traffic = [body for _, request, response in devices.tap.exchanges for body in (request, response)]
    assert len(traffic) > 20
    everything = b"\n".join(traffic)
    for secret in secrets_to_find:
        for form in _forms(secret):
            assert form not in everything
    # JSON escapes non-ASCII text; look for the escaped forms too.
    for text in plaintexts + ["second-secret-Ω"]:
        escaped = json.dumps(text)[1:-1].encode()
        assert escaped not in everything
    a.close()
    b.close()
