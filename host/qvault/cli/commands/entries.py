"""Commands that change entries: add, edit, rm."""

from qvault.cli import entry_options, session
from qvault.cli.io import Console
from qvault.entries import build_entry, merged_fields
from qvault.errors import EntryValidationError, PromptCancelled


def add(console: Console, args) -> int:
    """Validate the new entry before unlocking, so a typo costs no key derivation."""
    vault = session.open_vault(console, args)
    with vault:
        password = session.read_master_password(console)
        fields = entry_options.collect(console, args, args.entry_type, entry_options.OPTIONS[args.entry_type])
        metadata, secret = build_entry(args.entry_type, fields)
        session.unlock(vault, password, args)
        entry = vault.add_entry(metadata, secret)
    console.info(f"added {entry.type} '{entry.title}'")
    console.out(entry.id)
    return 0


def edit(console: Console, args) -> int:
    """Apply the given options over the stored fields; --clear removes fields."""
    with session.open_unlocked(console, args) as vault:
        entry = session.find_entry(vault, args.query)
        changes = entry_options.collect(console, args, entry.type, entry_options.all_options())
        fields = merged_fields(entry.metadata, vault.get_secret(entry.id))
        for name in args.clear or []:
            field = name.replace("-", "_")
            if field not in fields:
                raise EntryValidationError(f"--clear {name}: the entry has no field {field!r}")
            del fields[field]
        if not changes and not args.clear:
            raise EntryValidationError("nothing to change; pass at least one option such as --title or --password")
        fields.update(changes)
        metadata, secret = build_entry(entry.type, fields)
        updated = vault.update_entry(entry.id, entry.revision, metadata, secret)
    console.info(f"updated {updated.type} '{updated.title}' (revision {updated.revision})")
    return 0


def remove(console: Console, args) -> int:
    """Replace an entry with a tombstone, after a confirmation unless --yes."""
    with session.open_unlocked(console, args) as vault:
        entry = session.find_entry(vault, args.query)
        if not args.yes and not console.confirm(f"Delete {entry.type} '{entry.title}' ({entry.id})?"):
            raise PromptCancelled("not confirmed; nothing was deleted")
        vault.delete_entry(entry.id, entry.revision)
    console.info(f"deleted {entry.type} '{entry.title}'")
    return 0
