"""End to end in a real browser: Debian's Chromium, headless, with the unpacked
extension, the native host installed by install.py into the test profile, a vault
made with the Python API and a scripted pinentry that types the master password.

Sites a.example and b.example are both served by one local server on 127.0.0.1;
Chromium's --host-resolver-rules sends every *.example name there.
"""

import json
import os
import pathlib
import subprocess
import sys

import pytest

from browser.chromium import CHROMIUM_BINARY, Chromium, wait_until
from browser.pages import LoginSiteServer
from conftest import skip_or_fail
from qvault.extension_ids import CHROMIUM_EXTENSION_IDS
from qvault.vault import Vault
from qvault.vault.kdf import FLOOR

pytestmark = pytest.mark.browser

REPOSITORY = pathlib.Path(__file__).resolve().parent.parent
EXTENSION = REPOSITORY / "extension"
INSTALLER = REPOSITORY / "install.py"
PINENTRY = REPOSITORY / "tests" / "tools" / "scripted_pinentry.py"
SCREENSHOT = REPOSITORY / "docs" / "screenshot-popup.png"

EXTENSION_ID = CHROMIUM_EXTENSION_IDS[0]
MASTER_PASSWORD = "correct horse"
SITE_PASSWORD = "s3cret pass, with % and ünïcode"


class QvaultBrowser:
    """A running Chromium with Qvault installed, plus the files the test set up."""

    def __init__(self, chromium: Chromium, server: LoginSiteServer, workspace: pathlib.Path, entry_id: str):
        self.chromium = chromium
        self.server = server
        self.workspace = workspace
        self.entry_id = entry_id
        self.pinentry_log = workspace / "pinentry.log"

    def url(self, site: str, path: str) -> str:
        return f"http://{site}:{self.server.port}{path}"

    def open(self, site: str, path: str):
        return self.chromium.open_page(self.url(site, path))

    def popup(self, page):
        return self.chromium.open_popup(EXTENSION_ID, page)

    def pinentry_commands(self) -> list[str]:
        try:
            return self.pinentry_log.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return []


def make_vault(path: pathlib.Path, port: int) -> str:
    vault, unused_recovery_code = Vault.create(path, MASTER_PASSWORD, params=FLOOR)
    try:
        entry = vault.add_entry(
            {"type": "login", "title": "Example", "urls": [f"http://a.example:{port}/"], "username": "alice"},
            {"password": SITE_PASSWORD},
        )
    finally:
        vault.close()
    return entry.id


def write_pinentry_wrapper(path: pathlib.Path) -> None:
    # The host runs the program without arguments; this wrapper names the interpreter.
    path.write_text(f"#!/bin/sh\nexec {sys.executable} {PINENTRY} \"$@\"\n", encoding="utf-8")
    path.chmod(0o755)


def install_host(home: pathlib.Path, profile: pathlib.Path, vault: pathlib.Path) -> None:
    environment = {**os.environ, "HOME": str(home)}
    for variable in ("XDG_DATA_HOME", "XDG_CONFIG_HOME"):
        environment.pop(variable, None)
    subprocess.run(
        [sys.executable, str(INSTALLER), "--browser", "chromium", "--python", sys.executable,
         "--user-data-dir", str(profile), "--vault", str(vault)],
        env=environment, check=True, capture_output=True, text=True,
    )


@pytest.fixture
def site_server():
    server = LoginSiteServer().start()
    yield server
    server.stop()


@pytest.fixture
def qvault_browser(tmp_path, site_server, request):
    """Start Chromium with Qvault; a test marked host_missing gets no host manifest."""
    if not CHROMIUM_BINARY.exists():
        skip_or_fail(f"Chromium is not installed at {CHROMIUM_BINARY} (apt-get install chromium)")

    home = tmp_path / "home"
    profile = tmp_path / "profile"
    home.mkdir()
    vault_path = tmp_path / "vault.qvault"
    entry_id = make_vault(vault_path, site_server.port)

    pinentry = tmp_path / "pinentry"
    write_pinentry_wrapper(pinentry)
    password_file = tmp_path / "pinentry-passwords"
    passwords = getattr(request, "param", [MASTER_PASSWORD])
    password_file.write_text("\n".join(passwords) + "\n", encoding="utf-8")

    if request.node.get_closest_marker("host_missing") is None:
        install_host(home, profile, vault_path)

    environment = {
        **os.environ,
        "HOME": str(home),
        "QVAULT_VAULT": str(vault_path),
        "QVAULT_PINENTRY": str(pinentry),
        "SCRIPTED_PINENTRY_PASSWORD_FILE": str(password_file),
        "SCRIPTED_PINENTRY_LOG": str(tmp_path / "pinentry.log"),
    }
    chromium = Chromium(profile, EXTENSION, environment,
                        [f"--host-resolver-rules=MAP *.example 127.0.0.1:{site_server.port}"])
    chromium.start()
    try:
        yield QvaultBrowser(chromium, site_server, tmp_path, entry_id)
    finally:
        chromium.stop()


def popup_state(popup) -> str:
    return popup.evaluate("document.querySelector('[data-testid=state]').dataset.state")


def popup_message(popup) -> str:
    return popup.evaluate("document.querySelector('[data-testid=message]').textContent")


def entry_ids(popup) -> list[str]:
    return popup.evaluate("Array.from(document.querySelectorAll('[data-testid=entry]'), (e) => e.dataset.entryId)")


def unlock(popup) -> None:
    popup.click("[data-testid=unlock]")
    popup.wait_for("document.querySelector('[data-testid=state]').dataset.state === 'unlocked'", "the vault to unlock")
    popup.wait_for("!document.querySelector('.logins').hidden || document.querySelector('[data-testid=message]').textContent",
                   "the popup to list logins")


def field_values(page, *ids: str) -> dict[str, str]:
    return page.evaluate(f"Object.fromEntries({json.dumps(list(ids))}.map((id) => [id, document.getElementById(id).value]))")


def test_unlock_fill_and_submit(qvault_browser):
    page = qvault_browser.open("a.example", "/login")
    popup = qvault_browser.popup(page)
    assert popup_state(popup) == "locked"

    unlock(popup)
    assert entry_ids(popup) == [qvault_browser.entry_id]
    if not SCREENSHOT.exists() or os.environ.get("QVAULT_UPDATE_SCREENSHOT") == "1":
        popup.screenshot(SCREENSHOT)

    popup.click(f"[data-testid=entry][data-entry-id='{qvault_browser.entry_id}']")
    page.wait_for("document.getElementById('password').value !== ''", "the password field to be filled")
    assert field_values(page, "username", "password") == {"username": "alice", "password": SITE_PASSWORD}

    page.click("#submit")
    submissions = wait_until(lambda: qvault_browser.server.submissions, 10, "the form post")
    host, fields = submissions[0]
    assert host == f"a.example:{qvault_browser.server.port}"
    assert fields["username"] == ["alice"]
    assert fields["password"] == [SITE_PASSWORD]
    assert "SETERROR" not in " ".join(qvault_browser.pinentry_commands())
    assert files_containing(qvault_browser.workspace, SITE_PASSWORD) == []
    assert files_containing(qvault_browser.workspace, MASTER_PASSWORD) == ["pinentry-passwords"]


def files_containing(folder: pathlib.Path, secret: str) -> list[str]:
    """List the files under folder (logs, profile, host data) whose bytes contain secret."""
    needles = {secret.encode("utf-8"), secret.encode("utf-16-le")}
    found = []
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or path.is_symlink():
            continue
        data = path.read_bytes()
        if any(needle in data for needle in needles):
            found.append(str(path.relative_to(folder)))
    return found


def test_other_origin_gets_no_entries(qvault_browser):
    page = qvault_browser.open("a.example", "/login")
    popup = qvault_browser.popup(page)
    unlock(popup)
    assert entry_ids(popup) == [qvault_browser.entry_id]

    other = qvault_browser.open("b.example", "/login")
    popup = qvault_browser.popup(other)
    assert popup_state(popup) == "unlocked"
    popup.wait_for("!document.querySelector('[data-testid=empty]').hidden", "the empty list")
    assert entry_ids(popup) == []
    assert field_values(other, "username", "password") == {"username": "", "password": ""}


def test_other_origin_fill_rejected(qvault_browser):
    page = qvault_browser.open("b.example", "/login")
    popup = qvault_browser.popup(page)
    unlock(popup)

    # The popup lists nothing here; ask the background directly, as a popup would.
    reply = popup.evaluate(
        "chrome.tabs.query({active: true, currentWindow: true}).then(([tab]) =>"
        f" chrome.runtime.sendMessage({{type: 'fill', tabId: tab.id, entryId: {json.dumps(qvault_browser.entry_id)}}}))"
    )
    assert reply["ok"] is False
    assert reply["error"]["name"] == "ORIGIN_MISMATCH"
    assert field_values(page, "username", "password") == {"username": "", "password": ""}


def test_password_only_form(qvault_browser):
    page = qvault_browser.open("a.example", "/password-only")
    popup = qvault_browser.popup(page)
    unlock(popup)
    popup.click("[data-testid=entry]")
    page.wait_for("document.getElementById('password').value !== ''", "the password field to be filled")
    assert field_values(page, "password") == {"password": SITE_PASSWORD}


def test_hidden_fields_untouched(qvault_browser):
    page = qvault_browser.open("a.example", "/hidden")
    popup = qvault_browser.popup(page)
    unlock(popup)
    popup.click("[data-testid=entry]")
    page.wait_for("document.getElementById('password').value !== ''", "the password field to be filled")

    values = field_values(page, "tracking", "username", "trap-text", "trap-password", "nested-password", "password")
    assert values == {
        "tracking": "keep-me",
        "username": "alice",
        "trap-text": "",
        "trap-password": "",
        "nested-password": "",
        "password": SITE_PASSWORD,
    }


def test_search_box_untouched(qvault_browser):
    page = qvault_browser.open("a.example", "/search")
    popup = qvault_browser.popup(page)
    unlock(popup)
    popup.click("[data-testid=entry]")
    page.wait_for("document.getElementById('password').value !== ''", "the password field to be filled")
    assert field_values(page, "query", "username", "password") == {"query": "", "username": "alice", "password": SITE_PASSWORD}


def test_cross_origin_action_warns(qvault_browser):
    page = qvault_browser.open("a.example", "/cross-action")
    popup = qvault_browser.popup(page)
    unlock(popup)
    popup.click("[data-testid=entry]")
    popup.wait_for("document.querySelector('[data-testid=message]').dataset.kind === 'warning'", "the warning")

    assert f"http://b.example:{qvault_browser.server.port}" in popup_message(popup)
    assert field_values(page, "username", "password") == {"username": "alice", "password": SITE_PASSWORD}


def test_cross_origin_frame_untouched(qvault_browser):
    page = qvault_browser.open("a.example", "/framed")
    popup = qvault_browser.popup(page)
    unlock(popup)
    assert entry_ids(popup) == [qvault_browser.entry_id]

    popup.click("[data-testid=entry]")
    popup.wait_for("document.querySelector('[data-testid=message]').dataset.errorName === 'NO_FIELDS'", "the no-fields message")

    frame = qvault_browser.chromium.attach_frame(qvault_browser.url("b.example", "/login"))
    assert field_values(frame, "username", "password") == {"username": "", "password": ""}


def test_signup_form_not_filled(qvault_browser):
    page = qvault_browser.open("a.example", "/signup")
    popup = qvault_browser.popup(page)
    unlock(popup)
    popup.click("[data-testid=entry]")
    popup.wait_for("document.querySelector('[data-testid=message]').dataset.errorName === 'NO_FIELDS'", "the no-fields message")
    assert field_values(page, "username", "new-password") == {"username": "", "new-password": ""}


def test_locked_vault_refuses_fill(qvault_browser):
    page = qvault_browser.open("a.example", "/login")
    popup = qvault_browser.popup(page)
    unlock(popup)

    popup.click("[data-testid=lock]")
    popup.wait_for("document.querySelector('[data-testid=state]').dataset.state === 'locked'", "the vault to lock")
    assert entry_ids(popup) == []

    reply = popup.evaluate(
        "chrome.tabs.query({active: true, currentWindow: true}).then(([tab]) =>"
        f" chrome.runtime.sendMessage({{type: 'fill', tabId: tab.id, entryId: {json.dumps(qvault_browser.entry_id)}}}))"
    )
    assert reply["ok"] is False
    assert reply["error"]["name"] == "LOCKED"
    assert field_values(page, "username", "password") == {"username": "", "password": ""}


@pytest.mark.parametrize("qvault_browser", [["wrong horse", MASTER_PASSWORD]], indirect=True)
def test_wrong_password_then_right(qvault_browser):
    page = qvault_browser.open("a.example", "/login")
    popup = qvault_browser.popup(page)
    unlock(popup)

    commands = qvault_browser.pinentry_commands()
    assert [command.split(" ", 1)[0] for command in commands].count("GETPIN") == 2
    assert any(command.startswith("SETERROR") for command in commands)
    assert entry_ids(popup) == [qvault_browser.entry_id]


@pytest.mark.host_missing
def test_host_missing_message(qvault_browser):
    page = qvault_browser.open("a.example", "/login")
    popup = qvault_browser.popup(page)
    assert popup_state(popup) == "error"
    assert "not installed" in popup_message(popup)
    assert "install.py" in popup_message(popup)
