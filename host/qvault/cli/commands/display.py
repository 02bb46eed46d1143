"""Rendering entries for list and show, with secrets masked unless revealed."""

import datetime
import unicodedata

from qvault.entries import CRYPTO_SECRET_FIELDS
from qvault.vault import Entry

MASK = "********"
# Titles up to this many terminal columns are padded so the summaries line up;
# a longer title pushes its own summary to the right instead of widening every line.
TITLE_COLUMN_MAX = 40
_LABELS = {
    "urls": "URL",
    "tags": "tags",
    "addresses": "address",
    "birth_date": "birth date",
    "derivation_path": "path",
    "ssh_key": "SSH key",
    "private_key": "private key",
    "national_id": "national id",
}


def updated_text(entry: Entry) -> str:
    moment = datetime.datetime.fromtimestamp(entry.updated_at / 1000, tz=datetime.timezone.utc)
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def summary(entry: Entry) -> str:
    """Return the most useful non-secret detail of an entry for a list line."""
    metadata = entry.metadata
    if entry.type == "card" and metadata.get("last4"):
        return f"{metadata.get('brand', 'card')} ...{metadata['last4']}"
    if entry.type == "wallet":
        return " ".join(str(part) for part in (metadata.get("coin"), metadata.get("derivation_path")) if part)
    for key in ("username", "email", "host", "coin"):
        if metadata.get(key):
            return str(metadata[key])
    return ""


def terminal_width(text: str) -> int:
    """Return the columns text takes in a terminal: East Asian wide and full-width characters take two."""
    return sum(2 if unicodedata.east_asian_width(character) in ("W", "F") else 1 for character in text)


def list_lines(entries: list[Entry]) -> list[str]:
    """Return one line per entry: short id, type, title and summary, in aligned columns."""
    title_width = min(max((terminal_width(entry.title) for entry in entries), default=0), TITLE_COLUMN_MAX)
    lines = []
    for entry in entries:
        padding = " " * max(title_width - terminal_width(entry.title), 0)
        lines.append(f"{entry.id[:8]}  {entry.type:<8}  {entry.title}{padding}  {summary(entry)}".rstrip())
    return lines


def list_document(entry: Entry) -> dict:
    return {"id": entry.id, "revision": entry.revision, "updated_at": entry.updated_at, **entry.metadata}


def show_lines(entry: Entry, secret: dict | None, reveal: bool) -> list[str]:
    """Return 'label: value' lines, with secrets masked unless reveal is true.

    The caller asks for the typed confirmation before revealing crypto secrets.
    """
    rows: list[tuple[str, str]] = [("id", entry.id), ("type", entry.type), ("title", entry.title)]
    for key, value in entry.metadata.items():
        if key in ("type", "title"):
            continue
        if key == "fields":
            rows += [(f"field {item['name']}", item["value"]) for item in value]
        elif isinstance(value, list):
            rows += [(_LABELS.get(key, key), str(item)) for item in value]
        else:
            rows.append((_LABELS.get(key, key.replace("_", " ")), str(value)))
    rows += [("revision", str(entry.revision)), ("updated", updated_text(entry))]
    for key, value in (secret or {}).items():
        label = _LABELS.get(key, key.replace("_", " "))
        if key == "hidden_fields":
            rows += [(f"hidden {item['name']}", item["value"] if reveal else MASK) for item in value]
        else:
            rows.append((label, str(value) if reveal else MASK))
    width = max(len(label) for label, _ in rows) + 1
    lines = []
    for label, value in rows:
        first, *rest = value.split("\n") or [""]
        lines.append(f"{label + ':':<{width}} {first}")
        lines += [f"{'':<{width}} {line}" for line in rest]
    return lines


def needs_confirmation(secret: dict) -> list[str]:
    return [key for key in secret if key in CRYPTO_SECRET_FIELDS]
