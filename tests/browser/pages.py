"""A local HTTP server on 127.0.0.1 that serves test login pages and records form posts.

Chromium maps *.example to this server (--host-resolver-rules), so one server
plays several sites; the Host header distinguishes them.
"""

import http.server
import threading
import urllib.parse

LOGIN_FORM = """
<form id="login" action="/submit" method="post">
  <label>User name <input id="username" name="username" autocomplete="username"></label>
  <label>Password <input id="password" name="password" type="password" autocomplete="current-password"></label>
  <button id="submit" type="submit">Sign in</button>
</form>
"""

PAGES = {
    "/login": LOGIN_FORM,
    "/password-only": """
<form id="login" action="/submit" method="post">
  <p>Signed in as alice. Confirm your password to continue.</p>
  <input id="password" name="password" type="password">
  <button id="submit" type="submit">Confirm</button>
</form>
""",
    "/hidden": """
<form id="login" action="/submit" method="post">
  <input id="tracking" name="tracking" type="hidden" value="keep-me">
  <input id="username" name="username" autocomplete="username">
  <input id="trap-text" name="email" style="display:none">
  <input id="trap-password" name="trap" type="password" style="visibility:hidden">
  <div style="display:none"><input id="nested-password" name="nested" type="password"></div>
  <input id="password" name="password" type="password">
  <button id="submit" type="submit">Sign in</button>
</form>
""",
    "/search": """
<form id="site-search" action="/search" role="search">
  <input id="query" name="q" type="search" placeholder="Search this site">
</form>
""" + LOGIN_FORM,
    "/cross-action": """
<form id="login" action="http://b.example:{port}/submit" method="post">
  <input id="username" name="username" autocomplete="username">
  <input id="password" name="password" type="password">
  <button id="submit" type="submit">Sign in</button>
</form>
""",
    "/cross-button-action": """
<form id="login" action="/submit" method="post">
  <input id="username" name="username" autocomplete="username">
  <input id="password" name="password" type="password">
  <button id="submit" type="submit" formaction="http://b.example:{port}/submit">Sign in</button>
</form>
""",
    "/framed": """
<p>The login form below comes from another site.</p>
<iframe id="frame" src="http://b.example:{port}/login" width="400" height="200"></iframe>
""",
    "/framed-sibling": """
<p>The login form below comes from a sibling subdomain.</p>
<iframe id="frame" src="http://login.a.example:{port}/login" width="400" height="200"></iframe>
""",
    "/framed-same": """
<p>The login form below comes from this site.</p>
<iframe id="frame" src="/login" width="400" height="200"></iframe>
""",
    "/two-step": """
<form id="step-one" action="/two-step-password" method="get">
  <input id="username" name="username" autocomplete="username">
  <button id="submit" type="submit">Next</button>
</form>
""",
    "/two-step-password": """
<form id="step-two" action="/submit" method="post">
  <input id="password" name="password" type="password" autocomplete="current-password">
  <button id="submit" type="submit">Sign in</button>
</form>
""",
    "/withdraw": """
<form id="withdraw" action="/submit" method="post">
  <label>Amount <input id="amount" name="amount" type="number"></label>
  <label>Recipient <input id="recipient" name="recipient" autofocus></label>
  <button id="submit" type="submit">Send</button>
</form>
""",
    "/signup": """
<form id="signup" action="/submit" method="post">
  <input id="username" name="username" autocomplete="username">
  <input id="new-password" name="new" type="password" autocomplete="new-password">
  <button id="submit" type="submit">Create account</button>
</form>
""",
}

PAGE_TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>
<body><h1>{title}</h1>{body}</body></html>
"""


class LoginSiteServer(http.server.ThreadingHTTPServer):
    """Serve PAGES and keep every form post in .submissions as (host, fields)."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.submissions: list[tuple[str, dict[str, list[str]]]] = []
        self._thread = threading.Thread(target=self.serve_forever, name="login-site-server", daemon=True)

    @property
    def port(self) -> int:
        return self.server_address[1]

    def start(self) -> "LoginSiteServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
        self._thread.join(timeout=5)


class _Handler(http.server.BaseHTTPRequestHandler):
    """Serve PAGES on GET; answer every POST with a "Submitted" page."""

    server: LoginSiteServer

    def log_message(self, format, *args):
        pass  # Keeps test output free of access-log lines.

    def _send(self, status: int, body: str) -> None:
        data = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        path = urllib.parse.urlsplit(self.path).path
        body = PAGES.get(path)
        if body is None:
            self._send(404, PAGE_TEMPLATE.format(title="Not found", body=""))
            return
        host = self.headers.get("Host", "")
        body = body.replace("{port}", str(self.server.port))
        self._send(200, PAGE_TEMPLATE.format(title=f"{host} {path}", body=body))

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        fields = urllib.parse.parse_qs(self.rfile.read(length).decode("utf-8"), keep_blank_values=True)
        self.server.submissions.append((self.headers.get("Host", ""), fields))
        self._send(200, PAGE_TEMPLATE.format(title="Submitted", body="<p id='done'>Thanks.</p>"))
