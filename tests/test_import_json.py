"""Bitwarden JSON and 1Password 1PUX importers."""

import json
import zipfile

import pytest
from import_helpers import DATA

from qvault import importers
from qvault.importers import detect, engine
from qvault.importers.records import ReadOptions, SourceError


def plan(format_name: str, path):
    parsed = importers.read_source(format_name, path, ReadOptions())
    planned, report = engine.plan(parsed, [])
    return {item.metadata["title"]: item for item in planned}, report, parsed


def make_1pux(folder, document=None):
    path = folder / "export.1pux"
    with zipfile.ZipFile(path, "w") as archive:
        if document is None:
            archive.write(DATA / "onepux-export.data.json", "export.data")
        else:
            archive.writestr("export.data", json.dumps(document))
        archive.writestr("export.attributes", '{"version": 3}')
    return path


def test_bitwarden_login():
    entries, _, _ = plan("bitwarden-json", DATA / "bitwarden.json")
    login = entries["GitHub ✨"]
    assert login.metadata["urls"] == ["https://github.com/login", "https://gist.github.com"]
    assert login.metadata["fields"] == [{"name": "Recovery email", "value": "ana@example.com"}, {"name": "Is work", "value": "true"}]
    assert login.secret["hidden_fields"] == [{"name": "Backup PIN", "value": "4321"}]
    assert login.secret["password"] == "gh p@ss "
    assert login.secret["notes"] == 'Line one\nLine "two", with comma'
    assert "issuer=GitHub" in login.secret["totp"]


def test_bitwarden_card_identity():
    entries, _, _ = plan("bitwarden-json", DATA / "bitwarden.json")
    card = entries["Visa"]
    assert card.metadata["tags"] == ["finance"]
    assert card.secret == {"number": "4111111111111111", "expiry": "09/2027", "cvv": "123"}
    identity = entries["Me"]
    assert identity.metadata["name"] == "Ana María López"
    assert identity.secret["address"] == "1 Main St\nSpringfield\nIL\n62701\nUS"
    assert identity.secret["national_id"] == "123-45-6789"
    assert "Company: Example Corp" in identity.secret["notes"]


def test_bitwarden_ssh_key():
    entries, _, _ = plan("bitwarden-json", DATA / "bitwarden.json")
    server = entries["Deploy key"]
    assert server.metadata["type"] == "server"
    assert server.secret["ssh_key"].startswith("-----BEGIN OPENSSH PRIVATE KEY-----\n")
    assert "Public key: ssh-ed25519" in server.secret["notes"]


def test_bitwarden_problems():
    _, report, _ = plan("bitwarden-json", DATA / "bitwarden.json")
    assert [problem.location for problem in report.problems] == ["item 6 (Mistyped card)", "item 7 (Future type)"]
    assert "Luhn" in report.problems[0].reason
    assert "item type 9 is not supported" in report.problems[1].reason


def test_bitwarden_encrypted_rejected(tmp_path):
    path = tmp_path / "enc.json"
    path.write_text(json.dumps({"encrypted": True, "encKeyValidation_DO_NOT_EDIT": "x", "items": []}))
    with pytest.raises(SourceError, match="encrypted Bitwarden export"):
        plan("bitwarden-json", path)


def test_bitwarden_invalid_json(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{"items": [')
    with pytest.raises(SourceError, match="not a JSON file"):
        plan("bitwarden-json", path)


def test_bitwarden_omitted_secrets(tmp_path):
    item = {
        "type": 2,
        "name": "Cold wallet",
        "secureNote": {"type": 0},
        "fields": [
            {"name": "qvault.type", "value": "wallet", "type": 0},
            {"name": "qvault.omitted", "value": "seed", "type": 0},
        ],
    }
    path = tmp_path / "omitted.json"
    path.write_text(json.dumps({"encrypted": False, "items": [item]}))
    entries, report, _ = plan("bitwarden-json", path)
    assert entries == {}
    assert "left out seed" in report.problems[0].reason


def test_1pux_login(tmp_path):
    entries, _, _ = plan("1pux", make_1pux(tmp_path))
    login = entries["Example"]
    assert login.metadata["urls"] == ["https://example.com/", "https://app.example.com/"]
    assert login.metadata["username"] == "ana@example.com"
    assert login.metadata["tags"] == ["work"]
    assert login.secret["password"] == "1p-pass"
    assert login.secret["hidden_fields"] == [{"name": "security answer", "value": "blue"}]
    assert "issuer=Example" in login.secret["totp"]
    assert login.secret["notes"] == "Main account 🔑"


def test_1pux_card_identity(tmp_path):
    entries, _, _ = plan("1pux", make_1pux(tmp_path))
    card = entries["Parents' card"]
    assert card.secret["number"] == "6011111111111117"
    assert card.secret["expiry"] == "12/2099"
    assert card.secret["pin"] == "1234"
    assert "credit limit: $1312" in card.secret["notes"]
    identity = entries["Ana Example"]
    assert identity.metadata["name"] == "Ana Example"
    assert identity.secret["birth_date"] == "1990-01-01"
    assert identity.secret["phone"] == "+1 555 0100"
    assert identity.secret["address"].startswith("1 Main St\nSpringfield")


def test_1pux_other_categories(tmp_path):
    entries, report, parsed = plan("1pux", make_1pux(tmp_path))
    assert entries["Gym locker"].metadata["tags"] == ["archived"]
    assert "account number: 12345678" in entries["Checking account"].secret["notes"]
    assert "Deleted login" not in entries
    assert "left out 1 trashed item(s)" in parsed.notices
    assert [problem.location for problem in report.problems] == ["item 5 (Passport scan)"]


def test_1pux_missing_data(tmp_path):
    path = tmp_path / "other.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(SourceError, match="no export.data"):
        plan("1pux", path)
    with pytest.raises(SourceError, match="without export.data"):
        detect.detect(path)


def test_1pux_detected(tmp_path):
    assert detect.detect(make_1pux(tmp_path)) == "1pux"


def test_1pux_not_zip(tmp_path):
    with pytest.raises(SourceError, match="not a readable zip"):
        plan("1pux", DATA / "chrome.csv")
