"""pass store importer, on a store encrypted at test time with a throwaway GnuPG key."""

import shutil
import subprocess

import pytest
from conftest import skip_or_fail

from qvault import importers
from qvault.importers import detect, engine
from qvault.importers.records import ReadOptions, SourceError

RECIPIENT = "qvault-test@example.invalid"
FILES = {
    "Email/github.com": "gh-pässword\nlogin: ana\nurl: https://github.com/login\notpauth://totp/GitHub:ana?secret=JBSWY3DPEHPK3PXP&issuer=GitHub\nRecovery codes:\n1234-5678\n",
    "Banking/My Bank 🏦": "  spaced pw  \nusername: ana.b\nsome note, with comma\n",
    "router": "admin\n",
    "Shopping/shop.example.com": "sh0p\n",
    "Broken/bad-totp": "pw\notpauth://totp/x?secret=***\n",
}


@pytest.fixture(scope="module")
def gnupg_home(tmp_path_factory):
    """A GNUPGHOME with one passphrase-less key; its agent is stopped at the end."""
    if shutil.which("gpg") is None:
        skip_or_fail("gpg is not installed (Debian: apt-get install gnupg)")
    home = tmp_path_factory.mktemp("gnupg")
    home.chmod(0o700)
    environment = {"GNUPGHOME": str(home), "PATH": "/usr/bin:/bin"}
    subprocess.run(
        ["gpg", "--batch", "--passphrase", "", "--quick-generate-key", RECIPIENT, "future-default", "default", "never"],
        env=environment, check=True, capture_output=True,
    )
    yield home
    subprocess.run(["gpgconf", "--kill", "gpg-agent"], env=environment, check=False, capture_output=True)


@pytest.fixture()
def store(gnupg_home, tmp_path, monkeypatch):
    monkeypatch.setenv("GNUPGHOME", str(gnupg_home))
    root = tmp_path / "password-store"
    root.mkdir()
    (root / ".gpg-id").write_text(RECIPIENT + "\n")
    (root / ".git").mkdir()
    (root / ".git" / "ignored.gpg").write_bytes(b"not encrypted")
    for name, text in FILES.items():
        target = root / f"{name}.gpg"
        target.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["gpg", "--batch", "--yes", "--trust-model", "always", "--recipient", RECIPIENT, "--encrypt", "--output", str(target)],
            input=text.encode("utf-8"), check=True, capture_output=True,
        )
    (root / "Broken" / "garbage.gpg").write_bytes(b"\x85not really gpg")
    return root


def read(root):
    parsed = importers.read_source("pass", root, ReadOptions())
    planned, report = engine.plan(parsed, [])
    return {item.metadata["title"]: item for item in planned}, report


def test_pass_login_lines(store):
    entries, _ = read(store)
    github = entries["Email/github.com"]
    assert github.secret["password"] == "gh-pässword"
    assert github.metadata["username"] == "ana"
    assert github.metadata["urls"] == ["https://github.com/login"]
    assert "issuer=GitHub" in github.secret["totp"]
    assert github.secret["notes"] == "Recovery codes:\n1234-5678"


def test_pass_spaces_and_notes(store):
    entries, _ = read(store)
    bank = entries["Banking/My Bank 🏦"]
    assert bank.secret["password"] == "  spaced pw  "
    assert bank.metadata["username"] == "ana.b"
    assert bank.secret["notes"] == "some note, with comma"
    assert "urls" not in bank.metadata


def test_pass_domain_title_url(store):
    entries, _ = read(store)
    assert entries["router"].secret == {"password": "admin"}
    assert "urls" not in entries["router"].metadata
    assert entries["Shopping/shop.example.com"].metadata["urls"] == ["https://shop.example.com"]


def test_pass_problems(store):
    entries, report = read(store)
    assert sorted(entries) == ["Banking/My Bank 🏦", "Email/github.com", "Shopping/shop.example.com", "router"]
    locations = [problem.location for problem in report.problems]
    assert locations == ["Broken/bad-totp", "Broken/garbage"]
    assert "not Base32" in report.problems[0].reason
    assert "gpg --decrypt failed" in report.problems[1].reason


def test_pass_detected(store):
    assert detect.detect(store) == "pass"


def test_pass_needs_marker(tmp_path):
    with pytest.raises(SourceError, match="no .gpg-id"):
        importers.read_source("pass", tmp_path, ReadOptions())
