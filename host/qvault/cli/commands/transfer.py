"""Commands that move entries in and out of the vault: import and export.

With --password-stdin the prompts read stdin lines in this order: the master
password, then the source's password (KDBX or a Qvault export) for import, or the
export password for `export --encrypted`.
"""

import argparse
import pathlib
from typing import Callable

from qvault import importers, plural
from qvault.cli import session
from qvault.cli.commands import admin
from qvault.cli.io import Console
from qvault.errors import PromptError
from qvault.exporters import ExportError, bitwarden_csv, bitwarden_json, encrypted, fields, plainfile
from qvault.importers import engine
from qvault.importers.records import ReadOptions, SourceError
from qvault.vault.kdf import calibrate

PLAINTEXT_FORMATS = {"bitwarden-json": bitwarden_json.render, "csv": bitwarden_csv.render}
PLAINTEXT_FLAG = "--i-understand-this-is-plaintext"
EXPORT_PASSWORD_WARN_CHARS = 12


def register(command: Callable[[str, Callable, str], argparse.ArgumentParser]) -> None:
    """Add the import and export subcommands through main's command() helper."""
    names = ", ".join(importers.FORMATS)
    source = command("import", import_entries, "import entries from another password manager's export")
    source.add_argument("format", metavar="FORMAT", choices=[importers.AUTO, *importers.FORMATS], help=f"auto, or one of: {names}")
    source.add_argument("file", metavar="FILE", help="the export file, or the store folder for pass")
    source.add_argument("--dry-run", action="store_true", help="show the report without writing anything")
    source.add_argument("--strict", action="store_true", help="write nothing if any record cannot be imported")
    source.add_argument("--allow-duplicates", action="store_true", help="also import entries with the same type, title, username and first URL as an existing one")
    source.add_argument("--replace", action="store_true", help="qvault format: overwrite entries that have the same id as an exported one")
    source.add_argument("--encoding", metavar="NAME", help="CSV text encoding (default: UTF-8, else cp1252 with a notice)")
    source.add_argument("--keyfile", metavar="FILE", help="kdbx format: the database's key file")
    source.add_argument("--json", action="store_true", help="print the report as JSON")

    target = command("export", export_entries, "export entries: encrypted, or plaintext with a confirmation flag")
    target.add_argument("file", metavar="FILE", help="file to create")
    kind = target.add_mutually_exclusive_group(required=True)
    kind.add_argument("--encrypted", action="store_true", help="write a Qvault vault file under a new export password")
    kind.add_argument("--format", choices=sorted(PLAINTEXT_FORMATS), help="write plaintext in this format")
    target.add_argument(PLAINTEXT_FLAG, dest="plaintext_confirmed", action="store_true", help="required with --format: confirm that the file will contain unencrypted secrets")
    target.add_argument("--include-crypto-secrets", action="store_true", help="with --format: also write seed phrases, BIP39 passphrases and private keys")
    target.add_argument("--force", action="store_true", help="replace an existing file")
    target.add_argument("--kdf-memory-kib", type=int, metavar="KIB", help="--encrypted: Argon2id memory in KiB (minimum 65536)")
    target.add_argument("--kdf-iterations", type=int, metavar="N", help="--encrypted: Argon2id passes (minimum 3 at 64 MiB)")
    target.add_argument("--kdf-parallelism", type=int, metavar="N", help="--encrypted: Argon2id lanes")


def import_entries(console: Console, args) -> int:
    """Parse the source before unlocking, so a wrong file costs no key derivation."""
    path = pathlib.Path(args.file).expanduser()
    if args.replace and args.format not in ("qvault", importers.AUTO):
        raise SourceError("--replace applies only to the qvault format (a Qvault encrypted export)")
    with session.open_vault(console, args) as vault:
        password = session.read_master_password(console)
        options = ReadOptions(encoding=args.encoding, ask_password=console.secret, keyfile=args.keyfile, progress_stream=console.stderr)
        parsed = importers.read_source(args.format, path, options)
        for notice in parsed.notices:
            console.info(f"qvault: {notice}")
        session.unlock(vault, password, args)

        planned, report = engine.plan(parsed, vault.entries(), allow_duplicates=args.allow_duplicates, replace=args.replace)
        report.source = str(path)
        report.dry_run = args.dry_run
        blocked = args.strict and bool(report.problems)
        if not args.dry_run and not blocked and planned:
            engine.apply(vault, planned, console.stderr)
        report.written = not args.dry_run and not blocked

    if args.json:
        console.json(report.as_json())
    else:
        console.out(report.render())
    if blocked:
        raise SourceError(f"{len(report.problems)} record(s) could not be imported and --strict is set; nothing was written")
    if report.problems and not args.dry_run:
        console.info(f"qvault: warning: {len(report.problems)} record(s) were not imported; see the list above")
    return 0


def export_entries(console: Console, args) -> int:
    path = pathlib.Path(args.file).expanduser()
    if args.encrypted:
        return _export_encrypted(console, args, path)

    if not args.plaintext_confirmed:
        raise ExportError(f"a {args.format} export writes every password unencrypted; add {PLAINTEXT_FLAG} to confirm")
    if path.exists() and not args.force:
        raise ExportError(f"{path}: a file already exists; choose another name or pass --force to replace it")
    console.info(f"qvault: warning: {path} will hold your secrets in PLAINTEXT; delete it securely once it is imported elsewhere")
    with session.open_unlocked(console, args) as vault:
        entries = fields.read_all(vault, args.include_crypto_secrets)
    data = PLAINTEXT_FORMATS[args.format](entries)
    plainfile.write_private(path, data, force=args.force)

    omitted = sum(1 for entry in entries if entry.omitted)
    console.info(f"exported {plural.entries(len(entries))} to {path} ({args.format}, plaintext, mode 0600)")
    if omitted:
        console.info(
            f"qvault: note: left out the seed phrases and private keys of {plural.entries(omitted)}; "
            "pass --include-crypto-secrets to export them too"
        )
    return 0


def _export_encrypted(console: Console, args, path: pathlib.Path) -> int:
    if args.plaintext_confirmed or args.include_crypto_secrets:
        raise ExportError(f"{PLAINTEXT_FLAG} and --include-crypto-secrets apply to --format; an encrypted export always contains every field")
    if path.exists() and not args.force:
        raise ExportError(f"{path}: a file already exists; choose another name or pass --force to replace it")
    params = admin.kdf_params_from_args(args)
    with session.open_unlocked(console, args) as vault:
        password = console.new_secret("Export password: ", "the export password")
        if not password:
            raise PromptError("the export password is empty")
        if len(password) < EXPORT_PASSWORD_WARN_CHARS:
            console.info(f"qvault: warning: the export password has fewer than {EXPORT_PASSWORD_WARN_CHARS} characters")
        if params is None:
            console.info("calibrating the key derivation for this computer...")
            params = calibrate()
        count = encrypted.write(vault, path, password, params, force=args.force, clock=console.clock)
    console.info(f"exported {plural.entries(count)} to {path} (encrypted; restore with 'qvault import qvault {path}')")
    return 0
