"""Browser password exports: Chrome (also Edge, Brave, Opera, Vivaldi), Firefox, Safari.

Columns, as the browsers write them:
- Chrome: name,url,username,password and, since Chrome 119, note.
- Firefox: url,username,password,httpRealm,formActionOrigin,guid,timeCreated,
  timeLastUsed,timePasswordChanged (times in milliseconds since 1970).
- Safari (and Apple Passwords): Title,URL,Username,Password,Notes,OTPAuth.
Every row becomes a login.
"""

import pathlib
import urllib.parse

from qvault.importers import csvread
from qvault.importers.records import ParsedSource, ReadOptions

CHROME_COLUMNS = {"name", "url", "username", "password"}
FIREFOX_COLUMNS = {"url", "username", "password", "httprealm", "formactionorigin", "guid"}
SAFARI_COLUMNS = {"title", "url", "username", "password", "notes", "otpauth"}


def read_chrome(path: pathlib.Path, options: ReadOptions) -> ParsedSource:
    parsed = ParsedSource("chrome")
    for row in csvread.open_source(path, options.encoding, parsed, CHROME_COLUMNS, "Chrome"):

        def build(row=row):
            return csvread.login_draft(row, title="name", notes="note").record()

        parsed.add(row.location, build)
    return parsed


def _origin(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def read_firefox(path: pathlib.Path, options: ReadOptions) -> ParsedSource:
    """Firefox has no titles, so the host name becomes the title; the times are dropped."""
    parsed = ParsedSource("firefox")
    for row in csvread.open_source(path, options.encoding, parsed, FIREFOX_COLUMNS, "Firefox"):

        def build(row=row):
            draft = csvread.login_draft(row)
            url = row.get("url").strip()
            draft.add_field("HTTP realm", row.get("httprealm"))
            action = row.get("formactionorigin").strip()
            # Most rows repeat the page's own origin here; only a different one is worth keeping.
            if action and url and _origin(action) != _origin(url):
                draft.add_field("Form action origin", action)
            return draft.record()

        parsed.add(row.location, build)
    return parsed


def read_safari(path: pathlib.Path, options: ReadOptions) -> ParsedSource:
    parsed = ParsedSource("safari")
    for row in csvread.open_source(path, options.encoding, parsed, SAFARI_COLUMNS, "Safari"):

        def build(row=row):
            return csvread.login_draft(row, title="title", notes="notes", totp="otpauth").record()

        parsed.add(row.location, build)
    return parsed
