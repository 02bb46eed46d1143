"""End to end in a real browser: Debian's Chromium, headless, with the unpacked
extension, the native host installed by install.py into the test profile, a vault
made with the Python API and a scripted pinentry that types the master password.

Sites a.example, b.example and the others are all served by one local server on
127.0.0.1; Chromium's --host-resolver-rules sends every *.example name there.
One browser serves the whole module (each test opens and closes its own tabs);
the host-missing case starts its own browser without a host manifest.
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
from qvault.entries import build_entry
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
DAVE_PASSWORD = "dave's first password"
HTTPS_PASSWORD = "only over https"
SEED = "abandon " * 11 + "about"
ADDRESS = "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu"
TOTP_SECRET = "JBSWY3DPEHPK3PXP"


class QvaultBrowser:
    """A running Chromium with Qvault installed, plus the files the test set up."""

    def __init__(self, chromium: Chromium, server: LoginSiteServer, workspace: pathlib.Path, vault_path: pathlib.Path,
                 entries: dict[str, str]):
        self.chromium = chromium
        self.server = server
        self.workspace = workspace
        self.vault_path = vault_path
        self.entries = entries
        self.pinentry_log = workspace / "pinentry.log"
        self.opened = []

    def url(self, site: str, path: str) -> str:
        return f"http://{site}:{self.server.port}{path}"

    def open(self, site: str, path: str):
        page = self.chromium.open_page(self.url(site, path))
        self.opened.append(page)
        return page

    def popup(self, page):
        popup = self.chromium.open_popup(EXTENSION_ID, page)
        self.opened.append(popup)
        return popup

    def close_all(self) -> None:
        for page in reversed(self.opened):
            self.chromium.close_page(page)
        self.opened.clear()

    def pinentry_commands(self) -> list[str]:
        try:
            return self.pinentry_log.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return []

    def cli(self, *arguments: str, stdin_lines: tuple[str, ...] = ()) -> str:
        """Run the qvault CLI on the test vault, typing the master password first."""
        completed = subprocess.run(
            [sys.executable, "-m", "qvault.cli.main", "--vault", str(self.vault_path), "--password-stdin", *arguments],
            input="\n".join((MASTER_PASSWORD, *stdin_lines)) + "\n", capture_output=True, text=True, check=True, timeout=60,
        )
        return completed.stdout


def make_vault(path: pathlib.Path, port: int) -> dict[str, str]:
    """Create the vault every test shares; return entry ids by short name."""
    vault, unused_recovery_code = Vault.create(path, MASTER_PASSWORD, params=FLOOR)
    entries = {}
    try:
        logins = {
            "alice": ({"type": "login", "title": "Example", "urls": [f"http://a.example:{port}/"], "username": "alice"},
                      {"password": SITE_PASSWORD, "totp": TOTP_SECRET}),
            "dave": ({"type": "login", "title": "Dave's site", "urls": [f"http://d.example:{port}/"], "username": "dave"},
                     {"password": DAVE_PASSWORD}),
            "https": ({"type": "login", "title": "Secure site", "urls": [f"https://s.example:{port}/"], "username": "sam"},
                      {"password": HTTPS_PASSWORD}),
            # Saved without a port: Chromium's resolver rule sends port 80 of every *.example
            # name to the test server, so the screenshot shows the same origin on every run.
            "shop": ({"type": "login", "title": "Example shop", "urls": ["http://shop.example/"], "username": "alice@example.com"},
                     {"password": "shop password"}),
        }
        for name, (metadata, secret) in logins.items():
            entries[name] = vault.add_entry(metadata, secret).id
        metadata, secret = build_entry("wallet", {"title": "Cold wallet", "coin": "BTC", "seed": SEED, "addresses": [ADDRESS]})
        entries["wallet"] = vault.add_entry(metadata, secret).id
    finally:
        vault.close()
    return entries


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


def start_browser(workspace: pathlib.Path, server: LoginSiteServer, with_host: bool) -> QvaultBrowser:
    if not CHROMIUM_BINARY.exists():
        skip_or_fail(f"Chromium is not installed at {CHROMIUM_BINARY} (apt-get install chromium)")

    home = workspace / "home"
    profile = workspace / "profile"
    home.mkdir()
    vault_path = workspace / "vault.qvault"
    entries = make_vault(vault_path, server.port)

    pinentry = workspace / "pinentry"
    write_pinentry_wrapper(pinentry)
    password_file = workspace / "pinentry-passwords"
    password_file.write_text(MASTER_PASSWORD + "\n", encoding="utf-8")
    if with_host:
        install_host(home, profile, vault_path)

    environment = {
        **os.environ,
        "HOME": str(home),
        "QVAULT_VAULT": str(vault_path),
        "QVAULT_PINENTRY": str(pinentry),
        "SCRIPTED_PINENTRY_PASSWORD_FILE": str(password_file),
        "SCRIPTED_PINENTRY_LOG": str(workspace / "pinentry.log"),
    }
    chromium = Chromium(profile, EXTENSION, environment, [f"--host-resolver-rules=MAP *.example 127.0.0.1:{server.port}"])
    chromium.start()
    return QvaultBrowser(chromium, server, workspace, vault_path, entries)


@pytest.fixture(scope="module")
def site_server():
    server = LoginSiteServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def shared_browser(tmp_path_factory, site_server):
    browser = start_browser(tmp_path_factory.mktemp("qvault-chromium"), site_server, with_host=True)
    try:
        yield browser
    finally:
        browser.chromium.stop()


@pytest.fixture
def qvault_browser(shared_browser):
    """The module's browser; the test's tabs are closed and the server's posts forgotten afterwards."""
    shared_browser.server.submissions.clear()
    yield shared_browser
    shared_browser.close_all()


# Popup helpers.

def by_testid(name: str) -> str:
    return f"document.querySelector('[data-testid={name}]')"


def popup_state(popup) -> str:
    return popup.evaluate(f"{by_testid('state')}.dataset.state")


def popup_message(popup) -> str:
    return popup.evaluate(f"{by_testid('message')}.textContent")


def wait_error(popup, name: str) -> None:
    popup.wait_for(f"{by_testid('message')}.dataset.errorName === {json.dumps(name)}", f"the {name} message")


def entry_ids(popup) -> list[str]:
    return popup.evaluate("Array.from(document.querySelectorAll('[data-testid=entry]'), (e) => e.dataset.entryId)")


def ensure_unlocked(popup) -> None:
    """Unlock through the popup when the vault is locked; wait for the login list either way."""
    if popup_state(popup) == "locked":
        popup.click("[data-testid=unlock]")
        popup.wait_for(f"{by_testid('state')}.dataset.state === 'unlocked'", "the vault to unlock")
    popup.wait_for("!document.querySelector('.logins').hidden || document.querySelector('[data-testid=message]').textContent",
                   "the popup to list logins")


def open_unlocked_popup(browser: QvaultBrowser, page):
    popup = browser.popup(page)
    ensure_unlocked(popup)
    return popup


def send_from_popup(popup, message: dict) -> dict:
    """Send a message to the background as the popup does, for the popup's own tab."""
    return popup.evaluate(
        "chrome.tabs.query({active: true, currentWindow: true}).then(([tab]) =>"
        f" chrome.runtime.sendMessage({{...{json.dumps(message)}, tabId: tab.id}}))"
    )


def field_values(page, *ids: str) -> dict[str, str]:
    return page.evaluate(f"Object.fromEntries({json.dumps(list(ids))}.map((id) => [id, document.getElementById(id).value]))")


def wait_filled(page, field_id: str = "password") -> None:
    page.wait_for(f"document.getElementById({json.dumps(field_id)}).value !== ''", f"the {field_id} field to be filled")


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


# Filling.

def test_unlock_fill_and_submit(qvault_browser):
    page = qvault_browser.open("a.example", "/login")
    popup = qvault_browser.popup(page)
    ensure_unlocked(popup)
    assert popup_state(popup) == "unlocked"
    assert entry_ids(popup) == [qvault_browser.entries["alice"]]

    popup.click(f"[data-testid=entry][data-entry-id='{qvault_browser.entries['alice']}']")
    wait_filled(page)
    assert field_values(page, "username", "password") == {"username": "alice", "password": SITE_PASSWORD}
    assert page.evaluate("window.qvaultCaptureInstalled === undefined")  # The page's own world sees nothing.

    page.click("#submit")
    submissions = wait_until(lambda: qvault_browser.server.submissions, 10, "the form post")
    host, fields = submissions[0]
    assert host == f"a.example:{qvault_browser.server.port}"
    assert fields["username"] == ["alice"]
    assert fields["password"] == [SITE_PASSWORD]
    assert "SETERROR" not in " ".join(qvault_browser.pinentry_commands())


def test_popup_screenshot(qvault_browser):
    page = qvault_browser.chromium.open_page("http://shop.example/login")
    qvault_browser.opened.append(page)
    popup = open_unlocked_popup(qvault_browser, page)
    assert entry_ids(popup) == [qvault_browser.entries["shop"]]
    assert popup.evaluate(f"{by_testid('origin')}.textContent") == "Logins for http://shop.example"
    if not SCREENSHOT.exists() or os.environ.get("QVAULT_UPDATE_SCREENSHOT") == "1":
        popup.screenshot(SCREENSHOT)


def test_fill_events_fire(qvault_browser):
    page = qvault_browser.open("a.example", "/login")
    page.evaluate("window.seen = []; for (const t of ['input', 'change']) document.addEventListener(t, (e) => seen.push(`${e.target.id}:${t}`)); 1")
    popup = open_unlocked_popup(qvault_browser, page)
    popup.click("[data-testid=entry]")
    wait_filled(page)
    assert page.evaluate("seen") == ["username:input", "username:change", "password:input", "password:change"]


def test_nothing_filled_on_load(qvault_browser):
    page = qvault_browser.open("a.example", "/login")
    popup = open_unlocked_popup(qvault_browser, page)
    assert entry_ids(popup) == [qvault_browser.entries["alice"]]
    assert field_values(page, "username", "password") == {"username": "", "password": ""}


def test_password_only_form(qvault_browser):
    page = qvault_browser.open("a.example", "/password-only")
    popup = open_unlocked_popup(qvault_browser, page)
    popup.click("[data-testid=entry]")
    wait_filled(page)
    assert field_values(page, "password") == {"password": SITE_PASSWORD}


def test_two_step_login(qvault_browser):
    page = qvault_browser.open("a.example", "/two-step")
    popup = open_unlocked_popup(qvault_browser, page)
    popup.click("[data-testid=entry]")
    wait_filled(page, "username")
    assert field_values(page, "username") == {"username": "alice"}

    page.click("#submit")
    page.wait_for("location.pathname === '/two-step-password' && document.readyState === 'complete'", "the password step")
    popup = open_unlocked_popup(qvault_browser, page)
    popup.click("[data-testid=entry]")
    wait_filled(page)
    assert field_values(page, "password") == {"password": SITE_PASSWORD}


def test_hidden_fields_untouched(qvault_browser):
    page = qvault_browser.open("a.example", "/hidden")
    popup = open_unlocked_popup(qvault_browser, page)
    popup.click("[data-testid=entry]")
    wait_filled(page)

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
    popup = open_unlocked_popup(qvault_browser, page)
    popup.click("[data-testid=entry]")
    wait_filled(page)
    assert field_values(page, "query", "username", "password") == {"query": "", "username": "alice", "password": SITE_PASSWORD}


def test_cross_origin_action_needs_confirmation(qvault_browser):
    page = qvault_browser.open("a.example", "/cross-action")
    popup = open_unlocked_popup(qvault_browser, page)
    popup.click("[data-testid=entry]")
    wait_error(popup, "CROSS_ORIGIN_ACTION")

    assert f"http://b.example:{qvault_browser.server.port}" in popup_message(popup)
    assert popup.evaluate(f"{by_testid('fill-anyway')}.hidden") is False
    assert field_values(page, "username", "password") == {"username": "", "password": ""}

    popup.click("[data-testid=fill-anyway]")
    wait_filled(page)
    assert field_values(page, "username", "password") == {"username": "alice", "password": SITE_PASSWORD}


def test_cross_origin_button_action_warned(qvault_browser):
    # The form's own action is this site, but its submit button posts elsewhere.
    page = qvault_browser.open("a.example", "/cross-button-action")
    popup = open_unlocked_popup(qvault_browser, page)
    popup.click("[data-testid=entry]")
    wait_error(popup, "CROSS_ORIGIN_ACTION")
    assert f"http://b.example:{qvault_browser.server.port}" in popup_message(popup)
    assert field_values(page, "username", "password") == {"username": "", "password": ""}


def test_cross_origin_confirmation_names_origin(qvault_browser):
    page = qvault_browser.open("a.example", "/cross-action")
    popup = open_unlocked_popup(qvault_browser, page)
    reply = send_from_popup(popup, {"type": "fill", "entryId": qvault_browser.entries["alice"],
                                    "confirmActionOrigin": "http://evil.example"})
    assert reply["error"]["name"] == "CROSS_ORIGIN_ACTION"
    assert reply["error"]["details"]["formActionOrigin"] == f"http://b.example:{qvault_browser.server.port}"
    assert field_values(page, "username", "password") == {"username": "", "password": ""}


def test_cross_origin_frame_untouched(qvault_browser):
    page = qvault_browser.open("a.example", "/framed")
    popup = open_unlocked_popup(qvault_browser, page)
    assert entry_ids(popup) == [qvault_browser.entries["alice"]]

    popup.click("[data-testid=entry]")
    wait_error(popup, "CROSS_ORIGIN_FRAME")
    frame = qvault_browser.chromium.attach_frame(qvault_browser.url("b.example", "/login"))
    assert field_values(frame, "username", "password") == {"username": "", "password": ""}


def test_sibling_subdomain_frame_untouched(qvault_browser):
    page = qvault_browser.open("a.example", "/framed-sibling")
    popup = open_unlocked_popup(qvault_browser, page)
    popup.click("[data-testid=entry]")
    wait_error(popup, "CROSS_ORIGIN_FRAME")
    # Same-site frames run in the page's process, so DevTools shows no separate target for them.
    values = page.evaluate_in_frame(qvault_browser.url("login.a.example", "/login"),
                                    "[document.getElementById('username').value, document.getElementById('password').value]")
    assert values == ["", ""]


def test_same_origin_frame_filled(qvault_browser):
    page = qvault_browser.open("a.example", "/framed-same")
    page.wait_for("document.getElementById('frame').contentDocument.readyState === 'complete'", "the frame to load")
    popup = open_unlocked_popup(qvault_browser, page)
    popup.click("[data-testid=entry]")
    frame_value = "document.getElementById('frame').contentDocument.getElementById('{}').value"
    page.wait_for(frame_value.format("password") + " !== ''", "the frame's password field")
    assert page.evaluate(frame_value.format("username")) == "alice"
    assert page.evaluate(frame_value.format("password")) == SITE_PASSWORD


def test_https_entry_not_on_http_page(qvault_browser):
    page = qvault_browser.open("s.example", "/login")
    popup = open_unlocked_popup(qvault_browser, page)
    popup.wait_for(f"!{by_testid('empty')}.hidden", "the empty list")
    assert entry_ids(popup) == []

    reply = send_from_popup(popup, {"type": "fill", "entryId": qvault_browser.entries["https"]})
    assert reply["ok"] is False
    assert reply["error"]["name"] == "ORIGIN_MISMATCH"
    assert field_values(page, "username", "password") == {"username": "", "password": ""}


def test_other_origin_fill_rejected(qvault_browser):
    page = qvault_browser.open("b.example", "/login")
    popup = open_unlocked_popup(qvault_browser, page)
    assert entry_ids(popup) == []
    reply = send_from_popup(popup, {"type": "fill", "entryId": qvault_browser.entries["alice"]})
    assert reply["error"]["name"] == "ORIGIN_MISMATCH"
    assert field_values(page, "username", "password") == {"username": "", "password": ""}


def test_signup_offers_generator(qvault_browser):
    page = qvault_browser.open("a.example", "/signup")
    popup = open_unlocked_popup(qvault_browser, page)
    popup.click("[data-testid=entry]")
    wait_error(popup, "NEW_PASSWORD_FORM")
    assert field_values(page, "username", "new-password") == {"username": "", "new-password": ""}

    popup.wait_for(f"{by_testid('generator')}.open && {by_testid('generator-output')}.value.length === 20", "a generated password")
    generated = popup.evaluate(f"{by_testid('generator-output')}.value")
    popup.click("[data-testid=generator-fill]")
    wait_filled(page, "new-password")
    assert field_values(page, "new-password") == {"new-password": generated}
    assert generated != SITE_PASSWORD


def test_bad_messages_rejected(qvault_browser):
    page = qvault_browser.open("a.example", "/login")
    popup = open_unlocked_popup(qvault_browser, page)
    for message in ({"type": "fill"}, {"type": "nope"}, {"type": "fill", "entryId": 7},
                    {"type": "captured", "username": "x", "password": "y"}, {"type": "fill", "entryId": "x", "extra": 1}):
        reply = send_from_popup(popup, message)
        assert reply["ok"] is False, message
        assert reply["error"]["name"] == "BAD_MESSAGE", message
    assert field_values(page, "username", "password") == {"username": "", "password": ""}


def test_shortcut_handler_fills_best_match(qvault_browser):
    # Headless Chromium assigns no keyboard shortcut and DevTools cannot press a
    # browser accelerator, so this calls the commands.onCommand handler itself.
    page = qvault_browser.open("a.example", "/login")
    popup = open_unlocked_popup(qvault_browser, page)
    tab_id = popup.evaluate("chrome.tabs.query({active: true, currentWindow: true}).then(([tab]) => tab.id)")
    popup.evaluate("window.close()")

    worker = qvault_browser.chromium.attach_extension_target(EXTENSION_ID, "background.js")
    reply = worker.evaluate(f"qvaultOnCommand('fill-best-match', {{id: {tab_id}}})")
    assert reply["ok"] is True
    assert field_values(page, "username", "password") == {"username": "alice", "password": SITE_PASSWORD}


# Vault state.

def test_locked_vault_refuses_fill(qvault_browser):
    page = qvault_browser.open("a.example", "/login")
    popup = open_unlocked_popup(qvault_browser, page)
    assert entry_ids(popup) == [qvault_browser.entries["alice"]]

    popup.click("[data-testid=lock]")
    popup.wait_for(f"{by_testid('state')}.dataset.state === 'locked'", "the vault to lock")
    assert entry_ids(popup) == []

    for message in ({"type": "fill", "entryId": qvault_browser.entries["alice"]},
                    {"type": "reveal", "entryId": qvault_browser.entries["alice"], "field": "password"}):
        reply = send_from_popup(popup, message)
        assert reply["ok"] is False
        assert reply["error"]["name"] == "LOCKED"
    assert field_values(page, "username", "password") == {"username": "", "password": ""}

    popup = qvault_browser.popup(page)
    assert popup_state(popup) == "locked"
    assert "locked" in popup_message(popup)


# Clipboard, search, generator, wallets.

def read_clipboard(offscreen) -> str:
    return offscreen.evaluate("readText()")


def test_copy_password_and_clear(qvault_browser):
    page = qvault_browser.open("a.example", "/login")
    popup = open_unlocked_popup(qvault_browser, page)
    popup.click("[data-testid=copy-password]")
    popup.wait_for(f"{by_testid('message')}.dataset.copied === 'password'", "the copied message")

    offscreen = qvault_browser.chromium.attach_extension_target(EXTENSION_ID, "offscreen.html")
    assert read_clipboard(offscreen) == SITE_PASSWORD
    assert offscreen.evaluate("qvaultClipboardTimer.pending") is True
    assert offscreen.evaluate("qvaultClipboardTimer.runNow()") == "cleared"
    assert read_clipboard(offscreen) == ""


def test_clipboard_clear_keeps_other_text(qvault_browser):
    page = qvault_browser.open("a.example", "/login")
    popup = open_unlocked_popup(qvault_browser, page)
    popup.click("[data-testid=copy-password]")
    popup.wait_for(f"{by_testid('message')}.dataset.copied === 'password'", "the copied message")
    popup.evaluate("navigator.clipboard.writeText('copied by the person since')")

    offscreen = qvault_browser.chromium.attach_extension_target(EXTENSION_ID, "offscreen.html")
    assert offscreen.evaluate("qvaultClipboardTimer.runNow()") == "changed"
    assert read_clipboard(offscreen) == "copied by the person since"


def test_copy_totp_code(qvault_browser):
    page = qvault_browser.open("a.example", "/login")
    popup = open_unlocked_popup(qvault_browser, page)
    popup.click("[data-testid=copy-totp]")
    popup.wait_for(f"{by_testid('message')}.dataset.copied === 'totp'", "the copied message")
    offscreen = qvault_browser.chromium.attach_extension_target(EXTENSION_ID, "offscreen.html")
    code = read_clipboard(offscreen)
    assert code.isdigit()
    assert len(code) == 6


def test_vault_search(qvault_browser):
    page = qvault_browser.open("a.example", "/login")
    popup = open_unlocked_popup(qvault_browser, page)
    popup.evaluate(f"{by_testid('search')}.value = 'site'; {by_testid('search')}.dispatchEvent(new Event('input')); 1")
    popup.wait_for(f"{by_testid('search-area')}.dataset.query === 'site'", "the search results")
    ids = popup.evaluate("Array.from(document.querySelectorAll('[data-testid=result]'), (e) => e.dataset.entryId)")
    assert ids == [qvault_browser.entries["dave"], qvault_browser.entries["https"]]
    assert popup.evaluate(f"{by_testid('matches')}.hidden") is True


def test_generator_shows_password(qvault_browser):
    page = qvault_browser.open("a.example", "/login")
    popup = open_unlocked_popup(qvault_browser, page)
    popup.click("[data-testid=generator-toggle]")
    popup.wait_for(f"{by_testid('generator-output')}.value.length === 20", "a generated password")

    popup.evaluate(f"{by_testid('generator-length')}.value = '32'; {by_testid('generator-symbols')}.checked = false; 1")
    popup.click("[data-testid=generator-generate]")
    popup.wait_for(f"{by_testid('generator-output')}.value.length === 32", "a longer password")
    generated = popup.evaluate(f"{by_testid('generator-output')}.value")
    assert generated.isalnum()

    popup.click("[data-testid=generator-copy]")
    popup.wait_for(f"{by_testid('message')}.dataset.copied === 'generated'", "the copied message")
    offscreen = qvault_browser.chromium.attach_extension_target(EXTENSION_ID, "offscreen.html")
    assert read_clipboard(offscreen) == generated


def test_wallet_shows_address_not_seed(qvault_browser):
    page = qvault_browser.open("a.example", "/withdraw")
    popup = open_unlocked_popup(qvault_browser, page)
    popup.evaluate(f"{by_testid('search')}.value = 'cold'; {by_testid('search')}.dispatchEvent(new Event('input')); 1")
    popup.wait_for("document.querySelector('[data-testid=wallet]') !== null", "the wallet card")

    assert popup.evaluate(f"{by_testid('address-start')}.textContent") == ADDRESS[:6]
    assert popup.evaluate(f"{by_testid('address-end')}.textContent") == ADDRESS[-6:]
    assert popup.evaluate(f"{by_testid('wallet-address')}.dataset.address") == ADDRESS
    html = popup.evaluate("document.documentElement.outerHTML")
    assert "abandon" not in html

    popup.click("[data-testid=fill-address]")
    page.wait_for("document.getElementById('recipient').value !== ''", "the address to be filled")
    assert field_values(page, "recipient", "amount") == {"recipient": ADDRESS, "amount": ""}


# Saving.

def type_login(page, username: str, password: str) -> None:
    page.evaluate(
        f"for (const [id, value] of [['username', {json.dumps(username)}], ['password', {json.dumps(password)}]]) {{"
        " const input = document.getElementById(id); input.focus(); input.value = value;"
        " input.dispatchEvent(new Event('input', {bubbles: true})); } 1"
    )


def submit_typed_login(browser: QvaultBrowser, site: str, username: str, password: str):
    """Open the popup on the page (which starts watching it), close it, type a login and submit."""
    page = browser.open(site, "/login")
    popup = open_unlocked_popup(browser, page)
    popup.evaluate("window.close()")
    type_login(page, username, password)
    page.click("#submit")
    wait_until(lambda: browser.server.submissions, 10, "the form post")
    page.wait_for("document.getElementById('done') !== null", "the page after the post")
    return page


def test_save_on_submit_new_entry(qvault_browser):
    page = submit_typed_login(qvault_browser, "c.example", "carol", "carol's new password")
    popup = open_unlocked_popup(qvault_browser, page)
    popup.wait_for(f"!{by_testid('save-offer')}.hidden", "the save offer")
    assert popup.evaluate(f"{by_testid('save-offer')}.dataset.kind") == "new"
    assert "carol" in popup.evaluate(f"{by_testid('save-text')}.textContent")

    popup.click("[data-testid=save-login]")
    popup.wait_for(f"{by_testid('message')}.textContent === 'Login saved.'", "the saved message")
    assert qvault_browser.cli("get", "password", "c.example").strip() == "carol's new password"
    assert qvault_browser.cli("get", "username", "c.example").strip() == "carol"


def test_update_conflict_loses_nothing(qvault_browser):
    page = submit_typed_login(qvault_browser, "d.example", "dave", "dave's browser password")
    popup = open_unlocked_popup(qvault_browser, page)
    popup.wait_for(f"!{by_testid('save-offer')}.hidden", "the update offer")
    assert popup.evaluate(f"{by_testid('save-offer')}.dataset.kind") == "update"
    shown_revision = int(popup.evaluate(f"{by_testid('save-offer')}.dataset.revision"))

    # The CLI changes the same entry while the popup shows the offer.
    qvault_browser.cli("edit", "--password", qvault_browser.entries["dave"], stdin_lines=("dave's cli password",) * 2)
    popup.click("[data-testid=save-login]")
    wait_error(popup, "CONFLICT")
    assert "Nothing was saved" in popup_message(popup)
    assert qvault_browser.cli("get", "password", qvault_browser.entries["dave"]).strip() == "dave's cli password"

    popup.wait_for(f"{by_testid('save-offer')}.dataset.revision === '{shown_revision + 1}'", "the offer at the new revision")
    popup.click("[data-testid=save-login]")
    popup.wait_for(f"{by_testid('message')}.textContent === 'Password updated.'", "the updated message")
    assert qvault_browser.cli("get", "password", qvault_browser.entries["dave"]).strip() == "dave's browser password"


def test_no_secret_in_profile_or_logs(qvault_browser):
    assert files_containing(qvault_browser.workspace, SITE_PASSWORD) == []
    assert files_containing(qvault_browser.workspace, MASTER_PASSWORD) == ["pinentry-passwords"]


# A browser without the host.

@pytest.fixture
def browser_without_host(tmp_path, site_server):
    browser = start_browser(tmp_path, site_server, with_host=False)
    try:
        yield browser
    finally:
        browser.chromium.stop()


def test_host_missing_message(browser_without_host):
    page = browser_without_host.open("a.example", "/login")
    popup = browser_without_host.popup(page)
    assert popup_state(popup) == "error"
    assert "not installed" in popup_message(popup)
    assert "install.py" in popup_message(popup)
