"""Validating, de-duplicating and writing parsed records: all in one vault batch.

plan() validates every record with qvault.entries.build_entry and compares it
with the vault's entries, without writing anything. apply() writes the planned
entries in one Vault.batch() transaction, so an import is saved completely or not at all.
"""

import dataclasses
import json
import logging
import uuid

from qvault import limits
from qvault.entries import build_entry
from qvault.errors import EntryValidationError
from qvault.importers.progress import progress_bar
from qvault.importers.records import ImportRecord, ParsedSource, Problem
from qvault.importers.report import ImportReport
from qvault.vault import Entry, Vault

log = logging.getLogger(__name__)


@dataclasses.dataclass
class PlannedEntry:
    """One entry ready to write: new (expected_revision None) or replacing entry_id."""

    record: ImportRecord
    entry_id: str
    expected_revision: int | None
    metadata: dict
    secret: dict = dataclasses.field(repr=False)


def duplicate_key(metadata: dict) -> tuple[str, str, str, str]:
    """Return the case-folded (type, title, username, first URL) that identifies duplicates."""
    urls = metadata.get("urls") or [""]
    return (
        str(metadata.get("type", "")),
        str(metadata.get("title", "")).casefold(),
        str(metadata.get("username", "")).casefold(),
        str(urls[0]).casefold().rstrip("/"),
    )


def _too_large(part: dict) -> bool:
    # The vault pads and encrypts compact JSON, so this is the size before padding.
    encoded = json.dumps(part, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")
    return len(encoded) > limits.ENTRY_PLAINTEXT_MAX_BYTES


def plan(
    parsed: ParsedSource,
    existing: list[Entry],
    *,
    allow_duplicates: bool = False,
    replace: bool = False,
) -> tuple[list[PlannedEntry], ImportReport]:
    """Validate every record; return what to write and the report (not yet written).

    A duplicate is a record whose (type, title, username, first URL) equals an
    existing entry's or an earlier record's in the same source. With replace, a
    record that carries an entry id (from a Qvault export) overwrites the live
    entry with that id. Every other record gets a new id.
    """
    report = ImportReport(parsed.format, "", problems=list(parsed.problems), notices=list(parsed.notices))
    by_id = {entry.id: entry for entry in existing}
    seen = {duplicate_key(entry.metadata): f"entry {entry.id[:8]} '{entry.title}' in the vault" for entry in existing}
    planned: list[PlannedEntry] = []

    for record in parsed.records:
        try:
            metadata, secret = build_entry(record.entry_type, record.fields)
        except EntryValidationError as error:
            report.problems.append(Problem(record.location, str(error)))
            continue
        if _too_large(metadata) or _too_large(secret):
            report.problems.append(Problem(record.location, f"the entry is over {limits.ENTRY_PLAINTEXT_MAX_BYTES} bytes"))
            continue

        target = by_id.get(record.entry_id) if replace and record.entry_id else None
        key = duplicate_key(metadata)
        if target is None and not allow_duplicates and key in seen:
            report.duplicates.append(Problem(record.location, f"{metadata['type']} '{metadata['title']}' duplicates {seen[key]}"))
            continue
        seen.setdefault(key, record.location)

        if target is not None:
            planned.append(PlannedEntry(record, target.id, target.revision, metadata, secret))
            report.replaced += 1
        else:
            planned.append(PlannedEntry(record, str(uuid.uuid4()), None, metadata, secret))
        report.counts[metadata["type"]] += 1
        report.warnings += [Problem(record.location, warning) for warning in record.warnings]
    report.sort()
    return planned, report


def apply(vault: Vault, planned: list[PlannedEntry], progress_stream=None) -> None:
    """Write every planned entry in one transaction, so on any error nothing is saved."""
    with progress_bar(progress_stream, len(planned), "importing") as bar:
        with vault.batch() as batch:
            for item in planned:
                batch.put(item.entry_id, item.expected_revision, item.metadata, item.secret)
                bar.advance()
    log.info("imported %d entries into %s", len(planned), vault.path)
