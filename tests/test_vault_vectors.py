"""The committed format-1 vaults still open and decrypt to the recorded contents.

tests/vectors/make_vectors.py made the files once; these tests only read copies.
A second, independent reader at the end rebuilds every key, associated data and
MAC input by hand from docs/vault-format.md, with the primitives alone, so the
specification and the code cannot drift apart unnoticed.
"""

import hashlib
import hmac
import json
import pathlib
import shutil
import sqlite3
import struct
import uuid

import pytest
from argon2.low_level import Type, hash_secret_raw
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from nacl import bindings

from qvault.errors import WrongPassword
from qvault.vault import Vault, format, keyslots

VECTORS = pathlib.Path(__file__).parent / "vectors"
DOCUMENT = json.loads((VECTORS / "vault-v1.json").read_text(encoding="utf-8"))
VAULTS = DOCUMENT["vaults"]


@pytest.fixture(params=VAULTS, ids=[vector["file"] for vector in VAULTS])
def vector(request, tmp_path):
    """A vector description with 'path' set to a private copy of its vault file."""
    copy = tmp_path / request.param["file"]
    shutil.copyfile(VECTORS / request.param["file"], copy)
    return {**request.param, "path": copy}


def secret_key_of(vector):
    return bytes.fromhex(vector["secret_key_hex"]) if vector["secret_key_hex"] else None


def test_versions_recorded():
    assert DOCUMENT["format_version"] == format.FORMAT_VERSION
    assert DOCUMENT["schema_version"] == format.SCHEMA_VERSION


def test_vector_contents(vector):
    vault = Vault.open(vector["path"])
    assert vault.vault_id.hex() == vector["vault_id_hex"]
    assert vault.needs_secret_key == (vector["secret_key_hex"] is not None)
    vault.unlock(vector["password"], secret_key_of(vector))

    live = [item for item in vector["entries"] if not item["deleted"]]
    assert sorted(entry.id for entry in vault.entries()) == sorted(item["id"] for item in live)
    for item in live:
        entry = vault.entry(item["id"])
        assert entry.revision == item["revision"]
        assert entry.metadata == item["metadata"]
        assert vault.get_secret(item["id"]) == item["secret"]
    assert vault.counter == vector["counter"]
    vault.close()


def test_vector_tombstone_kept(vector):
    connection = sqlite3.connect(vector["path"])
    rows = dict(connection.execute("SELECT id, deleted FROM entries").fetchall())
    connection.close()
    for item in vector["entries"]:
        assert rows[item["id"]] == int(item["deleted"])


def test_vector_recovery_code(vector):
    vault = Vault.open(vector["path"])
    code = keyslots.decode_code(vector["recovery_code"], keyslots.RECOVERY_CODE_BYTES, "recovery code")
    vault.unlock_with_recovery_code(code)
    assert len(vault.entries()) == 2


def test_vector_wrong_password(vector):
    vault = Vault.open(vector["path"])
    with pytest.raises(WrongPassword, match="wrong master password"):
        vault.unlock(vector["password"] + "x", secret_key_of(vector))


def test_vector_still_writable(vector):
    vault = Vault.open(vector["path"])
    vault.unlock(vector["password"], secret_key_of(vector))
    login = vector["entries"][0]
    vault.update_entry(login["id"], login["revision"], login["metadata"], {"password": "changed"})
    vault.close()
    reopened = Vault.open(vector["path"])
    reopened.unlock(vector["password"], secret_key_of(vector))
    assert reopened.get_secret(login["id"]) == {"password": "changed"}


@pytest.mark.parametrize(
    ("name", "encode"),
    [
        ("slot_associated_data_hex", lambda vid: format.slot_associated_data(vid, 1, 65536, 3, 4, 1, bytes([0xAA] * 16))),
        ("entry_associated_data_hex", lambda vid: format.entry_associated_data(vid, VAULTS[0]["entries"][0]["id"], 2, 2)),
        ("leaf_input_hex", lambda vid: format.leaf_input(VAULTS[0]["entries"][0]["id"], 2, 1_700_000_000_000, False, bytes([0x11] * 32), bytes([0x22] * 32))),
        ("manifest_input_hex", lambda vid: format.manifest_input(vid, 7, bytes([0x33] * 32))),
        ("plaintext_hex", lambda vid: format.encode_plaintext({"b": [1, 2.5, None, True], "a": "é"})),
    ],
)
def test_encoding_samples(name, encode):
    samples = DOCUMENT["encodings"]
    assert encode(bytes.fromhex(samples["vault_id_hex"])).hex() == samples[name]


# An independent reader, written from docs/vault-format.md with the primitives only.


def hkdf(material, salt, info):
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(material)


def open_aead(key, nonce, ciphertext, associated):
    return bindings.crypto_aead_xchacha20poly1305_ietf_decrypt(ciphertext, associated, nonce, key)


def slot_ad(vault_id, kind, memory, iterations, parallelism, flags, salt):
    return b"QVAULT-SLOT\x00" + struct.pack(">H", 1) + vault_id + struct.pack(">BIIIB", kind, memory, iterations, parallelism, flags) + salt


def test_independent_reader(vector):
    db = sqlite3.connect(vector["path"])
    assert db.execute("PRAGMA application_id").fetchone() == (0x51564C54,)
    assert db.execute("PRAGMA user_version").fetchone() == (1,)
    (version, vault_id) = db.execute("SELECT format_version, vault_id FROM vault").fetchone()
    assert version == 1

    # Password slot: Argon2id, then HKDF over the output and the optional secret key.
    slots = {row[0]: row[1:] for row in db.execute("SELECT kind, memory_kib, iterations, parallelism, flags, salt, nonce, wrapped_key FROM key_slots")}
    memory, iterations, parallelism, flags, salt, nonce, wrapped = slots[1]
    stretched = hash_secret_raw(
        secret=vector["password"].encode("utf-8"), salt=salt, time_cost=iterations, memory_cost=memory,
        parallelism=parallelism, hash_len=32, type=Type.ID, version=0x13,
    )
    secret_key = secret_key_of(vector) or b""
    assert flags == (1 if secret_key else 0)
    kek = hkdf(stretched + secret_key, vault_id, b"qvault v1 password kek")
    vault_key = open_aead(kek, nonce, wrapped, slot_ad(vault_id, 1, memory, iterations, parallelism, flags, salt))
    assert vault_key.hex() == vector["vault_key_hex"]

    # Recovery slot: HKDF over the code's 20 bytes followed by the slot salt.
    _, _, _, _, salt, nonce, wrapped = slots[2]
    code = keyslots.decode_code(vector["recovery_code"], 20, "recovery code")
    kek = hkdf(code + salt, vault_id, b"qvault v1 recovery kek")
    assert open_aead(kek, nonce, wrapped, slot_ad(vault_id, 2, 0, 0, 0, 0, salt)) == vault_key

    metadata_key = hkdf(vault_key, vault_id, b"qvault v1 entry metadata")
    secret_key_part = hkdf(vault_key, vault_id, b"qvault v1 entry secret")
    manifest_key = hkdf(vault_key, vault_id, b"qvault v1 manifest")

    accumulator = 0
    expected = {item["id"]: item for item in vector["entries"]}
    rows = db.execute("SELECT id, revision, updated_at, deleted, meta_nonce, meta_ct, secret_nonce, secret_ct, secret_hash FROM entries")
    for entry_id, revision, updated_at, deleted, meta_nonce, meta_ct, secret_nonce, secret_ct, secret_hash in rows:
        id_bytes = uuid.UUID(entry_id).bytes
        assert secret_hash == hashlib.sha256(secret_nonce + secret_ct).digest()
        leaf = b"QVAULT-LEAF\x00" + id_bytes + struct.pack(">QQB", revision, updated_at, deleted)
        leaf += hashlib.sha256(meta_nonce + meta_ct).digest() + secret_hash
        accumulator ^= int.from_bytes(hmac.digest(manifest_key, leaf, "sha256"), "big")
        assert revision == expected[entry_id]["revision"]
        if deleted:
            assert (meta_nonce, meta_ct, secret_nonce, secret_ct) == (b"", b"", b"", b"")
            continue
        for key, nonce, ciphertext, part, name in (
            (metadata_key, meta_nonce, meta_ct, 1, "metadata"),
            (secret_key_part, secret_nonce, secret_ct, 2, "secret"),
        ):
            associated = b"QVAULT-ENTRY\x00" + struct.pack(">H", 1) + vault_id + id_bytes + struct.pack(">QB", revision, part)
            plaintext = open_aead(key, nonce, ciphertext, associated)
            assert len(plaintext) % 64 == 0
            assert json.loads(plaintext.decode("utf-8")) == expected[entry_id][name]

    counter, stored_accumulator, tag = db.execute("SELECT counter, accumulator, tag FROM manifest").fetchone()
    db.close()
    assert counter == vector["counter"]
    assert stored_accumulator == accumulator.to_bytes(32, "big")
    manifest = b"QVAULT-MANIFEST\x00" + struct.pack(">H", 1) + vault_id + struct.pack(">Q", counter) + stored_accumulator
    assert tag == hmac.digest(manifest_key, manifest, "sha256")
