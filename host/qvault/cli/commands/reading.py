"""Commands that read entries: list, search, show, get."""

from qvault.cli import session
from qvault.cli.commands import display
from qvault.cli.io import Console
from qvault.entries import CRYPTO_SECRET_FIELDS, totp
from qvault.errors import EntryValidationError, PromptCancelled
from qvault.vault import Entry, Vault

CONFIRM_WORD = "reveal"


def confirm_crypto_reveal(console: Console, entry: Entry, fields: list[str]) -> None:
    """Require the user to type a word before a seed phrase or private key is printed."""
    names = ", ".join(field.replace("_", " ") for field in fields)
    answer = console.line(
        f"The {names} of '{entry.title}' can spend funds; anyone who sees it can take them.\n"
        f"Type '{CONFIRM_WORD}' to print it: ",
        "the confirmation",
    )
    if answer.strip().lower() != CONFIRM_WORD:
        raise PromptCancelled(f"not confirmed; the {names} was not shown")


def _print_entries(console: Console, args, entries: list[Entry]) -> None:
    entries = sorted(entries, key=lambda entry: (entry.title.casefold(), entry.id))
    if getattr(args, "type", None):
        entries = [entry for entry in entries if entry.type == args.type]
    if getattr(args, "tag", None):
        entries = [entry for entry in entries if args.tag.casefold() in entry.metadata.get("tags", [])]
    if args.json:
        console.json([display.list_document(entry) for entry in entries])
        return
    for line in display.list_lines(entries):
        console.out(line)


def list_entries(console: Console, args) -> int:
    with session.open_unlocked(console, args) as vault:
        _print_entries(console, args, vault.entries())
    return 0


def search(console: Console, args) -> int:
    with session.open_unlocked(console, args) as vault:
        _print_entries(console, args, session.search(vault.entries(), args.query))
    return 0


def show(console: Console, args) -> int:
    """Print an entry; secrets are masked unless --reveal (crypto ones also need typing)."""
    with session.open_unlocked(console, args) as vault:
        entry = session.find_entry(vault, args.query)
        secret = vault.get_secret(entry.id)
    if args.reveal and display.needs_confirmation(secret):
        confirm_crypto_reveal(console, entry, display.needs_confirmation(secret))
    if args.json:
        document = display.list_document(entry)
        document["secret"] = secret if args.reveal else {key: None for key in secret}
        document["revealed"] = bool(args.reveal)
        console.json(document)
        return 0
    for line in display.show_lines(entry, secret, args.reveal):
        console.out(line)
    return 0


def field_value(console: Console, vault: Vault, entry: Entry, field: str) -> str:
    """Return one field as text: 'totp' gives the current code, 'url' the first URL.

    Custom fields are found by name. Crypto secrets need the typed confirmation.
    """
    name = field.strip().lower().replace("-", "_")
    metadata = entry.metadata
    secret = vault.get_secret(entry.id)
    if name in CRYPTO_SECRET_FIELDS and name in secret:
        confirm_crypto_reveal(console, entry, [name])
    if name == "totp" and "totp" in secret:
        return totp.code(totp.parse(secret["totp"]), console.clock())
    if name == "totp_uri" and "totp" in secret:
        return secret["totp"]
    if name == "url" and metadata.get("urls"):
        return metadata["urls"][0]
    if name == "id":
        return entry.id
    for source in (secret, metadata):
        if name in source:
            value = source[name]
            return "\n".join(map(str, value)) if isinstance(value, list) and not isinstance(value[0], dict) else str(value)
    for item in metadata.get("fields", []) + secret.get("hidden_fields", []):
        if item["name"].casefold() == field.strip().casefold():
            return item["value"]
    available = sorted({key for key in list(metadata) + list(secret) if key not in ("type", "fields", "hidden_fields")})
    raise EntryValidationError(f"{entry.type} '{entry.title}' has no field {field!r}; it has: {', '.join(available)}")


def get(console: Console, args) -> int:
    """Print one field's value and nothing else, for scripts."""
    with session.open_unlocked(console, args) as vault:
        entry = session.find_entry(vault, args.query)
        value = field_value(console, vault, entry, args.field)
    console.out(value)
    return 0
