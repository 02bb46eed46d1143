"""End to end in Firefox ESR, headless, driven over WebDriver BiDi.

The extension is installed as a temporary add-on (webExtension.install) and the
host by install.py --browser firefox into a temporary HOME. BiDi cannot click the
toolbar button, so the tests open popup.html?tab=<id> in a tab and grant activeTab
on the page's tab the way the toolbar click does, from the browser's chrome scope.
"""

import json
import os
import pathlib
import shutil
import subprocess
import sys

import pytest

from browser.firefox import EXTENSION_UUID, FIREFOX_BINARY, Firefox
from browser.pages import LoginSiteServer
from conftest import skip_or_fail
from qvault.extension_ids import GECKO_EXTENSION_IDS
from test_e2e_chromium import EXTENSION, INSTALLER, MASTER_PASSWORD, SITE_PASSWORD, make_vault, write_pinentry_wrapper

pytestmark = pytest.mark.browser

GECKO_ID = GECKO_EXTENSION_IDS[0]
POPUP_URL = f"moz-extension://{EXTENSION_UUID}/popup.html"
PREFERENCES = {
    # Every host name resolves to the local test server; nothing leaves the machine.
    "network.dns.forceResolve": "127.0.0.1",
    "network.proxy.type": 0,
    "dom.security.https_first": False,
    "dom.security.https_first_schemeless": False,
    "browser.shell.checkDefaultBrowser": False,
    "app.normandy.enabled": False,
    "app.update.enabled": False,
    "datareporting.policy.dataSubmissionEnabled": False,
    "toolkit.telemetry.enabled": False,
    "browser.newtabpage.enabled": False,
    "browser.startup.homepage": "about:blank",
    "extensions.update.enabled": False,
    "services.settings.server": "http://127.0.0.1:1/",
}


@pytest.fixture(scope="module")
def site_server():
    server = LoginSiteServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def firefox(tmp_path_factory, site_server):
    if shutil.which(FIREFOX_BINARY) is None:
        skip_or_fail(f"Firefox ESR is not installed at {FIREFOX_BINARY} (apt-get install firefox-esr)")
    workspace = tmp_path_factory.mktemp("qvault-firefox")
    home = workspace / "home"
    home.mkdir()
    vault_path = workspace / "vault.qvault"
    entries = make_vault(vault_path, site_server.port)
    pinentry = workspace / "pinentry"
    write_pinentry_wrapper(pinentry)
    password_file = workspace / "pinentry-passwords"
    password_file.write_text(MASTER_PASSWORD + "\n", encoding="utf-8")

    environment = {key: value for key, value in os.environ.items() if key not in ("DISPLAY", "WAYLAND_DISPLAY", "XDG_CONFIG_HOME", "XDG_DATA_HOME")}
    environment.update(HOME=str(home), QVAULT_VAULT=str(vault_path), QVAULT_PINENTRY=str(pinentry),
                       SCRIPTED_PINENTRY_PASSWORD_FILE=str(password_file), MOZ_HEADLESS="1")
    subprocess.run([sys.executable, str(INSTALLER), "--browser", "firefox", "--python", sys.executable, "--vault", str(vault_path)],
                   env=environment, check=True, capture_output=True, text=True)

    browser = Firefox(workspace / "profile", environment, GECKO_ID, PREFERENCES)
    browser.start()
    try:
        browser.installed_id = browser.install_extension(EXTENSION)
        browser.entries = entries
        browser.port = site_server.port
        yield browser
    finally:
        browser.stop()


def popup_ready(firefox, context: str) -> None:
    firefox.wait_for(context, "document.body.dataset.ready === 'true'", "the popup to load its state")


def test_firefox_loads_extension(firefox):
    assert firefox.installed_id == GECKO_ID


def test_firefox_reaches_host(firefox):
    popup = firefox.open_tab(POPUP_URL)
    popup_ready(firefox, popup)
    assert firefox.evaluate(popup, "document.querySelector('[data-testid=state]').dataset.state") == "locked"


def test_firefox_fill(firefox):
    page = firefox.open_tab(f"http://a.example:{firefox.port}/login")
    firefox.wait_for(page, "document.readyState === 'complete' && !!document.getElementById('password')", "the login page")
    page_index = firefox.evaluate(firefox.contexts("chrome")[0]["context"], "gBrowser.tabs.indexOf(gBrowser.selectedTab)")
    firefox.grant_active_tab(page_index)

    helper = firefox.open_tab(POPUP_URL)
    popup_ready(firefox, helper)
    tab_id = firefox.evaluate(helper, f"browser.tabs.query({{}}).then((tabs) => tabs.find((tab) => tab.index === {page_index}).id)")

    popup = firefox.open_tab(f"{POPUP_URL}?tab={tab_id}")
    popup_ready(firefox, popup)
    if firefox.evaluate(popup, "document.querySelector('[data-testid=state]').dataset.state") == "locked":
        firefox.evaluate(popup, "document.querySelector('[data-testid=unlock]').click(), true")
    firefox.wait_for(popup, "document.querySelectorAll('[data-testid=entry]').length === 1", "the matching login")
    firefox.evaluate(popup, "document.querySelector('[data-testid=entry]').click(), true")

    firefox.wait_for(page, "document.getElementById('password').value !== ''", "the password field to be filled")
    values = firefox.evaluate(page, "[document.getElementById('username').value, document.getElementById('password').value]")
    assert values == ["alice", SITE_PASSWORD]
