"""1Password 8 CSV export (logins and passwords only; 1PUX contains every category).

Columns: Title,Url,Username,Password,OTPAuth,Favorite,Archived,Tags,Notes. Tags are
separated by commas or semicolons. An archived item gets the tag 'archived'.
"""

import pathlib
import re

from qvault.importers import csvread
from qvault.importers.records import ParsedSource, ReadOptions

COLUMNS = {"title", "url", "username", "password", "otpauth", "archived", "tags", "notes"}
ARCHIVED_TAG = "archived"


def read(path: pathlib.Path, options: ReadOptions) -> ParsedSource:
    parsed = ParsedSource("1password")
    for row in csvread.open_source(path, options.encoding, parsed, COLUMNS, "1Password"):

        def build(row=row):
            draft = csvread.login_draft(row, title="title", notes="notes", totp="otpauth")
            for tag in re.split(r"[,;]", row.get("tags")):
                draft.add_tag(tag)
            if row.get("archived").strip().lower() == "true":
                draft.add_tag(ARCHIVED_TAG)
            return draft.record()

        parsed.add(row.location, build)
    return parsed
