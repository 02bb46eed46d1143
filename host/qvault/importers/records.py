"""The parsed form of a source file: records to import, problems and notices.

Every reader turns a product's export into ImportRecords, each holding the input
dict that qvault.entries.build_entry validates, plus the place in the source it
came from (a physical line, an item number or a file path). A reader never
writes to the vault; the engine validates, de-duplicates and writes in one batch.
"""

import dataclasses
import logging
import urllib.parse
from typing import Callable, TextIO

from qvault.entries import common, totp
from qvault.errors import EntryValidationError, QvaultError

log = logging.getLogger(__name__)

# Entry types whose builder accepts custom fields; other types keep extra values
# as 'Name: value' lines in their notes, which are secret in every type.
TYPES_WITH_CUSTOM_FIELDS = {"login"}
UNTITLED = "Untitled"


class SourceError(QvaultError):
    """The source file cannot be read or parsed as a whole, so nothing is imported."""


class WrongSourcePassword(SourceError):
    """The source file's own password (or key file) did not open it. The master password is not involved."""


@dataclasses.dataclass
class ReadOptions:
    """Reader settings besides the path: --encoding, a password prompt, --keyfile."""

    encoding: str | None = None
    # Called with a prompt and a description only by readers of encrypted sources.
    ask_password: Callable[[str, str], str] | None = None
    keyfile: str | None = None
    # Where a reader that takes long per record may draw a progress bar (stderr).
    progress_stream: TextIO | None = None


@dataclasses.dataclass
class ImportRecord:
    """One entry to import: build_entry input, its place in the source and warnings."""

    location: str
    entry_type: str
    fields: dict = dataclasses.field(repr=False)
    warnings: list[str] = dataclasses.field(default_factory=list)
    # Entry id kept from a Qvault backup, used by --replace.
    entry_id: str | None = None


@dataclasses.dataclass
class Problem:
    """A record that could not be imported, and why (never quoting a secret)."""

    location: str
    reason: str


@dataclasses.dataclass
class ParsedSource:
    """Everything a reader produced from one source."""

    format: str
    records: list[ImportRecord] = dataclasses.field(default_factory=list)
    problems: list[Problem] = dataclasses.field(default_factory=list)
    notices: list[str] = dataclasses.field(default_factory=list)

    def add(self, location: str, build) -> None:
        """Call build() -> ImportRecord | None and keep its record, or its error as a Problem."""
        try:
            record = build()
        except EntryValidationError as error:
            self.problems.append(Problem(location, str(error)))
            return
        if record is not None:
            self.records.append(record)


def present(value) -> str | None:
    """Return value as text without surrounding whitespace, or None when blank."""
    if value is None:
        return None
    if not isinstance(value, str):
        value = str(value)
    value = value.strip()
    return value or None


class Draft:
    """An entry being assembled from source columns, with the fallbacks every reader shares.

    Values are checked only where a reader would otherwise lose a whole record for
    a side issue: an invalid URL is kept as a custom field and a Steam Guard code
    as a hidden field, each with a warning. build_entry checks everything else.
    """

    def __init__(self, entry_type: str, location: str):
        self.entry_type = entry_type
        self.location = location
        self.fields: dict = {}
        self.warnings: list[str] = []
        self._urls: list[str] = []
        self._tags: list[str] = []
        self._visible: list[dict] = []
        self._hidden: list[dict] = []
        self._note_lines: list[str] = []
        self._names: set[str] = set()

    def set(self, name: str, value) -> None:
        """Set a field unless value is blank; a password keeps its surrounding spaces."""
        if name == "password":
            if isinstance(value, str) and value != "":
                self.fields[name] = value
            return
        text = present(value)
        if text is not None:
            self.fields[name] = text

    def add_url(self, value) -> None:
        text = present(value)
        if text is None:
            return
        try:
            common.url(text)
        except EntryValidationError as error:
            self.warnings.append(f"{error}; kept as custom field 'URL'")
            self.add_field("URL", text)
            return
        self._urls.append(text)

    def add_tag(self, value) -> None:
        text = present(value)
        if text is not None:
            self._tags.append(text)

    def set_totp(self, value) -> None:
        """Store a TOTP secret or otpauth URI in the canonical form qvault.entries.totp writes.

        An invalid value raises EntryValidationError, so the record is reported
        instead of silently losing its second factor.
        """
        text = present(value)
        if text is None:
            return
        if text.lower().startswith("steam://"):
            self.warnings.append("Steam Guard codes are not supported; kept as hidden field 'Steam TOTP'")
            self.add_field("Steam TOTP", text, hidden=True)
            return
        self.fields["totp"] = totp.normalize(text)

    def add_field(self, name, value, *, hidden: bool = False) -> None:
        """Add a custom field, renaming repeated names 'Name (2)', 'Name (3)'..."""
        if value is None:
            return
        text = value if isinstance(value, str) else str(value)
        if not text.strip():
            return
        label = present(name) or "Field"
        if self.entry_type not in TYPES_WITH_CUSTOM_FIELDS:
            self.add_note_line(f"{label}: {text}")
            return
        unique, counter = label, 2
        while unique.casefold() in self._names:
            unique = f"{label} ({counter})"
            counter += 1
        self._names.add(unique.casefold())
        (self._hidden if hidden else self._visible).append({"name": unique, "value": text})

    @property
    def has_urls(self) -> bool:
        return bool(self._urls)

    def add_note_line(self, line: str) -> None:
        self._note_lines.append(line)

    def record(self) -> ImportRecord:
        """Finish the entry: join notes, pick a title when the source has none."""
        fields = dict(self.fields)
        if self._urls:
            fields["urls"] = self._urls
        if self._tags:
            fields["tags"] = self._tags
        if self._visible:
            fields["fields"] = self._visible
        if self._hidden:
            fields["hidden_fields"] = self._hidden
        if self._note_lines:
            notes = [fields["notes"]] if fields.get("notes") else []
            fields["notes"] = "\n".join(notes + self._note_lines)
        if not present(fields.get("title")):
            fields["title"] = self._fallback_title(fields)
        return ImportRecord(self.location, self.entry_type, fields, self.warnings)

    def _fallback_title(self, fields: dict) -> str:
        for candidate in self._urls:
            host = urllib.parse.urlsplit(candidate if "://" in candidate else f"https://{candidate}").hostname
            if host:
                return host
        return present(fields.get("username")) or present(fields.get("host")) or UNTITLED
