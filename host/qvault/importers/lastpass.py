"""LastPass CSV export.

Columns: url,username,password,totp,extra,name,grouping,fav. A secure note has the
URL 'http://sn' and its text in 'extra'. A structured note ('extra' starting with
'NoteType:') contains 'Key:Value' lines. Credit cards become cards and servers
become server entries. Other note types become secure notes with all their lines.
The folder ('grouping', backslash-separated) becomes a tag.
"""

import pathlib
import re

from qvault.importers import csvread
from qvault.importers.records import Draft, ParsedSource, ReadOptions

COLUMNS = {"url", "username", "password", "extra", "name", "grouping"}
SECURE_NOTE_URL = "http://sn"
_MONTHS = {
    name: number
    for number, name in enumerate(
        ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"),
        start=1,
    )
}


def _structured(extra: str) -> tuple[str, dict[str, str], list[str]]:
    """Split 'NoteType:X' text into (X, {key: value}, lines of the free-text 'Notes:' part)."""
    lines = extra.replace("\r\n", "\n").split("\n")
    note_type = lines[0].partition(":")[2].strip()
    values: dict[str, str] = {}
    notes: list[str] = []
    for index, line in enumerate(lines[1:], start=1):
        key, _, value = line.partition(":")
        if key == "Notes":
            # Everything after 'Notes:' is the free text, newlines included.
            notes = [value] + lines[index + 1 :]
            break
        if key:
            values[key] = value
    return note_type, values, notes


def _expiry(text: str) -> str | None:
    """Convert LastPass's 'January,2027' to '01/2027'; return other text unchanged."""
    match = re.fullmatch(r"\s*([A-Za-z]+),\s*(\d{4})\s*", text)
    if match and match.group(1).lower() in _MONTHS:
        return f"{_MONTHS[match.group(1).lower()]:02d}/{match.group(2)}"
    return text.strip() or None


def _card(draft: Draft, values: dict[str, str]) -> None:
    draft.set("cardholder", values.pop("Name on Card", None))
    draft.set("number", values.pop("Number", None))
    draft.set("cvv", values.pop("Security Code", None))
    draft.set("expiry", _expiry(values.pop("Expiration Date", "")))
    values.pop("Type", None)


def _server(draft: Draft, values: dict[str, str]) -> None:
    draft.set("host", values.pop("Hostname", None))
    draft.set("username", values.pop("Username", None))
    draft.set("password", values.pop("Password", None))


_NOTE_TYPES = {"Credit Card": ("card", _card), "Server": ("server", _server)}


def _secure_note(row: csvread.CsvRow) -> Draft:
    extra = row.get("extra")
    if not extra.startswith("NoteType:"):
        draft = Draft("note", row.location)
        draft.set("notes", extra)
        return draft
    note_type, values, notes = _structured(extra)
    entry_type, mapper = _NOTE_TYPES.get(note_type, ("note", None))
    draft = Draft(entry_type, row.location)
    if mapper is None:
        draft.set("notes", extra)
        return draft
    mapper(draft, values)
    draft.set("notes", "\n".join(notes))
    for key, value in values.items():
        draft.add_field(key, value)
    return draft


def read(path: pathlib.Path, options: ReadOptions) -> ParsedSource:
    parsed = ParsedSource("lastpass")
    for row in csvread.open_source(path, options.encoding, parsed, COLUMNS, "LastPass"):

        def build(row=row):
            if row.get("url").strip() == SECURE_NOTE_URL:
                draft = _secure_note(row)
            else:
                draft = Draft("login", row.location)
                draft.add_url(row.get("url"))
                draft.set("username", row.get("username"))
                draft.set("password", row.get("password"))
                draft.set_totp(row.get("totp"))
                draft.set("notes", row.get("extra"))
            draft.set("title", row.get("name"))
            grouping = row.get("grouping").strip()
            if grouping:
                draft.add_tag(grouping.replace("\\", "/"))
            return draft.record()

        parsed.add(row.location, build)
    return parsed
