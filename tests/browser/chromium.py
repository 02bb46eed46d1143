"""Start Debian's Chromium headless with an unpacked extension, and drive it over CDP.

Debian's /usr/bin/chromium is a wrapper that adds --load-extension for every folder
under /usr/share/chromium/extensions, so tests start the binary itself.
"""

import base64
import json
import os
import pathlib
import subprocess
import time

from browser.cdp import CdpClient, CdpError

CHROMIUM_BINARY = pathlib.Path("/usr/lib/chromium/chromium")
START_TIMEOUT_SECONDS = 30
POLL_SECONDS = 0.05

# Variables that would send traffic through a proxy or make Chromium use the
# developer's own folders instead of the test's.
_DROPPED_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY",
                      "ALL_PROXY", "NO_PROXY", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME",
                      "XDG_STATE_HOME", "DISPLAY", "WAYLAND_DISPLAY")


def wait_until(condition, timeout: float, description: str):
    """Poll condition() until it returns a truthy value; return that value."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout} s waiting for {description}")
        time.sleep(POLL_SECONDS)


class Chromium:
    """One headless Chromium process with its own profile folder."""

    def __init__(self, profile: pathlib.Path, extension: pathlib.Path, environment: dict[str, str],
                 extra_arguments: list[str] = ()):
        self.profile = profile
        self.extension = extension
        self.environment = {key: value for key, value in environment.items() if key not in _DROPPED_VARIABLES}
        self.extra_arguments = list(extra_arguments)
        self.process: subprocess.Popen | None = None
        self.cdp: CdpClient | None = None
        self.log_path = profile.parent / "chromium.log"

    def command(self) -> list[str]:
        arguments = [
            str(CHROMIUM_BINARY),
            "--headless=new",
            f"--user-data-dir={self.profile}",
            f"--load-extension={self.extension}",
            f"--disable-extensions-except={self.extension}",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-proxy-server",
            "--disable-features=HttpsUpgrades,HttpsFirstBalancedModeAutoEnable",
            "--remote-debugging-address=127.0.0.1",
            "--remote-debugging-port=0",
        ]
        if os.geteuid() == 0:
            # Chromium's sandbox refuses to run as root.
            arguments.append("--no-sandbox")
        return arguments + self.extra_arguments + ["about:blank"]

    def start(self) -> CdpClient:
        self.profile.mkdir(parents=True, exist_ok=True)
        port_file = self.profile / "DevToolsActivePort"
        with open(self.log_path, "ab") as log_file:
            self.process = subprocess.Popen(self.command(), env=self.environment, stdin=subprocess.DEVNULL,
                                            stdout=log_file, stderr=log_file)

        def endpoint():
            if self.process.poll() is not None:
                raise RuntimeError(f"Chromium exited with status {self.process.returncode}; see {self.log_path}")
            try:
                lines = port_file.read_text().splitlines()
            except FileNotFoundError:
                return None
            return lines if len(lines) >= 2 else None

        port, path = wait_until(endpoint, START_TIMEOUT_SECONDS, "Chromium's DevTools port")
        self.cdp = CdpClient(f"ws://127.0.0.1:{port}{path}")
        return self.cdp

    def stop(self) -> None:
        if self.cdp is not None:
            try:
                self.cdp.send("Browser.close", timeout=5)
            except (CdpError, OSError):
                pass
            self.cdp.close()
            self.cdp = None
        if self.process is not None:
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None

    # Pages and the popup.

    def open_page(self, url: str) -> "Page":
        target_id = self.cdp.send("Target.createTarget", {"url": url})["targetId"]
        session_id = self.cdp.send("Target.attachToTarget", {"targetId": target_id, "flatten": True})["sessionId"]
        page = Page(self.cdp, target_id, session_id)
        page.wait_for("document.readyState === 'complete' && location.href !== 'about:blank'", "the page to load")
        return page

    def attach_frame(self, url: str) -> "Page":
        """Attach to a cross-site iframe, which Chromium runs as its own "iframe" target."""
        def frame_target():
            targets = self.cdp.send("Target.getTargets")["targetInfos"]
            found = [target for target in targets if target["type"] == "iframe" and target["url"] == url]
            return found[0] if found else None

        target = wait_until(frame_target, 10, f"an iframe showing {url}")
        session_id = self.cdp.send("Target.attachToTarget", {"targetId": target["targetId"], "flatten": True})["sessionId"]
        return Page(self.cdp, target["targetId"], session_id)

    def close_page(self, page: "Page") -> None:
        try:
            self.cdp.send("Target.closeTarget", {"targetId": page.target_id}, timeout=5)
        except CdpError:
            pass  # Already closed, for example a popup that closed itself.

    def attach_extension_target(self, extension_id: str, path: str, timeout: float = 10) -> "Page":
        """Attach to the extension's target whose URL starts with path (a service worker or offscreen document)."""
        prefix = f"chrome-extension://{extension_id}/{path}"

        def find():
            targets = self.cdp.send("Target.getTargets")["targetInfos"]
            found = [target for target in targets if target["url"].startswith(prefix)]
            return found[0] if found else None

        target = wait_until(find, timeout, f"an extension target at {prefix}")
        session_id = self.cdp.send("Target.attachToTarget", {"targetId": target["targetId"], "flatten": True})["sessionId"]
        return Page(self.cdp, target["targetId"], session_id)

    def tab_target_of(self, page: "Page") -> str:
        """Return the id of the "tab" target holding page (Extensions.triggerAction wants it)."""
        url = page.evaluate("location.href")
        tabs = self.cdp.send("Target.getTargets", {"filter": [{"type": "tab"}]})["targetInfos"]
        matching = [tab["targetId"] for tab in tabs if tab.get("url") == url]
        if len(matching) != 1:
            raise RuntimeError(f"expected one tab showing {url}, found {len(matching)}: {json.dumps(tabs)[:500]}")
        return matching[0]

    def open_popup(self, extension_id: str, page: "Page") -> "Page":
        """Click the extension's toolbar button on page, which grants activeTab, and attach to the popup."""
        self.cdp.send("Target.activateTarget", {"targetId": page.target_id})
        tab_id = self.tab_target_of(page)
        self.cdp.send("Extensions.triggerAction", {"id": extension_id, "targetId": tab_id})

        popup_url = f"chrome-extension://{extension_id}/popup.html"

        def popup_target():
            targets = self.cdp.send("Target.getTargets")["targetInfos"]
            found = [target for target in targets if target["type"] == "page" and target["url"].startswith(popup_url)]
            return found[0] if found else None

        target = wait_until(popup_target, 10, "the extension popup")
        session_id = self.cdp.send("Target.attachToTarget", {"targetId": target["targetId"], "flatten": True})["sessionId"]
        popup = Page(self.cdp, target["targetId"], session_id)
        popup.wait_for("document.body && document.body.dataset.ready === 'true'", "the popup to load its state")
        return popup


class Page:
    """One attached page target (a web page or the popup)."""

    def __init__(self, cdp: CdpClient, target_id: str, session_id: str):
        self.cdp = cdp
        self.target_id = target_id
        self.session_id = session_id

    def evaluate(self, expression: str, timeout: float = 30):
        return self.cdp.evaluate(self.session_id, expression, timeout=timeout)

    def wait_for(self, expression: str, description: str, timeout: float = 15):
        """Poll a JavaScript expression until it is truthy; return its value."""
        def check():
            try:
                return self.evaluate(expression)
            except CdpError:
                # The document may be between navigations.
                return None
        return wait_until(check, timeout, description)

    def evaluate_in_frame(self, frame_url: str, expression: str):
        """Evaluate in an isolated world of the child frame showing frame_url (same-site frames share the page's target)."""
        tree = self.cdp.send("Page.getFrameTree", session_id=self.session_id)["frameTree"]
        frames = [child["frame"] for child in tree.get("childFrames", []) if child["frame"]["url"] == frame_url]
        if len(frames) != 1:
            raise CdpError(f"expected one child frame showing {frame_url}, found {len(frames)}")
        context = self.cdp.send("Page.createIsolatedWorld", {"frameId": frames[0]["id"], "worldName": "qvault-test"},
                                session_id=self.session_id)["executionContextId"]
        result = self.cdp.send("Runtime.evaluate", {"expression": expression, "contextId": context, "returnByValue": True},
                               session_id=self.session_id)
        return result["result"].get("value")

    def click(self, selector: str) -> None:
        self.evaluate(f"document.querySelector({json.dumps(selector)}).click()")

    def screenshot(self, path: pathlib.Path) -> None:
        data = self.cdp.send("Page.captureScreenshot", {"format": "png"}, session_id=self.session_id)["data"]
        path.write_bytes(base64.b64decode(data))
