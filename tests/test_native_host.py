"""The native host as a subprocess speaking real frames: every verb and error code."""

import json
import math
import signal
import struct
import time

import pytest

from hostproc import CHROMIUM_CALLER, HostProcess, error_name
from qvault import extension_ids
from qvault.vault import Vault
from qvault.vault.kdf import FLOOR

PASSWORD = "correct horse battery staple"
SECRET = "Tr0ub4dor&3-unique-secret"


@pytest.fixture
def vault_path(tmp_path):
    path = tmp_path / "vault.qvault"
    vault, _ = Vault.create(path, PASSWORD, params=FLOOR)
    vault.add_entry(
        {"type": "login", "title": "Example", "urls": ["https://a.example/login"], "username": "alice"},
        {"password": SECRET, "notes": "note"},
    )
    vault.add_entry(
        {"type": "login", "title": "With TOTP", "urls": ["https://otp.example/"], "username": "otp"},
        {"password": "x", "totp": "otpauth://totp/Example:otp?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&algorithm=SHA1&digits=8&period=30"},
    )
    vault.add_entry(
        {"type": "login", "title": "Example mail", "urls": ["https://mail.a.example/"], "username": "alice.mail"},
        {"password": "mail-secret"},
    )
    vault.add_entry(
        {"type": "login", "title": "Bücher", "urls": ["https://bücher.example/"], "username": "björk"},
        {"password": "unicode-secret"},
    )
    vault.add_entry(
        {"type": "wallet", "title": "Cold wallet", "urls": ["https://a.example/"], "addresses": ["bc1qexampleaddress"], "coin": "BTC"},
        {"mnemonic": "abandon " * 11 + "about"},
    )
    vault.close()
    return path


@pytest.fixture
def host(tmp_path, vault_path):
    process = HostProcess(tmp_path, vault_path, password=PASSWORD)
    yield process
    process.close()


def unlocked(host):
    reply = host.request("unlock")
    assert reply["ok"], reply
    return host


def entry_id(host, title):
    reply = host.request("search", query=title)
    return next(entry["id"] for entry in reply["entries"] if entry["title"] == title)


def test_hello_reports_locked(host):
    reply = host.request("hello", protocol=1)
    assert reply["ok"] is True
    assert reply["protocol"] == 1
    assert reply["state"] == "locked"
    assert reply["host_version"]


def test_hello_no_vault(tmp_path):
    process = HostProcess(tmp_path, tmp_path / "missing.qvault")
    try:
        assert process.request("hello", protocol=1)["state"] == "no_vault"
        assert error_name(process.request("unlock")) == "NO_VAULT"
        assert error_name(process.request("match", url="https://a.example/")) == "NO_VAULT"
    finally:
        process.close()


def test_hello_other_protocol(host):
    reply = host.request("hello", protocol=2)
    assert error_name(reply) == "UNSUPPORTED_PROTOCOL"
    assert "protocol 1" in reply["error"]["message"]


def test_unlock_then_status(host):
    unlocked(host)
    status = host.request("status")
    assert status["state"] == "unlocked"
    assert status["entries"] == 5
    assert status["idle_lock_seconds"] == 600
    assert "GETPIN" in host.pinentry_log.read_text()


def test_unlock_twice_is_noop(host):
    unlocked(host)
    before = host.pinentry_log.read_text().count("GETPIN")
    assert host.request("unlock")["state"] == "unlocked"
    assert host.pinentry_log.read_text().count("GETPIN") == before


def test_unlock_wrong_password_three_times(tmp_path, vault_path):
    process = HostProcess(tmp_path, vault_path, password="wrong")
    try:
        reply = process.request("unlock")
        assert error_name(reply) == "WRONG_PASSWORD"
        log = process.pinentry_log.read_text()
        assert log.count("GETPIN") == 3
        assert "SETERROR" in log
        assert process.request("status")["state"] == "locked"
    finally:
        process.close()


def test_unlock_cancelled(tmp_path, vault_path):
    process = HostProcess(tmp_path, vault_path, cancel=True)
    try:
        reply = process.request("unlock")
        assert error_name(reply) == "CANCELLED"
        assert "cancelled" in reply["error"]["message"]
    finally:
        process.close()


def test_unlock_prompt_unavailable(tmp_path, vault_path):
    process = HostProcess(tmp_path, vault_path, env={"QVAULT_PINENTRY": str(tmp_path / "no-such-pinentry")})
    try:
        reply = process.request("unlock")
        assert error_name(reply) == "PROMPT_UNAVAILABLE"
        assert "no-such-pinentry" in reply["error"]["message"]
    finally:
        process.close()


def test_unlock_corrupt_vault(tmp_path):
    path = tmp_path / "broken.qvault"
    path.write_bytes(b"this is not a vault" * 100)
    process = HostProcess(tmp_path, path, password=PASSWORD)
    try:
        reply = process.request("unlock")
        assert error_name(reply) == "VAULT_ERROR"
        assert "not a Qvault vault" in reply["error"]["message"]
    finally:
        process.close()


def test_lock_drops_access(host):
    unlocked(host)
    assert host.request("lock")["state"] == "locked"
    assert error_name(host.request("match", url="https://a.example/")) == "LOCKED"
    assert error_name(host.request("get_login", entry_id="00000000-0000-4000-8000-000000000000", url="https://a.example/")) == "LOCKED"


def test_match_exact_before_site(host):
    unlocked(host)
    reply = host.request("match", url="https://a.example/login?next=/")
    titles = [(entry["title"], entry["match"]) for entry in reply["entries"]]
    assert titles[0] == ("Example", "exact")
    assert ("Example mail", "site") in titles
    assert reply["next_cursor"] is None


def test_match_only_logins(host):
    unlocked(host)
    reply = host.request("match", url="https://a.example/")
    assert {entry["type"] for entry in reply["entries"]} == {"login"}


def test_match_other_site_empty(host):
    unlocked(host)
    assert host.request("match", url="https://evil.example/")["entries"] == []
    assert host.request("match", url="http://a.example/login")["entries"] == []
    assert host.request("match", url="about:blank")["entries"] == []


def test_match_unicode_host(host):
    unlocked(host)
    for url in ("https://bücher.example/", "https://xn--bcher-kva.example/"):
        entries = host.request("match", url=url)["entries"]
        assert [entry["title"] for entry in entries] == ["Bücher"]
        assert entries[0]["username"] == "björk"


def test_get_login_for_matching_page(host):
    unlocked(host)
    reply = host.request("get_login", entry_id=entry_id(host, "Example"), url="https://a.example/login")
    assert reply["ok"] is True
    assert reply["username"] == "alice"
    assert reply["password"] == SECRET
    assert reply["url"] == "https://a.example/login"


def test_get_login_other_origin_refused(host):
    unlocked(host)
    reply = host.request("get_login", entry_id=entry_id(host, "Example"), url="https://evil.example/login")
    assert error_name(reply) == "ORIGIN_MISMATCH"
    assert SECRET not in json.dumps(reply)


def test_get_login_https_entry_on_http_page(host):
    unlocked(host)
    reply = host.request("get_login", entry_id=entry_id(host, "Example"), url="http://a.example/login")
    assert error_name(reply) == "ORIGIN_MISMATCH"


def test_get_login_wallet_forbidden(host):
    unlocked(host)
    reply = host.request("get_login", entry_id=entry_id(host, "Cold wallet"), url="https://a.example/")
    assert error_name(reply) == "FORBIDDEN"
    assert "abandon" not in json.dumps(reply)


def test_get_login_unknown_entry(host):
    unlocked(host)
    reply = host.request("get_login", entry_id="00000000-0000-4000-8000-000000000000", url="https://a.example/")
    assert error_name(reply) == "NOT_FOUND"


def test_search_marks_wallet_public(host):
    unlocked(host)
    reply = host.request("search", query="wallet")
    [wallet] = reply["entries"]
    assert wallet["public"] == {"addresses": ["bc1qexampleaddress"], "coin": "BTC"}
    assert "abandon" not in json.dumps(reply)


def test_search_empty_query(host):
    unlocked(host)
    assert error_name(host.request("search", query="  ")) == "INVALID_ARGUMENT"


def test_save_login_creates_entry(host, vault_path):
    unlocked(host)
    reply = host.request("save_login", url="https://new.example:8443/signup", username="carol", password="fresh-secret")
    assert reply["created"] is True
    matched = host.request("match", url="https://new.example:8443/")["entries"]
    assert [entry["username"] for entry in matched] == ["carol"]

    # The CLI's view of the same file sees the new login.
    vault = Vault.open(vault_path)
    vault.unlock(PASSWORD)
    [entry] = [entry for entry in vault.entries() if entry.metadata.get("username") == "carol"]
    assert entry.metadata["urls"] == ["https://new.example:8443/"]
    assert vault.get_secret(entry.id)["password"] == "fresh-secret"
    vault.close()


def test_save_login_update_keeps_notes(host, vault_path):
    unlocked(host)
    target = entry_id(host, "Example")
    reply = host.request("save_login", url="https://a.example/login", username="alice", password="rotated", entry_id=target, expected_revision=1)
    assert reply["ok"] is True
    assert reply["revision"] == 2
    assert reply["created"] is False
    vault = Vault.open(vault_path)
    vault.unlock(PASSWORD)
    assert vault.get_secret(target) == {"password": "rotated", "notes": "note"}
    vault.close()


def test_save_login_stale_revision_conflicts(host, vault_path):
    unlocked(host)
    target = entry_id(host, "Example")

    # Another process (the CLI) edits the entry first.
    vault = Vault.open(vault_path)
    vault.unlock(PASSWORD)
    vault.update_entry(target, 1, dict(vault.entry(target).metadata, title="Edited by CLI"), vault.get_secret(target))
    vault.close()

    reply = host.request("save_login", url="https://a.example/login", username="alice", password="lost?", entry_id=target, expected_revision=1)
    assert error_name(reply) == "CONFLICT"
    # The host noticed the CLI's commit without being unlocked again.
    assert host.request("match", url="https://a.example/login")["entries"][0]["title"] == "Edited by CLI"


def test_save_login_other_site_refused(host):
    unlocked(host)
    target = entry_id(host, "Example")
    reply = host.request("save_login", url="https://evil.example/", username="x", password="y", entry_id=target, expected_revision=1)
    assert error_name(reply) == "ORIGIN_MISMATCH"


def test_pagination_stays_under_limit(tmp_path):
    path = tmp_path / "big.qvault"
    vault, _ = Vault.create(path, PASSWORD, params=FLOOR)
    with vault.batch() as batch:
        for index in range(450):
            batch.put(
                f"00000000-0000-4000-8000-{index:012d}",
                None,
                {"type": "login", "title": f"{index:03d} " + "t" * 4000, "urls": ["https://a.example/"], "username": "u" * 4000},
                {"password": "p"},
            )
    vault.close()
    process = HostProcess(tmp_path, path, password=PASSWORD)
    try:
        unlocked(process)
        seen = []
        cursor = None
        pages = 0
        while True:
            arguments = {"url": "https://a.example/"} | ({"cursor": cursor} if cursor else {})
            process.send({"id": pages, "type": "match", **arguments})
            header = process.process.stdout.read(4)
            (length,) = struct.unpack("=I", header)
            assert length < 1024 * 1024
            reply = json.loads(process.process.stdout.read(length))
            seen.extend(entry["id"] for entry in reply["entries"])
            pages += 1
            cursor = reply["next_cursor"]
            if cursor is None:
                break
        assert len(seen) == 450
        assert len(set(seen)) == 450
        assert pages >= 3
        assert error_name(process.request("match", url="https://a.example/", cursor="999999")) == "INVALID_ARGUMENT"
    finally:
        process.close()


@pytest.mark.parametrize(
    ("message", "code", "phrase"),
    [
        ({"id": 1, "type": "fly"}, "UNKNOWN_VERB", "unknown verb 'fly'"),
        ({"id": 1}, "INVALID_REQUEST", "no 'type'"),
        ({"id": [1], "type": "status"}, "INVALID_REQUEST", "'id' must be"),
        ({"id": 1, "type": "match"}, "INVALID_ARGUMENT", "missing argument 'url'"),
        ({"id": 1, "type": "match", "url": 5}, "INVALID_ARGUMENT", "must be a string"),
        ({"id": 1, "type": "match", "url": "https://a.example/", "extra": 1}, "INVALID_ARGUMENT", "unknown argument 'extra'"),
        ({"id": 1, "type": "match", "url": "x" * 5000}, "INVALID_ARGUMENT", "the maximum is 4096"),
        ({"id": 1, "type": "hello", "protocol": True}, "INVALID_ARGUMENT", "must be an integer"),
        ({"id": 1, "type": "save_login", "url": "https://a.example/", "username": "a", "password": "b", "expected_revision": 0}, "INVALID_ARGUMENT", "at least 1"),
    ],
)
def test_invalid_requests(host, message, code, phrase):
    host.send(message)
    reply = host.read_reply()
    assert error_name(reply) == code
    assert phrase in reply["error"]["message"]
    # The stream is still in sync.
    assert host.request("hello", protocol=1)["ok"] is True


@pytest.mark.parametrize(
    ("body", "code"),
    [(b"\xff\xfe\xfd", "INVALID_FRAME"), (b"{oops", "INVALID_JSON"), (b"[]", "INVALID_REQUEST"), (b"null", "INVALID_REQUEST")],
)
def test_bad_bodies_keep_serving(host, body, code):
    host.send_raw(struct.pack("=I", len(body)) + body)
    reply = host.read_reply()
    assert reply["id"] is None
    assert error_name(reply) == code
    assert host.request("hello", protocol=1)["ok"] is True


def test_oversized_frame_exits(host):
    host.send_raw(struct.pack("=I", 1024 * 1024 + 1))
    reply = host.read_reply()
    assert error_name(reply) == "FRAME_TOO_LARGE"
    assert host.process.wait(timeout=10) == 1


def test_truncated_body_exits(host):
    host.send_raw(struct.pack("=I", 100) + b'{"id": 1')
    host.process.stdin.close()
    reply = host.read_reply()
    assert error_name(reply) == "INVALID_FRAME"
    assert host.process.wait(timeout=10) == 1


def test_eof_exits_cleanly(host):
    unlocked(host)
    started = time.monotonic()
    assert host.close() == 0
    assert time.monotonic() - started < 10
    assert "vault locked" in host.stderr_text()


def test_sigterm_locks_and_exits(host):
    unlocked(host)
    host.process.send_signal(signal.SIGTERM)
    assert host.process.wait(timeout=10) == 0
    assert "vault locked" in host.stderr_text()


def test_idle_lock(tmp_path, vault_path):
    process = HostProcess(tmp_path, vault_path, password=PASSWORD, env={"QVAULT_IDLE_LOCK_SECONDS": "0.5"})
    try:
        unlocked(process)
        deadline = time.monotonic() + 15
        while process.request("status")["state"] == "unlocked":
            # Each status request resets the idle timer, so wait longer than it between polls.
            assert time.monotonic() < deadline, "the host did not lock after the idle time"
            time.sleep(1.0)
        assert error_name(process.request("match", url="https://a.example/")) == "LOCKED"
    finally:
        process.close()


def test_caller_not_allowed(tmp_path, vault_path):
    process = HostProcess(tmp_path, vault_path, arguments=["chrome-extension://aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/"])
    try:
        reply = process.request("hello", protocol=1)
        assert error_name(reply) == "CALLER_NOT_ALLOWED"
        assert "install.py" in reply["error"]["message"]
    finally:
        process.close()


def test_firefox_arguments_allowed(tmp_path, vault_path):
    manifest = tmp_path / "dev.qvault.host.json"
    process = HostProcess(tmp_path, vault_path, arguments=[str(manifest), extension_ids.GECKO_EXTENSION_IDS[0]])
    try:
        assert process.request("hello", protocol=1)["ok"] is True
    finally:
        process.close()


def test_secrets_never_logged(tmp_path, vault_path):
    process = HostProcess(tmp_path, vault_path, password=PASSWORD)
    try:
        unlocked(process)
        process.request("get_login", entry_id=entry_id(process, "Example"), url="https://a.example/login")
        process.request("save_login", url="https://b.example/", username="dave", password="saved-secret-xyz")
    finally:
        process.close()
    log_file = process.log_file_text()
    assert "get_login" in log_file
    logs = process.stderr_text() + log_file
    for secret in (PASSWORD, SECRET, "saved-secret-xyz"):
        assert secret not in logs


def test_version_flag(tmp_path):
    import subprocess
    import sys

    output = subprocess.run([sys.executable, "-m", "qvault.native.main", "--version"], capture_output=True, text=True, check=True)
    assert output.stdout.startswith("qvault-host ")


def test_default_caller_list_matches_shipped_ids():
    from qvault.native.caller import default_allowed_callers

    assert CHROMIUM_CALLER in default_allowed_callers()
    assert CHROMIUM_CALLER.endswith("/")


def test_totp_code(host):
    unlocked(host)
    reply = host.request("totp", entry_id=entry_id(host, "With TOTP"), url="https://otp.example/")
    assert reply["ok"] is True
    assert len(reply["code"]) == 8
    assert reply["code"].isdigit()
    assert reply["period"] == 30
    assert 0 < reply["remaining"] <= 30


def test_totp_missing_or_wrong_site(host):
    unlocked(host)
    assert error_name(host.request("totp", entry_id=entry_id(host, "Example"), url="https://a.example/")) == "NOT_FOUND"
    assert error_name(host.request("totp", entry_id=entry_id(host, "With TOTP"), url="https://a.example/")) == "ORIGIN_MISMATCH"


def test_generate_while_locked(host):
    reply = host.request("generate", length=32)
    assert len(reply["password"]) == 32
    assert reply["entropy_bits"] > 150
    phrase = host.request("generate", kind="passphrase", words=5)
    # Five words of the EFF large list (7776 words); some words contain a hyphen
    # themselves, so the separator count is not a word count.
    assert phrase["entropy_bits"] == round(5 * math.log2(7776), 2)
    assert phrase["password"].count("-") >= 4
    assert error_name(host.request("generate", kind="emoji")) == "INVALID_ARGUMENT"
    assert error_name(host.request("generate", length=3)) == "INVALID_ARGUMENT"
