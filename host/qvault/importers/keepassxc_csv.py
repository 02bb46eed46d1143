"""KeePassXC CSV export.

Columns: "Group","Title","Username","Password","URL","Notes","TOTP","Icon",
"Last Modified","Created". The group path starts with the root group's name
('Root/Email/Work'); the path below the root becomes one tag ('email/work').
TOTP contains an otpauth:// URI. Icon and times are dropped.
"""

import pathlib

from qvault.importers import csvread
from qvault.importers.records import ParsedSource, ReadOptions

COLUMNS = {"group", "title", "username", "password", "url", "notes"}


def group_tag(path: str) -> str | None:
    """Return the group path below the root group, or None for entries in the root."""
    parts = [part for part in path.split("/") if part.strip()]
    return "/".join(parts[1:]) or None


def read(path: pathlib.Path, options: ReadOptions) -> ParsedSource:
    parsed = ParsedSource("keepassxc")
    for row in csvread.open_source(path, options.encoding, parsed, COLUMNS, "KeePassXC"):

        def build(row=row):
            draft = csvread.login_draft(row, title="title", notes="notes", totp="totp")
            draft.add_tag(group_tag(row.get("group")))
            return draft.record()

        parsed.add(row.location, build)
    return parsed
