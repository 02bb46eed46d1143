"""`qvault` command line: the argument parser and the dispatch to commands.

Exit status: 0 success, 1 an error reported on stderr as one 'qvault: error:'
line (and 'qvault: hint:' lines), 2 a usage error, 130 interrupted.
"""

import argparse
import contextlib
import logging
import sys
import time
from typing import Callable, TextIO

from qvault.cli import clipboard, entry_options
from qvault.cli.commands import admin, entries, reading, tools
from qvault.cli.commands import crypto as crypto_commands
from qvault.cli.commands import doctor as doctor_command
from qvault.cli.commands import sync as sync_commands
from qvault.cli.commands import transfer
from qvault.cli.commands import serve as serve_command
from qvault.cli.io import Console
from qvault.entries import TYPES, generator
from qvault.errors import AmbiguousQuery, QvaultError, WrongPassword
from qvault.importers.records import WrongSourcePassword

log = logging.getLogger(__name__)

_HINTS = {
    WrongPassword: "passwords are case-sensitive; 'qvault recover' resets a forgotten one with the recovery code",
    WrongSourcePassword: "passwords are case-sensitive; this is the password of the file being imported, "
    "not your master password, which is checked after it",
}


def _common(parser: argparse.ArgumentParser, suppress: bool) -> None:
    """Options accepted before and after the command name."""
    default = argparse.SUPPRESS if suppress else None
    parser.add_argument("--vault", metavar="PATH", default=default, help="vault file (default: $QVAULT_VAULT, else the per-user data folder)")
    parser.add_argument("--secret-key-file", metavar="FILE", default=default, help="file with the vault's secret key")
    parser.add_argument(
        "--password-stdin",
        action="store_true",
        default=argparse.SUPPRESS if suppress else False,
        help="read the master password from the first line of stdin, and each later prompt from the next line",
    )


def _kdf_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--kdf-memory-kib", type=int, metavar="KIB", help="Argon2id memory in KiB (minimum 65536)")
    parser.add_argument("--kdf-iterations", type=int, metavar="N", help="Argon2id passes (minimum 3 at 64 MiB)")
    parser.add_argument("--kdf-parallelism", type=int, metavar="N", help="Argon2id lanes")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="qvault", description="Local password and crypto-secret vault.")
    _common(parser, suppress=False)
    common = argparse.ArgumentParser(add_help=False)
    _common(common, suppress=True)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def command(name: str, handler: Callable, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, parents=[common], help=help_text, description=help_text)
        sub.set_defaults(handler=handler)
        return sub

    init = command("init", admin.init, "create a new vault and show its recovery code")
    _kdf_options(init)
    init.add_argument("--qr", action=argparse.BooleanOptionalAction, default=None, help="also print the recovery code as a QR code (default: on a terminal)")

    add = command("add", None, "add an entry")
    types = add.add_subparsers(dest="entry_type", metavar="TYPE", required=True)
    for entry_type in TYPES:
        sub = types.add_parser(entry_type, parents=[common], help=f"add a {entry_type} entry")
        sub.set_defaults(handler=entries.add)
        entry_options.add_options(sub, entry_options.OPTIONS[entry_type])
        if entry_type in entry_options.GENERATES_PASSWORD:
            sub.add_argument("--generate", type=int, nargs="?", const=generator.PASSWORD_LENGTH_DEFAULT, metavar="LENGTH", help="store a random password of LENGTH characters (default 20)")

    edit = command("edit", entries.edit, "change fields of an entry; prompted options read new values")
    edit.add_argument("query", help="entry id, id prefix, title or search text")
    entry_options.add_options(edit, entry_options.all_options())
    edit.add_argument("--generate", type=int, nargs="?", const=generator.PASSWORD_LENGTH_DEFAULT, metavar="LENGTH", help="replace the password with a random one")
    edit.add_argument("--clear", action="append", metavar="FIELD", help="remove a field (repeat for several)")

    remove = command("rm", entries.remove, "delete an entry")
    remove.add_argument("query", help="entry id, id prefix, title or search text")
    remove.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")

    for name, handler, help_text in (("list", reading.list_entries, "list entries"), ("search", reading.search, "search titles, usernames, URLs, tags")):
        sub = command(name, handler, help_text)
        if name == "search":
            sub.add_argument("query", help="text to look for (case-insensitive)")
        sub.add_argument("--type", choices=list(TYPES), help="only entries of this type")
        sub.add_argument("--tag", help="only entries with this tag")
        sub.add_argument("--json", action="store_true", help="print JSON")

    show = command("show", reading.show, "show an entry, secrets masked")
    show.add_argument("query", help="entry id, id prefix, title or search text")
    show.add_argument("--reveal", action="store_true", help="print secrets; seed phrases and private keys also need a typed confirmation")
    show.add_argument("--json", action="store_true", help="print JSON")

    get = command("get", reading.get, "print one field of an entry, for scripts")
    get.add_argument("field", help="password, username, url, totp (the current code), notes, a custom field name...")
    get.add_argument("query", help="entry id, id prefix, title or search text")

    gen = command("generate", tools.generate, "print a random password or passphrase")
    gen.add_argument("--length", type=int, default=generator.PASSWORD_LENGTH_DEFAULT, help="password length in characters (default 20)")
    for name in generator.CLASSES:
        gen.add_argument(f"--no-{name}", action="store_true", help=f"leave out {name}")
    gen.add_argument("--exclude-lookalikes", action="store_true", help=f"leave out look-alike characters {generator.LOOKALIKES}")
    gen.add_argument("--exclude", metavar="CHARS", help="leave out these characters")
    gen.add_argument("--words", type=int, metavar="N", help="print a passphrase of N words from the EFF large wordlist instead")
    gen.add_argument("--separator", default="-", help="passphrase word separator (default -)")
    gen.add_argument("--capitalize", action="store_true", help="capitalise passphrase words")
    gen.add_argument("--json", action="store_true", help="print JSON with the entropy")

    totp_parser = command("totp", tools.totp_code, "print the current TOTP code of an entry")
    totp_parser.add_argument("query", help="entry id, id prefix, title or search text")

    copy = command("copy", tools.copy, "copy one field to the clipboard")
    copy.add_argument("field", help="password, username, totp, ...")
    copy.add_argument("query", help="entry id, id prefix, title or search text")
    copy.add_argument("--clear-after", type=int, default=clipboard.CLEAR_AFTER_SECONDS, metavar="SECONDS", help="clear the clipboard after this many seconds; 0 keeps it (default 45)")

    passwd = command("passwd", admin.passwd, "change the master password (rewraps the vault key), also on the sync server")
    _kdf_options(passwd)
    passwd.add_argument(
        "--local-only",
        action="store_true",
        help="change only this vault's password, without the sync server; 'qvault sync' then fails until 'qvault passwd' runs again with the server reachable",
    )
    recover = command("recover", admin.recover, "set a new master password with the recovery code")
    _kdf_options(recover)

    backup = command("backup", admin.backup, "write a consistent copy of the vault file")
    backup.add_argument("destination", help="file to write")
    backup.add_argument("--force", action="store_true", help="replace an existing file")

    command("verify", admin.verify, "check the whole vault: SQLite, manifest MAC, every entry")
    transfer.register(command)
    crypto_commands.register(command, common)
    sync_commands.register(command, common)
    doctor_command.register(command)
    serve_command.register(command)
    return parser


def _report(stderr: TextIO, error: QvaultError) -> None:
    message = " ".join(str(error).split("\n"))
    print(f"qvault: error: {message}", file=stderr)
    if isinstance(error, AmbiguousQuery):
        for candidate in error.candidates:
            print(f"qvault: hint: {candidate}", file=stderr)
    for kind, hint in _HINTS.items():
        if isinstance(error, kind):
            print(f"qvault: hint: {hint}", file=stderr)


def main(
    argv: list[str] | None = None,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    clock: Callable[[], float] = time.time,
) -> int:
    """Run one command and return its exit status (the console script exits with it)."""
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    parser = build_parser()
    try:
        try:
            # argparse prints help and usage errors to sys.stdout and sys.stderr.
            with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
                args = parser.parse_args(argv)
        except SystemExit as exit_request:
            return int(exit_request.code or 0)
        console = Console(stdin, stdout, stderr, clock, password_stdin=args.password_stdin)
        return args.handler(console, args)
    except QvaultError as error:
        _report(stderr, error)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 1


def run() -> None:
    sys.exit(main())


if __name__ == "__main__":
    run()
