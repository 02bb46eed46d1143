"""Start Firefox ESR headless and drive it over WebDriver BiDi (no geckodriver).

Firefox's own BiDi server listens on 127.0.0.1; session.new opens a session and
webExtension.install loads the unpacked extension as a temporary add-on. BiDi
cannot navigate to moz-extension:// pages, so --remote-allow-system-access lets
the tests open popup.html in a tab from the browser's chrome scope.
"""

import json
import pathlib
import shutil
import socket
import subprocess
import time

import websocket

from browser.chromium import wait_until

FIREFOX_BINARY = shutil.which("firefox-esr") or "/usr/bin/firefox-esr"
COMMAND_TIMEOUT_SECONDS = 30
# A fixed moz-extension:// host for the add-on, so tests know its pages' URLs.
EXTENSION_UUID = "0a2f0000-0000-4000-8000-000000000001"


class BidiError(Exception):
    """A BiDi command failed or timed out."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Firefox:
    """One headless Firefox process with its own profile and one BiDi session."""

    def __init__(self, profile: pathlib.Path, environment: dict[str, str], gecko_id: str, preferences: dict[str, object]):
        self.profile = profile
        self.environment = environment
        self.gecko_id = gecko_id
        self.preferences = preferences
        self.process: subprocess.Popen | None = None
        self.socket = None
        self._next_id = 1

    def start(self) -> None:
        self.profile.mkdir(parents=True, exist_ok=True)
        preferences = {"extensions.webextensions.uuids": json.dumps({self.gecko_id: EXTENSION_UUID}), **self.preferences}
        (self.profile / "user.js").write_text(
            "".join(f"user_pref({json.dumps(name)}, {json.dumps(value)});\n" for name, value in preferences.items()), encoding="utf-8")
        port = free_port()
        log_file = open(self.profile.parent / "firefox.log", "ab")
        with log_file:
            self.process = subprocess.Popen(
                [FIREFOX_BINARY, "--headless", "--no-remote", "--profile", str(self.profile),
                 "--remote-debugging-port", str(port), "--remote-allow-system-access"],
                env=self.environment, stdin=subprocess.DEVNULL, stdout=log_file, stderr=log_file)

        def connect():
            if self.process.poll() is not None:
                raise RuntimeError(f"Firefox exited with status {self.process.returncode}")
            try:
                # Firefox rejects WebSocket handshakes that carry an Origin header.
                return websocket.create_connection(f"ws://127.0.0.1:{port}/session", suppress_origin=True,
                                                   timeout=COMMAND_TIMEOUT_SECONDS)
            except OSError:
                return None

        self.socket = wait_until(connect, 30, "Firefox's BiDi port")
        self.send("session.new", {"capabilities": {}})

    def stop(self) -> None:
        if self.socket is not None:
            try:
                self.send("session.end", {}, timeout=5)
            except (BidiError, OSError):
                pass
            self.socket.close()
            self.socket = None
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None

    def send(self, method: str, params: dict, timeout: float = COMMAND_TIMEOUT_SECONDS) -> dict:
        command_id = self._next_id
        self._next_id += 1
        self.socket.send(json.dumps({"id": command_id, "method": method, "params": params}))
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise BidiError(f"{method} timed out after {timeout} s")
            self.socket.settimeout(remaining)
            reply = json.loads(self.socket.recv())
            if reply.get("id") != command_id:
                continue  # An event.
            if reply.get("type") == "error":
                raise BidiError(f"{method} failed: {reply.get('error')}: {reply.get('message')}")
            return reply["result"]

    def evaluate(self, context: str, expression: str):
        result = self.send("script.evaluate", {"expression": expression, "target": {"context": context}, "awaitPromise": True})
        if result["type"] == "exception":
            raise BidiError(f"evaluating {expression[:80]!r} threw: {result['exceptionDetails']['text']}")
        return _value(result["result"])

    def install_extension(self, path: pathlib.Path) -> str:
        return self.send("webExtension.install", {"extensionData": {"type": "path", "path": str(path)}})["extension"]

    def contexts(self, scope: str | None = None) -> list[dict]:
        params = {"moz:scope": scope} if scope else {}
        return self.send("browsingContext.getTree", params)["contexts"]

    def open_tab(self, url: str) -> str:
        """Open url in a new tab from the chrome scope (works for moz-extension:// pages too); return its context id."""
        before = {context["context"] for context in self.contexts()}
        chrome = self.contexts("chrome")[0]["context"]
        self.evaluate(chrome, "gBrowser.selectedTab = gBrowser.addTab(" + json.dumps(url)
                      + ", {triggeringPrincipal: Services.scriptSecurityManager.getSystemPrincipal()}); true")
        return wait_until(lambda: next((context["context"] for context in self.contexts()
                                        if context["context"] not in before), None), 10, f"a tab showing {url}")

    def grant_active_tab(self, tab_index: int) -> None:
        """Grant activeTab on the tab at tab_index, as a click on the toolbar button would."""
        chrome = self.contexts("chrome")[0]["context"]
        self.evaluate(chrome, f"WebExtensionPolicy.getByID({json.dumps(self.gecko_id)}).extension.tabManager"
                      f".addActiveTabPermission(gBrowser.tabs[{tab_index}]); true")

    def wait_for(self, context: str, expression: str, description: str, timeout: float = 15):
        def check():
            try:
                return self.evaluate(context, expression)
            except BidiError:
                return None
        return wait_until(check, timeout, description)


def _value(remote: dict):
    """Turn a BiDi RemoteValue of a primitive, array or object into Python."""
    kind = remote.get("type")
    if kind in ("string", "number", "boolean"):
        return remote.get("value")
    if kind in ("null", "undefined"):
        return None
    if kind == "array":
        return [_value(item) for item in remote.get("value", [])]
    if kind == "object":
        return {key: _value(item) for key, item in remote.get("value", [])}
    return remote
