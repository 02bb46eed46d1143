"""The import report: what was (or would be) imported, skipped as a duplicate, or failed."""

import collections
import dataclasses
import re

from qvault import plural
from qvault.importers.records import Problem


@dataclasses.dataclass
class ImportReport:
    """Outcome of one import; render() gives the text the CLI prints."""

    format: str
    source: str
    dry_run: bool = False
    written: bool = False
    counts: collections.Counter = dataclasses.field(default_factory=collections.Counter)
    replaced: int = 0
    duplicates: list[Problem] = dataclasses.field(default_factory=list)
    problems: list[Problem] = dataclasses.field(default_factory=list)
    warnings: list[Problem] = dataclasses.field(default_factory=list)
    notices: list[str] = dataclasses.field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def summary(self) -> str:
        by_type = ", ".join(f"{count} {entry_type}" for entry_type, count in sorted(self.counts.items()))
        detail = f": {by_type}" if by_type else ""
        replaced = ""
        if self.replaced == 1:
            replaced = " (1 replacing an existing entry)"
        elif self.replaced:
            replaced = f" ({self.replaced} replacing existing entries)"
        total = plural.entries(self.total)
        if self.dry_run:
            return f"Would import {total} from {self.format} {self.source}{detail}{replaced}; dry run, nothing was written"
        if not self.written:
            ready = "was" if self.total == 1 else "were"
            return f"Imported nothing from {self.format} {self.source}; {total} {ready} ready{detail}"
        return f"Imported {total} from {self.format} {self.source}{detail}{replaced}"

    def sort(self) -> None:
        """Order each list by its place in the source ('line 9' before 'line 10')."""
        for items in (self.duplicates, self.problems, self.warnings):
            items.sort(key=lambda item: _natural_key(item.location))

    def render(self) -> str:
        lines = [self.summary()]
        sections = (
            ("Skipped {n} duplicate(s) (pass --allow-duplicates to import them):", self.duplicates),
            ("Could not import {n} record(s):", self.problems),
            ("Warnings ({n}):", self.warnings),
        )
        for heading, items in sections:
            if items:
                lines.append(heading.format(n=len(items)))
                lines += [f"  {item.location}: {item.reason}" for item in items]
        return "\n".join(lines)

    def as_json(self) -> dict:
        def listing(items: list[Problem]) -> list[dict]:
            return [{"location": item.location, "reason": item.reason} for item in items]

        return {
            "format": self.format,
            "source": self.source,
            "dry_run": self.dry_run,
            "written": self.written,
            "counts": dict(self.counts),
            "replaced": self.replaced,
            "duplicates": listing(self.duplicates),
            "problems": listing(self.problems),
            "warnings": listing(self.warnings),
            "notices": list(self.notices),
        }


def _natural_key(location: str) -> list:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", location)]
