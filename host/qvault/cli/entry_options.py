"""Command-line options of each entry type, and their conversion into entry fields.

Secret options marked PROMPT take no value on the command line, where other local
users could read it from the process list or shell history: `--password` reads
the value with a hidden prompt (or reads the next stdin line with
--password-stdin). Prompts come in the order of the options in OPTIONS.
"""

import argparse
import dataclasses
import pathlib

from qvault.cli.io import Console
from qvault.entries import generator
from qvault.errors import EntryValidationError

VALUE = "value"  # one value on the command line
LIST = "list"  # repeatable, collected into a list
PROMPT = "prompt"  # flag; the value is read from a hidden prompt
PAIR = "pair"  # repeatable NAME=VALUE, visible custom fields
HIDDEN_PAIR = "hidden_pair"  # repeatable NAME; each value is prompted
FILE = "file"  # a path whose text becomes the value


@dataclasses.dataclass(frozen=True)
class Option:
    field: str
    flag: str
    kind: str
    help: str
    metavar: str | None = None


TITLE = Option("title", "--title", VALUE, "title shown in lists")
TAG = Option("tags", "--tag", LIST, "tag (repeat for several)", "TAG")
NOTES = Option("notes", "--notes", PROMPT, "prompt for notes (one line)")

OPTIONS: dict[str, list[Option]] = {
    "login": [
        TITLE,
        Option("urls", "--url", LIST, "web address (repeat for several); https:// is added when missing", "URL"),
        Option("username", "--username", VALUE, "user name or e-mail"),
        TAG,
        Option("fields", "--field", PAIR, "visible custom field", "NAME=VALUE"),
        Option("password", "--password", PROMPT, "prompt for the password"),
        Option("totp", "--totp", PROMPT, "prompt for a TOTP Base32 secret or otpauth:// URI"),
        NOTES,
        Option("hidden_fields", "--hidden-field", HIDDEN_PAIR, "hidden custom field; its value is prompted", "NAME"),
    ],
    "note": [TITLE, TAG, NOTES],
    "card": [
        TITLE,
        Option("cardholder", "--cardholder", VALUE, "name on the card"),
        TAG,
        Option("expiry", "--expiry", VALUE, "expiry date, MM/YY or MM/YYYY"),
        Option("number", "--number", PROMPT, "prompt for the card number"),
        Option("cvv", "--cvv", PROMPT, "prompt for the security code"),
        Option("pin", "--pin", PROMPT, "prompt for the PIN"),
        NOTES,
    ],
    "identity": [
        TITLE,
        Option("name", "--name", VALUE, "full name"),
        Option("email", "--email", VALUE, "e-mail address"),
        TAG,
        Option("phone", "--phone", VALUE, "phone number"),
        Option("address", "--address", VALUE, "postal address"),
        Option("birth_date", "--birth-date", VALUE, "birth date, YYYY-MM-DD"),
        Option("national_id", "--national-id", PROMPT, "prompt for the national id number"),
        Option("passport", "--passport", PROMPT, "prompt for the passport number"),
        NOTES,
    ],
    "server": [
        TITLE,
        Option("host", "--host", VALUE, "host name or IP address"),
        Option("port", "--port", VALUE, "TCP port"),
        Option("protocol", "--protocol", VALUE, "ssh, rdp, vnc, ..."),
        Option("username", "--username", VALUE, "user name"),
        TAG,
        Option("password", "--password", PROMPT, "prompt for the password"),
        Option("ssh_key", "--ssh-key-file", FILE, "file holding an SSH private key", "FILE"),
        NOTES,
    ],
    "wallet": [
        TITLE,
        Option("coin", "--coin", VALUE, "coin or chain, e.g. BTC"),
        Option("derivation_path", "--derivation-path", VALUE, "BIP32 path, e.g. m/84'/0'/0'", "PATH"),
        Option("xpub", "--xpub", VALUE, "watch-only extended public key (xpub, ypub, zpub, tpub)"),
        Option("addresses", "--address", LIST, "receive address (repeat for several)", "ADDRESS"),
        TAG,
        Option("seed", "--seed", PROMPT, "prompt for the BIP39 seed phrase"),
        Option("passphrase", "--passphrase", PROMPT, "prompt for the BIP39 passphrase"),
        NOTES,
    ],
    "key": [
        TITLE,
        Option("coin", "--coin", VALUE, "coin or chain, e.g. BTC"),
        Option("address", "--address", VALUE, "address of the key"),
        TAG,
        Option("private_key", "--private-key", PROMPT, "prompt for the private key (64 hex digits or WIF)"),
        NOTES,
    ],
}

# Types whose password option can be replaced by --generate.
GENERATES_PASSWORD = {"login", "server"}


def _dest(option: Option) -> str:
    return "opt_" + option.field


def add_options(parser: argparse.ArgumentParser, options: list[Option]) -> None:
    """Add the options of one type (or of all types, for edit) to a parser."""
    seen: set[str] = set()
    for option in options:
        if option.flag in seen:
            continue
        seen.add(option.flag)
        dest = _dest(option)
        if option.kind in (VALUE, FILE):
            parser.add_argument(option.flag, dest=dest, metavar=option.metavar, help=option.help)
        elif option.kind in (LIST, PAIR, HIDDEN_PAIR):
            parser.add_argument(option.flag, dest=dest, action="append", metavar=option.metavar, help=option.help)
        else:
            parser.add_argument(option.flag, dest=dest, action="store_true", help=option.help)


def all_options() -> list[Option]:
    """Return every option of every type, each flag once, for edit (the first definition wins)."""
    merged: dict[str, Option] = {}
    for options in OPTIONS.values():
        for option in options:
            merged.setdefault(option.flag, option)
    return list(merged.values())


def _pairs(values: list[str], flag: str) -> list[dict]:
    result = []
    for value in values:
        name, separator, text = value.partition("=")
        if not separator or not name.strip():
            raise EntryValidationError(f"{flag} {value!r} must look like NAME=VALUE")
        result.append({"name": name.strip(), "value": text})
    return result


def collect(console: Console, args, entry_type: str, options: list[Option]) -> dict:
    """Turn the given options into a fields dict, prompting for PROMPT options.

    Only options present on the command line appear in the result, so edit can
    merge it over the stored fields.
    """
    fields: dict = {}
    by_flag = {option.flag: option for option in OPTIONS[entry_type]}
    for option in options:
        value = getattr(args, _dest(option), None)
        if value in (None, False, []):
            continue
        if option.flag not in by_flag:
            raise EntryValidationError(f"{option.flag} does not apply to a {entry_type} entry")
        option = by_flag[option.flag]
        if option.kind == VALUE and isinstance(value, list):
            # edit parses --address as a list (wallet); a key entry takes one address.
            value = value[-1]
        if option.kind in (VALUE, LIST):
            fields[option.field] = value
        elif option.kind == PAIR:
            fields[option.field] = _pairs(value, option.flag)
        elif option.kind == HIDDEN_PAIR:
            fields[option.field] = [
                {"name": name, "value": console.secret(f"Value of hidden field {name}: ", f"hidden field {name}")}
                for name in value
            ]
        elif option.kind == FILE:
            try:
                fields[option.field] = pathlib.Path(value).expanduser().read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as error:
                raise EntryValidationError(f"{option.flag}: cannot read {value}: {error}") from None
        else:
            label = option.help.removeprefix("prompt for ").removeprefix("the ")
            fields[option.field] = console.secret(f"{label[:1].upper()}{label[1:]}: ", label)

    if getattr(args, "generate", None):
        if entry_type not in GENERATES_PASSWORD:
            raise EntryValidationError(f"--generate does not apply to a {entry_type} entry")
        if "password" in fields:
            raise EntryValidationError("use either --password or --generate, not both")
        generated = generator.password(args.generate)
        fields["password"] = generated.value
        console.info(f"generated a {args.generate}-character password ({generated.entropy_bits:.0f} bits)")
    return fields
