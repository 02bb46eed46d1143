"""Crypto-holder commands: shamir split/combine, paper backups, wallet verify/new.

The shamir and paper modules (shamir-mnemonic, segno) are imported inside the
handlers, so other commands do not pay for loading them.

Seed phrases are printed only with --reveal and the typed confirmation word, and
SLIP-39 shares of a seed count as the seed (a full set on one screen gives it
away), so printing them needs the same confirmation. docs/crypto.md shows each
command with examples.
"""

from __future__ import annotations

import argparse
import pathlib
from typing import TYPE_CHECKING, Callable

from qvault.cli import session
from qvault.cli.commands.reading import CONFIRM_WORD
from qvault.cli.io import Console
from qvault.crypto import derive, newwallet, seed, verify
from qvault.crypto.errors import CryptoError, ShareError
from qvault.entries import build_entry, merged_fields
from qvault.errors import PromptCancelled, VaultNotFound, WrongPassword
from qvault.vault import Entry, Vault, keyslots

if TYPE_CHECKING:
    from qvault.crypto import paper, shamir

# Shares a recovery can need: every member of up to 16 groups of 16 (the SLIP-39
# maximum), plus retries after typos.
_SHARE_PROMPTS_MAX = 16 * 16 + 16
_SECRET_FILE_WARNING = (
    "it contains a secret: print it, then delete the file "
    "(deleted files can often still be read back from the disk)"
)


# Shared helpers


def _confirm_reveal(console: Console, message: str, what: str) -> None:
    answer = console.line(f"{message}\nType '{CONFIRM_WORD}' to print {what}: ", "the confirmation")
    if answer.strip().lower() != CONFIRM_WORD:
        raise PromptCancelled(f"not confirmed; {what} was not shown")


def _read_recovery_code(console: Console) -> bytes:
    text = console.secret("Recovery code: ", "the recovery code")
    return keyslots.decode_code(text, keyslots.RECOVERY_CODE_BYTES, "recovery code")


def _check_recovery_code(console: Console, args, code: bytes) -> bool:
    """Return True when the code opens the vault, False when there is no vault to check.

    Raises WrongPassword when the code does not open the vault.
    """
    try:
        vault = session.open_vault(console, args)
    except VaultNotFound:
        return False
    with vault:
        vault.unlock_with_recovery_code(code)
    return True


def _slip39_passphrase(console: Console, args, new: bool) -> str:
    from qvault.crypto import shamir

    if not args.passphrase:
        return ""
    prompt, what = "SLIP-39 passphrase: ", "the SLIP-39 passphrase"
    value = console.new_secret(prompt, what) if new else console.secret(prompt, what)
    shamir.check_passphrase(value)
    return value


def _numbered(path: pathlib.Path, number: int, total: int) -> pathlib.Path:
    """Return FILE for one output, FILE-1, FILE-2... (before the suffix) for several."""
    if total == 1:
        return path
    return path.with_name(f"{path.stem}-{number}{path.suffix}")


def _write_outputs(console: Console, args, title: str, sheets: list[list[paper.Item]], *, private: bool, warning: str = "") -> None:
    """Write the --svg, --png and --html files requested for these items."""
    from qvault.crypto import paper

    items = [item for sheet in sheets for item in sheet]
    written = []
    for kind in ("svg", "png"):
        option = getattr(args, kind, None)
        if not option:
            continue
        for number, item in enumerate(items, start=1):
            target = _numbered(pathlib.Path(option).expanduser(), number, len(items))
            paper.write_qr(target, item.text, kind, private=private, force=args.force)
            written.append(target)
    if getattr(args, "html", None):
        target = pathlib.Path(args.html).expanduser()
        paper.write_html(target, paper.html_sheet(title, sheets, warning=warning), private=private, force=args.force)
        written.append(target)
    for target in written:
        note = f" (mode 0600); {_SECRET_FILE_WARNING}" if private else ""
        console.info(f"wrote {target}{note}")


def _show_terminal_qr(console: Console, args, text: str) -> None:
    from qvault.crypto import paper

    if args.qr:
        paper.print_terminal(text, console.stdout)


def _wallet_with_seed(vault: Vault, query: str) -> tuple[Entry, dict]:
    entry = session.find_entry(vault, query)
    if entry.type != "wallet":
        raise CryptoError(f"entry '{entry.title}' is a {entry.type}, not a wallet")
    secret = vault.get_secret(entry.id)
    if "seed" not in secret:
        raise CryptoError(f"wallet '{entry.title}' has no seed phrase (watch-only); there is nothing to derive from")
    return entry, secret


# shamir split / combine


def _scheme_from_args(args) -> shamir.Scheme:
    from qvault.crypto import shamir

    if args.group:
        if args.threshold is not None or args.shares is not None:
            raise ShareError("pass either --threshold and --shares, or --group options, not both")
        return shamir.make_scheme([shamir.parse_group(text) for text in args.group], args.group_threshold)
    if args.threshold is None or args.shares is None:
        raise ShareError("pass --threshold M and --shares N (M of N shares recover the secret), or --group M-of-N")
    if args.group_threshold is not None:
        raise ShareError("--group-threshold applies to --group options only")
    return shamir.make_scheme([(args.threshold, args.shares)])


def _print_shares(console: Console, args, scheme: shamir.Scheme, groups: list[list[str]]) -> list[list[paper.Item]]:
    from qvault.crypto import paper

    sheets = []
    for group_number, (shares, (threshold, count)) in enumerate(zip(groups, scheme.groups), start=1):
        group_label = f"group {group_number} of {len(groups)}, " if len(groups) > 1 else ""
        for share_number, share in enumerate(shares, start=1):
            heading = f"SLIP-39 share {share_number} of {count} ({group_label}{threshold} of {count} needed)"
            console.out(f"{heading[0].upper()}{heading[1:]}:")
            console.out(f"    {share}")
            _show_terminal_qr(console, args, share)
            note = f"Recovery needs {scheme.describe()}."
            sheets.append([paper.Item(heading, share, note, words=True)])
    return sheets


def shamir_split(console: Console, args) -> int:
    """Split the recovery code or a wallet's seed entropy into SLIP-39 shares."""
    from qvault.crypto import shamir

    scheme = _scheme_from_args(args)
    if args.recovery_code:
        code = _read_recovery_code(console)
        if not _check_recovery_code(console, args, code):
            console.info(f"qvault: warning: no vault at {session.vault_path(args.vault)}; the recovery code was not checked")
        secret, what = code, "the vault's recovery code"
    else:
        with session.open_unlocked(console, args) as vault:
            entry, wallet_secret = _wallet_with_seed(vault, args.wallet)
        secret, language = seed.to_entropy(wallet_secret["seed"])
        what = f"the seed phrase of '{entry.title}'"
        if language != "english":
            # SLIP-39 shares do not record the BIP39 wordlist.
            console.info(f"qvault: warning: the phrase uses the {language} wordlist; restore it with 'qvault shamir combine --wallet --language {language}'")
        if wallet_secret.get("passphrase"):
            console.info("qvault: warning: the shares hold the seed phrase only; back up the wallet's BIP39 passphrase separately")
        _confirm_reveal(
            console,
            f"These shares give {what} to anyone who holds {scheme.describe()}; it can spend funds.",
            "the shares",
        )

    passphrase = _slip39_passphrase(console, args, new=True)
    groups = shamir.split(secret, scheme, passphrase)
    console.info(f"split {what} into {sum(len(group) for group in groups)} SLIP-39 shares; recovery needs {scheme.describe()}")
    if passphrase:
        console.info("qvault: warning: recovery needs the SLIP-39 passphrase too; a wrong one gives a different secret without an error")
    if not args.recovery_code:
        console.info(
            "qvault: warning: restore these shares with 'qvault shamir combine --wallet'; a hardware wallet that "
            "imports SLIP-39 shares directly would open a different wallet"
        )
    sheets = _print_shares(console, args, scheme, groups)
    warning = (
        "SLIP-39 share. Keep each share in a different place; enough of them together give the secret. "
        "Restore with 'qvault shamir combine'."
    )
    _write_outputs(console, args, "Qvault SLIP-39 share", sheets, private=True, warning=warning)
    return 0


def _read_shares(console: Console, args) -> shamir.Recovery:
    """Prompt for shares until the set is complete; on a terminal a bad share can be retyped."""
    from qvault.crypto import shamir

    recovery = shamir.Recovery()
    for _ in range(_SHARE_PROMPTS_MAX):
        text = console.secret(f"Share {recovery.count + 1}: ", "a SLIP-39 share")
        if not text.strip():
            raise PromptCancelled("no share entered; nothing was recovered")
        try:
            console.info(recovery.add(text))
        except ShareError as error:
            if console.password_stdin:
                raise
            console.info(f"qvault: error: {error}; type it again")
            continue
        if recovery.complete:
            return recovery
    raise ShareError(f"gave up after {_SHARE_PROMPTS_MAX} prompts without a complete set of shares")


def shamir_combine(console: Console, args) -> int:
    """Combine SLIP-39 shares back into the recovery code or a wallet's seed phrase."""
    if args.recovery_code:
        recovery = _read_shares(console, args)
        code = recovery.secret(_slip39_passphrase(console, args, new=False))
        if len(code) != keyslots.RECOVERY_CODE_BYTES:
            raise ShareError(f"the shares hold {len(code)} bytes, not a {keyslots.RECOVERY_CODE_BYTES}-byte recovery code; try --wallet")
        try:
            checked = _check_recovery_code(console, args, code)
        except WrongPassword:
            raise ShareError("the combined code does not open this vault; check the SLIP-39 passphrase and the shares") from None
        if checked:
            console.info(f"the recovered code opens {session.vault_path(args.vault)}; 'qvault recover' sets a new master password with it")
        else:
            console.info(f"qvault: warning: no vault at {session.vault_path(args.vault)}; the recovered code was not checked")
        console.out(keyslots.encode_code(code))
        return 0

    vault = session.open_unlocked(console, args) if args.title else None
    try:
        recovery = _read_shares(console, args)
        entropy = recovery.secret(_slip39_passphrase(console, args, new=False))
        phrase = seed.to_phrase(entropy, args.language)
        account = derive.derive_account(seed.to_seed(phrase), derive.scheme(args.scheme), count=1)
        console.info(
            f"recovered a {len(phrase.split())}-word seed phrase; {account.scheme.label} first address "
            f"{account.receive[0][1]} (without a BIP39 passphrase); if you do not recognise it, check the SLIP-39 passphrase"
        )
        if vault is not None:
            metadata, secret = build_entry("wallet", {"title": args.title, "seed": phrase})
            entry = vault.add_entry(metadata, secret)
            console.info(f"stored wallet '{entry.title}'; add its BIP39 passphrase with 'qvault edit' if it has one")
            console.out(entry.id)
    finally:
        if vault is not None:
            vault.close()
    if args.reveal:
        _confirm_reveal(console, "The recovered seed phrase can spend funds; anyone who sees it can take them.", "the seed phrase")
        console.out(phrase)
    elif vault is None:
        console.info("qvault: hint: pass --title TITLE to store the wallet, or --reveal to print the seed phrase")
    return 0


# paper


def paper_recovery_code(console: Console, args) -> int:
    """Print the recovery code as a QR code and on a printable sheet, after checking it."""
    from qvault.crypto import paper

    code = _read_recovery_code(console)
    if not _check_recovery_code(console, args, code):
        console.info(f"qvault: warning: no vault at {session.vault_path(args.vault)}; the recovery code was not checked")
    text = keyslots.encode_code(code)
    qr_text = text.replace("-", "")
    console.out(text)
    _show_terminal_qr(console, args, qr_text)
    item = paper.Item("Recovery code", qr_text, f"Printed form: {text}. Unlocks the vault and resets the master password with 'qvault recover'.")
    warning = "Recovery code of a Qvault vault: anyone with it and the vault file can open the vault. Keep it apart from the device."
    _write_outputs(console, args, "Qvault recovery code", [[item]], private=True, warning=warning)
    return 0


def _public_account(entry: Entry, secret_reader: Callable[[], dict], args, count: int) -> derive.Account:
    """Derive the account that paper xpub/addresses print: --scheme, else the stored path's, else BIP84."""
    metadata = entry.metadata
    path_info = derive.parse_path(metadata["derivation_path"]) if metadata.get("derivation_path") else None
    if args.scheme:
        scheme = derive.scheme(args.scheme)
    elif path_info is not None:
        scheme = path_info.scheme
    else:
        scheme = derive.SCHEMES[derive.DEFAULT_SCHEME]
    network = path_info.network if path_info else metadata.get("network", "mainnet")
    if scheme.chain != "bitcoin":
        network = "mainnet"
    account = path_info.account if path_info else 0

    secret = secret_reader()
    if "seed" not in secret:
        if args.scheme:
            raise CryptoError(f"wallet '{entry.title}' has no seed phrase to derive from; leave out --scheme to print the stored values")
        raise CryptoError(f"wallet '{entry.title}' stores no xpub, no addresses and no seed phrase to derive them from")
    master_seed = seed.to_seed(secret["seed"], secret.get("passphrase", ""))
    return derive.derive_account(master_seed, scheme, network, account, count)


def paper_public(console: Console, args) -> int:
    """Print a wallet's xpub or receive addresses as QR codes: stored ones, else derived from the seed."""
    from qvault.crypto import paper

    with session.open_unlocked(console, args) as vault:
        entry = session.find_entry(vault, args.query)
        if entry.type != "wallet":
            raise CryptoError(f"entry '{entry.title}' is a {entry.type}, not a wallet")
        stored = entry.metadata.get("xpub") if args.what == "xpub" else entry.metadata.get("addresses")
        account = None
        if not stored or args.scheme:
            account = _public_account(entry, lambda: vault.get_secret(entry.id), args, args.count)

    if args.what == "xpub":
        text = account.xpub if account else stored
        note = f"{account.scheme.label} {account.path}" if account else entry.metadata.get("derivation_path", "")
        items = [paper.Item(f"{entry.title}: extended public key", text, f"Watch-only. {note}".strip())]
    else:
        pairs = [(path, address) for path, address in account.receive] if account else [("", address) for address in stored[: args.count]]
        items = [paper.Item(f"{entry.title}: receive address {number}", address, path) for number, (path, address) in enumerate(pairs, start=1)]
    for item in items:
        console.out(f"{item.heading}: {item.text}")
        _show_terminal_qr(console, args, item.text)
    _write_outputs(console, args, f"Qvault: {entry.title}", [items], private=False)
    return 0


# wallet verify / new


def wallet_verify(console: Console, args) -> int:
    """Derive the wallet's keys from its seed and compare them with the stored watch-only data."""
    with session.open_unlocked(console, args) as vault:
        entry = session.find_entry(vault, args.query)
        if entry.type != "wallet":
            raise CryptoError(f"entry '{entry.title}' is a {entry.type}, not a wallet")
        secret = vault.get_secret(entry.id)
        report = verify.verify(entry.metadata, secret, count=args.count, account=args.account, scan=args.scan, all_schemes=args.all)
        if args.store:
            _store_watch_only(console, vault, entry, secret, report.accounts[0])

    if args.json:
        console.json({"id": entry.id, "title": entry.title, **report.document()})
    else:
        metadata = entry.metadata
        console.out(
            f"Wallet '{entry.title}': {metadata.get('word_count', '?')} words, {metadata.get('seed_language', '?')}, "
            f"BIP39 passphrase: {'yes' if secret.get('passphrase') else 'no'}"
        )
        for account in report.accounts:
            console.out(f"{account.scheme.label}, {account.network}, account {account.index} ({account.path})")
            console.out(f"  {account.xpub}")
            for path, address in account.receive:
                console.out(f"  {path:<22} {address}")
        for check in report.checks:
            console.out(f"{'ok' if check.ok else 'MISMATCH':<9} {check.field}: {check.stored}")
            console.out(f"{'':<9} {check.detail}")
        if not report.checks:
            console.info("qvault: hint: the entry stores no xpub, path or addresses to compare; --store saves the derived ones")

    mismatches = [check for check in report.checks if not check.ok]
    if mismatches:
        console.info(f"qvault: error: {len(mismatches)} of {len(report.checks)} stored values do not come from this seed")
        return 1
    return 0


def _store_watch_only(console: Console, vault: Vault, entry: Entry, secret: dict, account: derive.Account) -> None:
    """Fill the entry's missing xpub, path and addresses with the derived account's values."""
    fields = merged_fields(entry.metadata, secret)
    added = []
    for name, value in (("derivation_path", account.path), ("xpub", account.xpub), ("addresses", [address for _, address in account.receive])):
        if not fields.get(name):
            fields[name] = value
            added.append(name)
    if not added:
        console.info("nothing stored: the entry already has an xpub, a path and addresses")
        return
    metadata, new_secret = build_entry("wallet", fields)
    updated = vault.update_entry(entry.id, entry.revision, metadata, new_secret)
    console.info(f"stored {', '.join(added)} in '{updated.title}' (revision {updated.revision})")


def wallet_new(console: Console, args) -> int:
    """Generate a BIP39 wallet, store it, and show its xpub and first address."""
    with session.open_vault(console, args) as vault:
        password = session.read_master_password(console)
        passphrase = ""
        if args.passphrase:
            passphrase = console.new_secret("BIP39 passphrase: ", "the BIP39 passphrase")
        network = "testnet" if args.testnet else "mainnet"
        created = newwallet.create(args.title, word_count=args.words, language=args.language, scheme_name=args.scheme,
                                   network=network, passphrase=passphrase, tags=args.tag)
        session.unlock(vault, password, args)
        entry = vault.add_entry(created.metadata, created.secret)

    account = created.account
    console.info(f"added wallet '{entry.title}' ({args.words} words, {args.language}); back up the seed phrase before funding it")
    console.out(entry.id)
    console.out(f"{account.scheme.label} {account.network} {account.path}")
    console.out(f"  {account.xpub}")
    console.out(f"  {account.receive[0][0]:<22} {account.receive[0][1]}")
    if args.reveal:
        _confirm_reveal(console, f"The seed phrase of '{entry.title}' can spend funds; anyone who sees it can take them.", "the seed phrase")
        console.out(created.secret["seed"])
    else:
        console.info("qvault: hint: 'qvault show --reveal' or 'qvault shamir split --wallet' back up the seed phrase")
    return 0


# Parser registration


def _output_options(parser: argparse.ArgumentParser, qr_default: bool) -> None:
    parser.add_argument("--qr", action=argparse.BooleanOptionalAction, default=qr_default, help="draw QR codes in the terminal")
    parser.add_argument("--svg", metavar="FILE", help="write the QR code as SVG (several: FILE-1, FILE-2...)")
    parser.add_argument("--png", metavar="FILE", help="write the QR code as PNG (several: FILE-1, FILE-2...)")
    parser.add_argument("--html", metavar="FILE", help="write a printable HTML sheet (self-contained; print it, then delete it)")
    parser.add_argument("--force", action="store_true", help="replace existing output files")


def register(command: Callable[..., argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    """Add the shamir, paper and wallet commands with the CLI's command() helper."""

    def action(actions, name: str, handler: Callable, help_text: str) -> argparse.ArgumentParser:
        sub = actions.add_parser(name, parents=[common], help=help_text, description=help_text)
        sub.set_defaults(handler=handler)
        return sub

    shamir_parser = command("shamir", None, "SLIP-39 Shamir backup of the recovery code or a wallet's seed")
    shamir_actions = shamir_parser.add_subparsers(dest="shamir_action", metavar="ACTION", required=True)
    split = action(shamir_actions, "split", shamir_split, "split a secret into SLIP-39 share mnemonics")
    source = split.add_mutually_exclusive_group(required=True)
    source.add_argument("--recovery-code", action="store_true", help="split the vault's recovery code (typed at a prompt)")
    source.add_argument("--wallet", metavar="QUERY", help="split the seed phrase of this wallet entry")
    split.add_argument("--threshold", "-m", type=int, metavar="M", help="shares needed to recover (one group)")
    split.add_argument("--shares", "-n", type=int, metavar="N", help="shares to make (one group, at most 16)")
    split.add_argument("--group", action="append", metavar="M-of-N", help="a group of N shares of which M are needed (repeat for several groups)")
    split.add_argument("--group-threshold", type=int, metavar="G", help="groups needed to recover (default: all groups)")
    split.add_argument("--passphrase", action="store_true", help="protect the shares with a SLIP-39 passphrase (prompted)")
    _output_options(split, qr_default=False)

    combine = action(shamir_actions, "combine", shamir_combine, "combine SLIP-39 shares (prompted one by one) into the secret")
    target = combine.add_mutually_exclusive_group(required=True)
    target.add_argument("--recovery-code", action="store_true", help="the shares hold the vault's recovery code; print it")
    target.add_argument("--wallet", action="store_true", help="the shares hold a wallet's seed entropy")
    combine.add_argument("--passphrase", action="store_true", help="the shares have a SLIP-39 passphrase (prompted)")
    combine.add_argument("--title", help="with --wallet: store the seed phrase as a new wallet entry with this title")
    combine.add_argument("--language", default="english", choices=seed.languages(), help="with --wallet: BIP39 wordlist of the phrase (default english)")
    combine.add_argument("--scheme", default=derive.DEFAULT_SCHEME, choices=list(derive.SCHEMES), help="with --wallet: scheme of the first address shown (default bip84)")
    combine.add_argument("--reveal", action="store_true", help="with --wallet: print the seed phrase after a typed confirmation")

    paper_parser = command("paper", None, "paper backups: QR codes and printable sheets")
    paper_actions = paper_parser.add_subparsers(dest="paper_action", metavar="WHAT", required=True)
    recovery = action(paper_actions, "recovery-code", paper_recovery_code, "the recovery code (typed at a prompt and checked against the vault)")
    _output_options(recovery, qr_default=True)
    for what, help_text in (("xpub", "a wallet's extended public key"), ("addresses", "a wallet's receive addresses")):
        sub = action(paper_actions, what, paper_public, f"{help_text}: stored, else derived from its seed")
        sub.set_defaults(what=what)
        sub.add_argument("query", help="wallet entry id, id prefix, title or search text")
        sub.add_argument("--scheme", choices=list(derive.SCHEMES), help="derive from the seed with this scheme instead of using stored values")
        sub.add_argument("--count", type=int, default=5, metavar="N", help="addresses to print (default 5)")
        _output_options(sub, qr_default=True)

    wallet_parser = command("wallet", None, "crypto wallets: verify watch-only data, create new wallets")
    wallet_actions = wallet_parser.add_subparsers(dest="wallet_action", metavar="ACTION", required=True)
    check = action(wallet_actions, "verify", wallet_verify, "derive keys from the seed offline and compare them with the stored xpub, path and addresses")
    check.add_argument("query", help="wallet entry id, id prefix, title or search text")
    check.add_argument("--count", type=int, default=5, metavar="N", help="receive addresses to show (default 5)")
    check.add_argument("--account", type=int, metavar="N", help="account number (default: from the stored path, else 0)")
    check.add_argument("--scan", type=int, default=verify.SCAN_DEFAULT, metavar="N", help="receive and change addresses per scheme searched for stored addresses (default 20)")
    check.add_argument("--all", action="store_true", help="show every scheme, not only the wallet's own")
    check.add_argument("--store", action="store_true", help="save the derived xpub, path and addresses where the entry has none")
    check.add_argument("--json", action="store_true", help="print JSON")

    new = action(wallet_actions, "new", wallet_new, "generate a BIP39 seed phrase and store it as a wallet entry")
    new.add_argument("--title", required=True, help="entry title")
    new.add_argument("--words", type=int, default=24, choices=sorted(seed.ENTROPY_BYTES), help="phrase length in words (default 24)")
    new.add_argument("--language", default="english", choices=seed.languages(), help="BIP39 wordlist (default english)")
    new.add_argument("--scheme", default=derive.DEFAULT_SCHEME, choices=list(derive.SCHEMES), help="account whose xpub and first address are stored (default bip84)")
    new.add_argument("--testnet", action="store_true", help="Bitcoin testnet (coin type 1, tpub/upub/vpub)")
    new.add_argument("--passphrase", action="store_true", help="also set a BIP39 passphrase (prompted; it changes every key)")
    new.add_argument("--tag", action="append", help="tag (repeat for several)")
    new.add_argument("--reveal", action="store_true", help="print the seed phrase after a typed confirmation")
