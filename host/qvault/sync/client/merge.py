"""Three-way merge of one sync round, per entry, against the base copy of the last sync.

For each entry changed locally, remotely, or both since the base:

- only local: push it;
- only remote: apply the server's row;
- both, same decrypted contents (or both deleted): take the server's row;
- deleted here, edited there: take the edit;
- edited here, deleted there: keep the local edit as a new revision over the tombstone;
- edited on both sides to different contents: a conflict. The server's version
  keeps the id and the local version becomes a new entry titled
  "<title> (conflict copy YYYY-MM-DD)".

Nothing is dropped in any case, and every non-trivial outcome yields a notice for
the user. Notices name entries by title, because they are shown to the owner of
the vault; they are never logged.
"""

import dataclasses
import datetime
import uuid
from typing import Callable

from qvault.vault.replica import RawRow

# (metadata, secret) of a live row, or None for a tombstone.
Contents = tuple[dict, dict] | None


@dataclasses.dataclass
class Plan:
    """What one sync round writes locally and pushes."""

    # Server rows written verbatim into the vault.
    apply: list[RawRow] = dataclasses.field(default_factory=list)
    # Encrypted writes after the rows above: (id, expected revision or None, metadata, secret).
    puts: list[tuple[str, int | None, dict, dict]] = dataclasses.field(default_factory=list)
    # Ids whose vault row must be pushed after the local writes.
    push: set[str] = dataclasses.field(default_factory=set)
    notices: list[str] = dataclasses.field(default_factory=list)
    conflicts: int = 0


def conflict_title(title: str, today: datetime.date) -> str:
    suffix = f"(conflict copy {today.isoformat()})"
    return f"{title} {suffix}" if title else suffix


def plan_merge(
    base: dict[str, RawRow],
    local: dict[str, RawRow],
    remote: dict[str, RawRow],
    open_row: Callable[[RawRow], Contents],
    today: datetime.date,
    new_id: Callable[[], str] = lambda: str(uuid.uuid4()),
) -> Plan:
    """Plan the merge. local and remote hold only rows that differ from their base copy.

    open_row decrypts and authenticates a row; every remote row passed here was
    already checked with it.
    """
    plan = Plan()
    for entry_id in sorted(local.keys() | remote.keys()):
        local_row, remote_row = local.get(entry_id), remote.get(entry_id)
        if remote_row is None:
            plan.push.add(entry_id)
            continue
        if local_row is None or local_row == remote_row:
            # Only the server changed it, or both devices hold the same row already
            # (a push whose response was lost).
            plan.apply.append(remote_row)
            continue
        _merge_both(plan, local_row, remote_row, open_row, today, new_id)
    return plan


def _merge_both(
    plan: Plan,
    local_row: RawRow,
    remote_row: RawRow,
    open_row: Callable[[RawRow], Contents],
    today: datetime.date,
    new_id: Callable[[], str],
) -> None:
    local_contents, remote_contents = open_row(local_row), open_row(remote_row)
    plan.apply.append(remote_row)
    if local_contents == remote_contents:
        return

    if local_contents is None:
        title = remote_contents[0].get("title", "")
        plan.notices.append(f"'{title}' was deleted on this device but edited on another; the edit was kept")
        return

    metadata, secret = local_contents
    title = metadata.get("title", "")
    if remote_contents is None:
        plan.puts.append((local_row.id, remote_row.revision, metadata, secret))
        plan.push.add(local_row.id)
        plan.notices.append(f"'{title}' was deleted on another device but edited on this one; the edit was kept")
        return

    copy_id = new_id()
    copy_metadata = dict(metadata, title=conflict_title(title, today))
    plan.puts.append((copy_id, None, copy_metadata, secret))
    plan.push.add(copy_id)
    plan.conflicts += 1
    remote_title = remote_contents[0].get("title", "")
    plan.notices.append(
        f"conflict: '{remote_title}' was edited on two devices; the other device's version keeps the entry "
        f"and this device's version is now '{copy_metadata['title']}'"
    )
