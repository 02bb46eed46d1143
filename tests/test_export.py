"""`qvault export`: plaintext safeguards, file modes, and round trips through import."""

import json
import os
import stat

import pytest
from import_helpers import new_vault, open_entries, run
from vault_helpers import PASSWORD

from qvault.entries import build_entry
from qvault.exporters import ExportError, plainfile
from qvault.vault import Vault

SEED = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about"
PRIVATE_KEY = "0" * 63 + "1"
EXPORT_PASSWORD = "export pässword 🔒 long"
FLOOR_OPTIONS = ("--kdf-memory-kib", "65536", "--kdf-iterations", "3", "--kdf-parallelism", "4")
SAMPLES = [
    ("login", {
        "title": "GitHub ✨", "urls": ["https://github.com/login", "https://gist.github.com"], "username": "ana",
        "password": ' p,a"ss ', "totp": "JBSWY3DPEHPK3PXP", "notes": "line 1\nline, \"2\"", "tags": ["work", "dev"],
        "fields": [{"name": "Recovery email", "value": "ana@example.com"}],
        "hidden_fields": [{"name": "Backup PIN", "value": "4321"}],
    }),
    ("note", {"title": "Safe combination", "notes": "12-34-56 🔐", "tags": ["home"]}),
    ("card", {"title": "Visa", "cardholder": "Ana Example", "number": "4111 1111 1111 1111", "expiry": "09/27", "cvv": "123", "pin": "9876"}),
    ("identity", {
        "title": "Me", "name": "Ana María López", "email": "ana@example.com", "phone": "+1 555 0100",
        "address": "1 Main St\nSpringfield", "birth_date": "1990-01-01", "passport": "X1234567",
    }),
    ("server", {"title": "Web box", "host": "web.example.com", "port": "2222", "protocol": "ssh", "username": "root", "password": "r00t", "ssh_key": "-----BEGIN KEY-----\nabc\n-----END KEY-----"}),
    ("wallet", {"title": "Cold wallet", "seed": SEED, "coin": "BTC", "derivation_path": "m/84'/0'/0'", "addresses": ["bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"]}),
    ("key", {"title": "Paper key", "private_key": PRIVATE_KEY, "coin": "ETH"}),
]


@pytest.fixture()
def source(tmp_path):
    """A vault holding one entry of every type; returns (path, {title: (metadata, secret)})."""
    path = new_vault(tmp_path, "source.qvault")
    with Vault.open(path) as vault:
        vault.unlock(PASSWORD)
        for entry_type, fields in SAMPLES:
            vault.add_entry(*build_entry(entry_type, fields))
    return path, open_entries(path)


def export_plain(vault, target, *options):
    return run(vault, "export", "--format", "bitwarden-json", str(target), "--i-understand-this-is-plaintext", *options)


def test_plaintext_needs_flag(source, tmp_path):
    target = tmp_path / "out.json"
    result = run(source[0], "export", "--format", "bitwarden-json", str(target))
    assert result.status == 1
    assert "--i-understand-this-is-plaintext" in result.stderr
    assert not target.exists()


def test_plaintext_warns_and_mode(source, tmp_path):
    target = tmp_path / "out.json"
    result = export_plain(source[0], target)
    assert result.status == 0
    assert "PLAINTEXT" in result.stderr
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert result.stdout == ""


def test_plaintext_refuses_overwrite(source, tmp_path):
    target = tmp_path / "out.json"
    target.write_text("keep me")
    result = export_plain(source[0], target)
    assert result.status == 1
    assert "pass --force" in result.stderr
    assert target.read_text() == "keep me"


def test_plaintext_force_replaces(source, tmp_path):
    target = tmp_path / "out.json"
    target.write_text("old")
    target.chmod(0o644)
    result = export_plain(source[0], target, "--force")
    assert result.status == 0
    assert json.loads(target.read_text())["encrypted"] is False
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert [name for name in os.listdir(tmp_path) if "partial" in name] == []


def test_write_private_symlink(tmp_path):
    target = tmp_path / "link.json"
    target.symlink_to(tmp_path / "elsewhere.json")
    with pytest.raises(ExportError, match="already exists"):
        plainfile.write_private(target, b"data")
    assert not (tmp_path / "elsewhere.json").exists()


def test_crypto_secrets_left_out(source, tmp_path):
    target = tmp_path / "out.json"
    result = export_plain(source[0], target)
    text = target.read_text()
    assert SEED not in text
    assert PRIVATE_KEY not in text
    assert "left out the seed phrases and private keys of 2 entries" in result.stderr


def test_crypto_secrets_included(source, tmp_path):
    target = tmp_path / "out.json"
    export_plain(source[0], target, "--include-crypto-secrets")
    text = target.read_text()
    assert SEED in text
    assert PRIVATE_KEY in text


def test_bitwarden_json_round_trip(source, tmp_path):
    path, original = source
    target = tmp_path / "out.json"
    export_plain(path, target, "--include-crypto-secrets")
    restored = new_vault(tmp_path, "restored.qvault")
    result = run(restored, "import", "auto", str(target))
    assert result.status == 0, result.stderr
    assert "Imported 7 entries" in result.stdout
    assert open_entries(restored) == original


def test_bitwarden_json_without_crypto(source, tmp_path):
    path, original = source
    target = tmp_path / "out.json"
    export_plain(path, target)
    restored = new_vault(tmp_path, "restored.qvault")
    result = run(restored, "import", "bitwarden-json", str(target))
    assert "Imported 5 entries" in result.stdout
    assert "left out seed" in result.stdout
    assert "left out private_key" in result.stdout
    entries = open_entries(restored)
    assert entries["GitHub ✨"] == original["GitHub ✨"]
    assert "Cold wallet" not in entries


def test_csv_round_trip_logins(source, tmp_path):
    path, original = source
    target = tmp_path / "out.csv"
    result = run(path, "export", "--format", "csv", str(target), "--i-understand-this-is-plaintext")
    assert result.status == 0
    restored = new_vault(tmp_path, "restored.qvault")
    run(restored, "import", "bitwarden", str(target))
    entries = open_entries(restored)
    login_meta, login_secret = entries["GitHub ✨"]
    assert login_meta["urls"] == original["GitHub ✨"][0]["urls"]
    assert login_secret["password"] == ' p,a"ss '
    assert login_secret["totp"] == original["GitHub ✨"][1]["totp"]
    assert login_meta["tags"] == ["work"]
    assert entries["Visa"][0]["type"] == "note"
    assert "number: 4111111111111111" in entries["Visa"][1]["notes"]
    assert SEED not in target.read_text()


def test_encrypted_round_trip(source, tmp_path):
    path, original = source
    target = tmp_path / "backup.qvault"
    result = run(path, "export", "--encrypted", str(target), *FLOOR_OPTIONS, lines=(PASSWORD, EXPORT_PASSWORD))
    assert result.status == 0, result.stderr
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    restored = new_vault(tmp_path, "restored.qvault")
    imported = run(restored, "import", "auto", str(target), lines=(PASSWORD, EXPORT_PASSWORD))
    assert imported.status == 0, imported.stderr
    assert "detected format qvault" in imported.stderr
    assert open_entries(restored) == original


def test_encrypted_wrong_password(source, tmp_path):
    target = tmp_path / "backup.qvault"
    run(source[0], "export", "--encrypted", str(target), *FLOOR_OPTIONS, lines=(PASSWORD, EXPORT_PASSWORD))
    restored = new_vault(tmp_path, "restored.qvault")
    result = run(restored, "import", "qvault", str(target), lines=(PASSWORD, "wrong"))
    assert result.status == 1
    assert "wrong export password" in result.stderr
    assert "wrong master password" not in result.stderr
    assert "qvault recover" not in result.stderr
    assert open_entries(restored) == {}


def test_encrypted_wrong_master_password(source, tmp_path):
    target = tmp_path / "backup.qvault"
    run(source[0], "export", "--encrypted", str(target), *FLOOR_OPTIONS, lines=(PASSWORD, EXPORT_PASSWORD))
    restored = new_vault(tmp_path, "restored.qvault")
    result = run(restored, "import", "qvault", str(target), lines=("wrong", EXPORT_PASSWORD))
    assert result.status == 1
    assert "wrong master password" in result.stderr
    assert "export password" not in result.stderr
    assert open_entries(restored) == {}


def test_encrypted_replace(source, tmp_path):
    path, original = source
    target = tmp_path / "backup.qvault"
    run(path, "export", "--encrypted", str(target), *FLOOR_OPTIONS, lines=(PASSWORD, EXPORT_PASSWORD))
    with Vault.open(path) as vault:
        vault.unlock(PASSWORD)
        entry = next(entry for entry in vault.entries() if entry.title == "Safe combination")
        vault.update_entry(entry.id, entry.revision, *build_entry("note", {"title": "Safe combination", "notes": "changed"}))
    plain = run(path, "import", "qvault", str(target), lines=(PASSWORD, EXPORT_PASSWORD))
    assert "Skipped 7 duplicate(s)" in plain.stdout
    replaced = run(path, "import", "qvault", str(target), "--replace", lines=(PASSWORD, EXPORT_PASSWORD))
    assert "7 replacing existing entries" in replaced.stdout
    assert open_entries(path) == original


def test_encrypted_refuses_overwrite(source, tmp_path):
    target = tmp_path / "backup.qvault"
    target.write_text("keep")
    result = run(source[0], "export", "--encrypted", str(target), *FLOOR_OPTIONS, lines=(PASSWORD, EXPORT_PASSWORD))
    assert result.status == 1
    assert "pass --force" in result.stderr
    assert target.read_text() == "keep"


def test_encrypted_rejects_plaintext_flags(source, tmp_path):
    result = run(source[0], "export", "--encrypted", str(tmp_path / "b.qvault"), "--include-crypto-secrets")
    assert result.status == 1
    assert "apply to --format" in result.stderr


def test_encrypted_empty_password(source, tmp_path):
    target = tmp_path / "backup.qvault"
    result = run(source[0], "export", "--encrypted", str(target), *FLOOR_OPTIONS, lines=(PASSWORD, ""))
    assert result.status == 1
    assert "export password is empty" in result.stderr
    assert not target.exists()
