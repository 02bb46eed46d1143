"""The native host syncing its vault: the real host as a subprocess, the real server under uvicorn."""

import base64
import json
import socket
import time

import pytest

from hostproc import HostProcess
from qvault.sync.client import setup as sync_setup
from qvault.sync.client.state import sidecar_path
from sync_client_support import EMAIL, Tap, UvicornThread, make_app
from vault_helpers import PASSWORD, create_vault

SECRET = "a-example-secret-8812"
# Long enough that no test waits for a periodic round unless it sets a short interval.
NO_PERIODIC_SYNC = {"QVAULT_SYNC_INTERVAL_SECONDS": "3600"}
WAIT_SECONDS = 20


@pytest.fixture
def tap(tmp_path):
    return Tap(make_app(tmp_path))


@pytest.fixture
def server(tap):
    with UvicornThread(tap) as running:
        yield running


def set_up_first_device(tmp_path, server_url):
    """Create vault a.qvault with one login and register it on the server; return its path."""
    path = tmp_path / "a.qvault"
    vault, _ = create_vault(path)
    vault.add_entry({"type": "login", "title": "Example", "urls": ["https://a.example/"], "username": "alice"}, {"password": SECRET})
    session, _, _ = sync_setup.setup(vault, server_url, EMAIL, PASSWORD, None)
    session.api.logout()
    session.api.close()
    session.state.close()
    vault.close()
    return path


@pytest.fixture
def first_path(tmp_path, server):
    return set_up_first_device(tmp_path, server.url)


@pytest.fixture
def second(tmp_path, server, first_path):
    """Another device's vault, cloned from the server: (vault, SyncSession)."""
    vault, session, _ = sync_setup.clone(tmp_path / "b.qvault", server.url, EMAIL, PASSWORD, None)
    yield vault, session
    session.api.close()
    session.state.close()
    vault.close()


def start_host(tmp_path, vault_path, env=None):
    return HostProcess(tmp_path, vault_path, password=PASSWORD, env=env or NO_PERIODIC_SYNC)


def wait_for_sync(host, condition, what):
    """Poll status until condition(sync object) holds; return that sync object."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        sync = host.request("status")["sync"]
        if condition(sync):
            return sync
        assert time.monotonic() < deadline, f"{what} did not happen; last status {sync}; stderr: {host.stderr_text()[-2000:]}"
        time.sleep(0.05)


def add_login(device, title, url):
    vault, session = device
    vault.add_entry({"type": "login", "title": title, "urls": [url], "username": "bob"}, {"password": f"{title}-secret"})
    session.sync()


def titles_on(host, url):
    return [entry["title"] for entry in host.request("match", url=url)["entries"]]


def test_unlock_pulls_other_device(tmp_path, first_path, second):
    add_login(second, "From B", "https://b.example/")
    host = start_host(tmp_path, first_path)
    try:
        assert host.request("unlock")["ok"] is True
        sync = wait_for_sync(host, lambda sync: sync["state"] != "pending", "the first sync")
        assert sync["state"] == "ok", sync
        assert sync["message"] is None
        assert isinstance(sync["last_success"], int)
        assert titles_on(host, "https://b.example/login") == ["From B"]
    finally:
        host.close()


def test_periodic_pull(tmp_path, first_path, second):
    host = start_host(tmp_path, first_path, env={"QVAULT_SYNC_INTERVAL_SECONDS": "0.3"})
    try:
        host.request("unlock")
        wait_for_sync(host, lambda sync: sync["state"] == "ok", "the first sync")
        add_login(second, "Later from B", "https://later.example/")
        deadline = time.monotonic() + WAIT_SECONDS
        while titles_on(host, "https://later.example/") != ["Later from B"]:
            assert time.monotonic() < deadline, "the periodic sync did not pull the new entry"
            time.sleep(0.1)
    finally:
        host.close()


def test_save_login_pushed(tmp_path, first_path, second):
    host = start_host(tmp_path, first_path)
    try:
        host.request("unlock")
        wait_for_sync(host, lambda sync: sync["state"] == "ok", "the first sync")
        reply = host.request("save_login", url="https://new.example/signup", username="carol", password="pushed-secret")
        assert reply["created"] is True

        vault, session = second
        deadline = time.monotonic() + WAIT_SECONDS
        while reply["entry_id"] not in {entry.id for entry in vault.entries()}:
            assert time.monotonic() < deadline, f"save_login was not pushed; stderr: {host.stderr_text()[-2000:]}"
            time.sleep(0.1)
            session.sync()
        assert vault.get_secret(reply["entry_id"])["password"] == "pushed-secret"
        assert vault.entry(reply["entry_id"]).metadata["username"] == "carol"
    finally:
        host.close()


def test_server_stopped_fill_still_works(tmp_path, tap):
    with UvicornThread(tap) as running:
        path = set_up_first_device(tmp_path, running.url)
    host = start_host(tmp_path, path)
    try:
        host.request("unlock")
        sync = wait_for_sync(host, lambda sync: sync["state"] != "pending", "the first sync attempt")
        assert sync["state"] == "error"
        assert "could not reach the sync server" in sync["message"]
        assert sync["last_success"] is None

        [entry] = host.request("match", url="https://a.example/")["entries"]
        login = host.request("get_login", entry_id=entry["id"], url="https://a.example/")
        assert login["password"] == SECRET
        saved = host.request("save_login", url="https://offline.example/", username="dave", password="offline-secret")
        assert saved["ok"] is True

        assert host.request("lock")["state"] == "locked"
        assert host.request("status")["sync"]["state"] == "off"
        assert host.close() == 0
    finally:
        host.close()
    assert "sync login failed (TransportError)" in host.stderr_text()


def test_no_sidecar_no_network(tmp_path, tap, first_path):
    sidecar_path(first_path).unlink()
    requests_before = len(tap.exchanges)
    host = start_host(tmp_path, first_path, env={"QVAULT_SYNC_INTERVAL_SECONDS": "0.1"})
    try:
        assert host.request("status")["sync"] == {"state": "off", "last_success": None, "message": None}
        host.request("unlock")
        host.request("save_login", url="https://local.example/", username="erin", password="local-secret")
        time.sleep(0.5)
        assert host.request("status")["sync"] == {"state": "off", "last_success": None, "message": None}
    finally:
        host.close()
    assert len(tap.exchanges) == requests_before
    assert "sync started" not in host.stderr_text()


def test_hostile_server_stops_sync(tmp_path, tap, first_path, second):
    def drop_manifest(path, status, document):
        if path == "/v1/changes" and isinstance(document, dict):
            document["manifest"] = None
        return status, document

    tap.rewrite = drop_manifest
    host = start_host(tmp_path, first_path, env={"QVAULT_SYNC_INTERVAL_SECONDS": "0.1"})
    try:
        host.request("unlock")
        sync = wait_for_sync(host, lambda sync: sync["state"] != "pending", "the first sync")
        assert sync["state"] == "error"
        assert "older state" in sync["message"]
        assert "sync stopped until the vault is unlocked again" in sync["message"]

        # Neither the interval nor a write starts another round.
        pulls = tap.paths().count("/v1/changes")
        host.request("save_login", url="https://c.example/", username="frank", password="kept-local")
        time.sleep(0.5)
        assert tap.paths().count("/v1/changes") == pulls
        assert host.request("status")["sync"]["state"] == "error"
        [entry] = host.request("match", url="https://a.example/")["entries"]
        assert host.request("get_login", entry_id=entry["id"], url="https://a.example/")["password"] == SECRET

        # The next unlock tries again.
        tap.rewrite = None
        host.request("lock")
        host.request("unlock")
        assert wait_for_sync(host, lambda sync: sync["state"] != "pending", "the sync after unlocking again")["state"] == "ok"
    finally:
        host.close()


def test_rejected_login_not_retried(tmp_path, tap, first_path):
    def reject_login(path, status, document):
        if path == "/v1/login":
            return 401, {"error": {"code": "invalid_credentials", "message": "invalid email or auth key"}}
        return status, document

    tap.rewrite = reject_login
    logins_before = tap.paths().count("/v1/login")
    host = start_host(tmp_path, first_path, env={"QVAULT_SYNC_INTERVAL_SECONDS": "0.1"})
    try:
        host.request("unlock")
        sync = wait_for_sync(host, lambda sync: sync["state"] != "pending", "the first sync")
        assert sync["state"] == "error"
        assert "rejected the credentials" in sync["message"]
        assert "sync stopped until the vault is unlocked again" in sync["message"]
        host.request("save_login", url="https://c.example/", username="hana", password="kept-local")
        time.sleep(0.5)
        assert tap.paths().count("/v1/login") == logins_before + 1
    finally:
        host.close()


def test_unresponsive_server_exit(tmp_path, tap):
    with UvicornThread(tap) as running:
        path = set_up_first_device(tmp_path, running.url)
        port = running.port
    # The socket accepts connections but never sends a response, so requests hang until their timeout.
    with socket.socket() as silent:
        silent.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        silent.bind(("127.0.0.1", port))
        silent.listen(8)
        silent.settimeout(WAIT_SECONDS)
        host = start_host(tmp_path, path)
        try:
            assert host.request("unlock")["ok"] is True
            first_connection, _ = silent.accept()
            assert host.request("status")["sync"]["state"] == "pending"
            [entry] = host.request("match", url="https://a.example/")["entries"]
            assert host.request("get_login", entry_id=entry["id"], url="https://a.example/")["password"] == SECRET
            assert host.request("lock")["state"] == "locked"

            assert host.request("unlock")["ok"] is True
            second_connection, _ = silent.accept()
            # The process exits on end of input without waiting for the hanging request.
            assert host.close(timeout=10) == 0
            first_connection.close()
            second_connection.close()
        finally:
            host.close()
    assert "sync thread is finishing a request" in host.stderr_text()


def test_secrets_not_logged(tmp_path, tap, first_path, second):
    host = start_host(tmp_path, first_path)
    try:
        host.request("unlock")
        wait_for_sync(host, lambda sync: sync["state"] == "ok", "the first sync")
        pushes = tap.paths().count("/v1/push")
        host.request("save_login", url="https://new.example/", username="gina", password="logged-never-1234")
        deadline = time.monotonic() + WAIT_SECONDS
        while tap.paths().count("/v1/push") == pushes:
            assert time.monotonic() < deadline, "save_login was not pushed"
            time.sleep(0.05)
        host.request("lock")
    finally:
        host.close()

    secrets = [PASSWORD, SECRET, "logged-never-1234"]
    for path, request_body, response_body in tap.exchanges:
        if path == "/v1/login":
            auth_key = json.loads(request_body)["auth_key"]
            secrets += [auth_key, base64.b64decode(auth_key).hex(), json.loads(response_body)["token"]]
    assert len(secrets) > 3, "no login reached the server"
    log_file = host.log_file_text()
    assert "synced with" in log_file
    logs = host.stderr_text() + log_file
    for secret in secrets:
        assert secret not in logs
