"""Commands that produce values: generate, totp, copy."""

from qvault.cli import clipboard, session
from qvault.cli.commands.reading import field_value
from qvault.cli.io import Console
from qvault.entries import CRYPTO_SECRET_FIELDS, generator, totp
from qvault.errors import EntryValidationError


def generate(console: Console, args) -> int:
    """Print a random password, or a passphrase with --words; entropy goes to stderr."""
    if args.words:
        result = generator.passphrase(args.words, separator=args.separator, capitalize=args.capitalize)
    else:
        classes = tuple(name for name in generator.CLASSES if not getattr(args, f"no_{name}"))
        result = generator.password(
            args.length, classes=classes, exclude_lookalikes=args.exclude_lookalikes, exclude=args.exclude or ""
        )
    if args.json:
        console.json({"value": result.value, "entropy_bits": result.entropy_bits})
    else:
        console.out(result.value)
        console.info(f"entropy: {result.entropy_bits:.1f} bits")
    return 0


def totp_code(console: Console, args) -> int:
    """Print the current TOTP code of an entry; the seconds left go to stderr."""
    with session.open_unlocked(console, args) as vault:
        entry = session.find_entry(vault, args.query)
        uri = vault.get_secret(entry.id).get("totp")
    if not uri:
        raise EntryValidationError(f"{entry.type} '{entry.title}' has no TOTP secret; add one with 'qvault edit --totp'")
    params = totp.parse(uri)
    now = console.clock()
    console.out(totp.code(params, now))
    console.info(f"valid for {totp.seconds_remaining(params, now)} more seconds")
    return 0


def copy(console: Console, args) -> int:
    """Copy one field to the clipboard and clear it after --clear-after seconds."""
    name = args.field.strip().lower().replace("-", "_")
    if name in CRYPTO_SECRET_FIELDS:
        raise EntryValidationError(
            f"{args.field} is never copied: clipboard managers keep history; use 'qvault show --reveal' and copy by hand"
        )
    with session.open_unlocked(console, args) as vault:
        entry = session.find_entry(vault, args.query)
        value = field_value(console, vault, entry, args.field)
    tool = clipboard.copy(value, args.clear_after)
    when = f"; clearing it in {args.clear_after} s" if args.clear_after > 0 else ""
    console.info(f"copied the {args.field} of '{entry.title}' with {tool.name}{when}")
    return 0
