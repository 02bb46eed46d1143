"""Generate the committed vault test vectors: vault-v1*.qvault and vault-v1.json.

This is how the committed files were made. Tests never run it: they read the
committed files, so a change to the format that cannot read them fails. Run it
again only when a new format version needs new vectors, and keep the old ones:

    .venv/bin/python tests/vectors/make_vectors.py [--force]

Nonces, salts, the vault id and the vault key are random, so each run writes
different files; the JSON records what the test compares.
"""

import argparse
import json
import pathlib
import sys

from qvault.vault import Vault, format, keyslots
from qvault.vault.kdf import FLOOR

HERE = pathlib.Path(__file__).resolve().parent
PASSWORD = "Grüße, 金庫 & co: correct horse"
SECRET_KEY = bytes(range(1, 21))
START_MS = 1_700_000_000_000

LOGIN_ID = "6f1c2a9e-3b4d-4e5f-8a6b-7c8d9e0f1a2b"
NOTE_ID = "0a1b2c3d-4e5f-4a6b-9c8d-1e2f3a4b5c6d"
TOMBSTONE_ID = "ffffffff-0000-4000-8000-000000000001"

LOGIN_METADATA = {
    "type": "login",
    "title": "Bänk 銀行 — Ünïcødé 🔐",
    "urls": ["https://bank.example/login", "https://xn--bnk-qla.example"],
    "username": "ana@example.com",
    "tags": ["finance", "2fa"],
}
LOGIN_SECRET = {"password": "s3cret pässwörd ✓", "totp": "JBSWY3DPEHPK3PXP", "notes": ""}
NOTE_METADATA = {"type": "note", "title": "Recovery sheet location"}
NOTE_SECRET = {"notes": "Top drawer.\nSecond line with a tab\tand a quote \" mark."}


def make_clock():
    ticks = iter(range(10_000))
    return lambda: (START_MS + next(ticks)) / 1000


def build(path: pathlib.Path, secret_key: bytes | None) -> dict:
    vault, recovery_code = Vault.create(path, PASSWORD, params=FLOOR, secret_key=secret_key, clock=make_clock())
    with vault.batch() as batch:
        batch.put(LOGIN_ID, None, {**LOGIN_METADATA, "title": "draft"}, {"password": "draft"})
        batch.put(NOTE_ID, None, NOTE_METADATA, NOTE_SECRET)
        batch.put(TOMBSTONE_ID, None, {"type": "login", "title": "Deleted site"}, {"password": "gone"})
    vault.update_entry(LOGIN_ID, 1, LOGIN_METADATA, LOGIN_SECRET)
    vault.delete_entry(TOMBSTONE_ID, 1)
    description = {
        "file": path.name,
        "password": PASSWORD,
        "secret_key_hex": secret_key.hex() if secret_key else None,
        "recovery_code": keyslots.encode_code(recovery_code),
        "vault_id_hex": vault.vault_id.hex(),
        "vault_key_hex": vault._vault_key.hex(),
        "kdf": {"memory_kib": FLOOR.memory_kib, "iterations": FLOOR.iterations, "parallelism": FLOOR.parallelism},
        "counter": vault.counter,
        "entries": [
            {"id": LOGIN_ID, "revision": 2, "deleted": False, "metadata": LOGIN_METADATA, "secret": LOGIN_SECRET},
            {"id": NOTE_ID, "revision": 1, "deleted": False, "metadata": NOTE_METADATA, "secret": NOTE_SECRET},
            {"id": TOMBSTONE_ID, "revision": 2, "deleted": True},
        ],
    }
    vault.close()
    return description


def encoding_samples() -> dict:
    """Byte encodings for fixed inputs, so an encoding change fails before any crypto."""
    vault_id = bytes(range(16))
    return {
        "vault_id_hex": vault_id.hex(),
        "slot_associated_data_hex": format.slot_associated_data(vault_id, 1, 65536, 3, 4, 1, bytes([0xAA] * 16)).hex(),
        "entry_associated_data_hex": format.entry_associated_data(vault_id, LOGIN_ID, 2, format.PART_SECRET).hex(),
        "leaf_input_hex": format.leaf_input(LOGIN_ID, 2, START_MS, False, bytes([0x11] * 32), bytes([0x22] * 32)).hex(),
        "manifest_input_hex": format.manifest_input(vault_id, 7, bytes([0x33] * 32)).hex(),
        "plaintext_hex": format.encode_plaintext({"b": [1, 2.5, None, True], "a": "é"}).hex(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="overwrite existing vector files")
    arguments = parser.parse_args()
    targets = [HERE / "vault-v1.qvault", HERE / "vault-v1-secret-key.qvault", HERE / "vault-v1.json"]
    existing = [path.name for path in targets if path.exists()]
    if existing and not arguments.force:
        print(f"refusing to overwrite {', '.join(existing)}; pass --force to regenerate", file=sys.stderr)
        return 1
    for path in targets[:2]:
        path.unlink(missing_ok=True)
    document = {
        "format_version": format.FORMAT_VERSION,
        "schema_version": format.SCHEMA_VERSION,
        "vaults": [build(targets[0], None), build(targets[1], SECRET_KEY)],
        "encodings": encoding_samples(),
    }
    targets[2].write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {', '.join(path.name for path in targets)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
