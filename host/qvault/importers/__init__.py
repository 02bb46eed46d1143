"""Importing other password managers' exports: `qvault import FORMAT FILE`.

Each format has a reader, read(path, ReadOptions) -> ParsedSource, that turns the
source into records without touching the vault; engine.plan validates and
de-duplicates them and engine.apply writes them in one transaction.
docs/import-export.md lists what each format maps and loses.
"""

import dataclasses
import pathlib
from typing import Callable

from qvault.importers import (
    bitwarden_csv,
    bitwarden_json,
    browsers,
    detect,
    kdbx,
    keepassxc_csv,
    lastpass,
    onepassword_csv,
    onepux,
    passstore,
    qvault_backup,
)
from qvault.importers.records import ParsedSource, ReadOptions, SourceError

AUTO = "auto"


@dataclasses.dataclass(frozen=True)
class Format:
    """One importable format: its reader and a one-line description for --help."""

    name: str
    reader: Callable[[pathlib.Path, ReadOptions], ParsedSource]
    description: str


FORMATS: dict[str, Format] = {
    item.name: item
    for item in (
        Format("chrome", browsers.read_chrome, "Chrome, Edge, Brave, Opera or Vivaldi passwords CSV"),
        Format("firefox", browsers.read_firefox, "Firefox logins CSV"),
        Format("safari", browsers.read_safari, "Safari or Apple Passwords CSV"),
        Format("bitwarden", bitwarden_csv.read, "Bitwarden CSV"),
        Format("bitwarden-json", bitwarden_json.read, "Bitwarden JSON, unencrypted (also Qvault's own JSON export)"),
        Format("lastpass", lastpass.read, "LastPass CSV"),
        Format("1password", onepassword_csv.read, "1Password 8 CSV"),
        Format("1pux", onepux.read, "1Password 1PUX archive"),
        Format("keepassxc", keepassxc_csv.read, "KeePassXC CSV"),
        Format("kdbx", kdbx.read, "KeePass or KeePassXC database, KDBX 3.1 or 4 (needs pykeepass)"),
        Format("pass", passstore.read, "pass store folder (needs gpg)"),
        Format("qvault", qvault_backup.read, "Qvault encrypted export (qvault export --encrypted)"),
    )
}


def read_source(format_name: str, path: pathlib.Path, options: ReadOptions) -> ParsedSource:
    """Read path with the named format, or detect it first for 'auto' (a notice names the choice)."""
    notices = []
    if format_name == AUTO:
        format_name = detect.detect(path, options.encoding)
        notices.append(f"detected format {format_name} ({FORMATS[format_name].description})")
    if format_name not in FORMATS:
        raise SourceError(f"import format {format_name!r} is unknown; use auto or one of {', '.join(FORMATS)}")
    parsed = FORMATS[format_name].reader(path, options)
    parsed.notices[:0] = notices
    return parsed


__all__ = ["AUTO", "FORMATS", "Format", "ParsedSource", "ReadOptions", "SourceError", "read_source"]
