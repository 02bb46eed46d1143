"""`qvault sync`: connect a vault to a sync server, clone it onto a new device, sync, show status."""

from __future__ import annotations

import argparse
import json
import sqlite3
from typing import TYPE_CHECKING, Callable

from qvault import plural
from qvault.cli import session
from qvault.cli.io import Console
from qvault.sync.client.errors import SyncError
from qvault.sync.client.state import SyncState, sidecar_path
from qvault.vault import Vault

# Tests replace this to reach an in-process server; None means a real HTTP client.
if TYPE_CHECKING:
    # httpx and the client modules import only inside the commands: importing httpx
    # costs over 100 ms, which every other qvault command would pay at start.
    import httpx

    from qvault.sync.client.engine import SyncReport

HTTP_CLIENT_FACTORY: Callable[[], httpx.Client] | None = None


def register(command: Callable[..., argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    """Add `qvault sync` and its setup, clone and status actions."""
    sync_parser = command("sync", run, "sync the vault with its server: pull, merge, push")
    actions = sync_parser.add_subparsers(dest="sync_action", metavar="ACTION", required=False)

    def action(name: str, handler: Callable, help_text: str) -> argparse.ArgumentParser:
        sub = actions.add_parser(name, parents=[common], help=help_text, description=help_text)
        sub.set_defaults(handler=handler)
        return sub

    setup_parser = action("setup", setup, "register this vault on a sync server, or link it to its existing account")
    clone_parser = action("clone", clone, "create this device's copy of a synced vault at --vault PATH")
    for sub in (setup_parser, clone_parser):
        sub.add_argument("--server", required=True, metavar="URL", help="sync server URL (https://, or http://127.0.0.1 for a local server)")
        sub.add_argument("--email", required=True, help="account email")
    status_parser = action("status", status, "show the sync settings and the changes not yet pushed (no network)")
    status_parser.add_argument("--json", action="store_true", help="print JSON")


def http_client() -> httpx.Client | None:
    """Return the client HTTP_CLIENT_FACTORY makes, or None for the default client."""
    return HTTP_CLIENT_FACTORY() if HTTP_CLIENT_FACTORY else None


def _print_report(console: Console, report: SyncReport, server_url: str) -> None:
    for notice in report.notices:
        console.out(f"notice: {notice}")
    console.out(
        f"synced with {server_url}: {report.pulled} pulled, {report.pushed} pushed, "
        f"{plural.counted(report.conflicts, 'conflict')}, server revision {report.server_revision}"
    )


def run(console: Console, args) -> int:
    """Pull, merge and push with the server set up for this vault."""
    vault = session.open_vault(console, args)
    state = None
    try:
        password = session.read_master_password(console)
        secret_key = session.read_secret_key(args.secret_key_file)
        vault.unlock(password, secret_key)
        state = SyncState.load(vault)
        from qvault.sync.client.api import ApiClient
        from qvault.sync.client.engine import SyncSession

        api = ApiClient(state.server_url, http_client())
        sync_session = SyncSession(vault, state, api)
        sync_session.login(password, secret_key)
        report = sync_session.sync()
        api.logout()
        _print_report(console, report, state.server_url)
    finally:
        if state is not None:
            state.close()
        vault.close()
    return 0


def setup(console: Console, args) -> int:
    """Register or link the vault, then push every entry."""
    vault = session.open_vault(console, args)
    try:
        password = session.read_master_password(console)
        secret_key = session.read_secret_key(args.secret_key_file)
        vault.unlock(password, secret_key)
        from qvault.sync.client import setup as sync_setup

        sync_session, report, registered = sync_setup.setup(vault, args.server, args.email, password, secret_key, http_client())
        sync_session.api.logout()
        sync_session.state.close()
        what = "registered a new account" if registered else "linked to the existing account"
        console.info(f"{what} {args.email} on {sync_session.api.server_url}; sync state in {sidecar_path(vault.path)}")
        _print_report(console, report, sync_session.api.server_url)
    finally:
        vault.close()
    return 0


def clone(console: Console, args) -> int:
    """Create a local copy of the account's vault at --vault PATH."""
    path = session.vault_path(args.vault)
    password = session.read_master_password(console)
    secret_key = session.read_secret_key(args.secret_key_file)
    from qvault.sync.client import setup as sync_setup

    vault, sync_session, report = sync_setup.clone(path, args.server, args.email, password, secret_key, http_client())
    try:
        sync_session.api.logout()
        sync_session.state.close()
        console.info(f"cloned the vault of {args.email} into {path} ({plural.entries(len(vault.entries()))})")
        _print_report(console, report, sync_session.api.server_url)
    finally:
        vault.close()
    return 0


def status(console: Console, args) -> int:
    """Print the sync settings and count local changes, without a password or the network.

    The values are read without the vault key, so they are not verified here; every
    sync verifies them before use.
    """
    path = session.vault_path(args.vault)
    Vault.open(path).close()
    summary = _read_status(path)
    if args.json:
        console.json(summary)
        return 0
    console.out(f"server:            {summary['server_url']}")
    console.out(f"email:             {summary['email']}")
    console.out(f"server revision:   {summary['server_revision']}")
    console.out(f"manifest counter:  {summary['manifest_counter']}")
    kdf = summary["kdf"]
    console.out(f"pinned KDF:        Argon2id m={kdf['memory_kib']} KiB, t={kdf['iterations']}, p={kdf['parallelism']}")
    console.out(f"entries synced:    {summary['base_entries']}")
    console.out(f"local changes:     {summary['local_changes']} not yet pushed")
    return 0


def _read_status(vault_path) -> dict:
    state_path = sidecar_path(vault_path)
    if not state_path.is_file():
        raise SyncError(f"{vault_path}: sync is not set up; run 'qvault sync setup --server URL --email EMAIL'")
    columns = "id, revision, updated_at, deleted, meta_nonce, meta_ct, secret_nonce, secret_ct"
    try:
        with sqlite3.connect(f"{state_path.resolve().as_uri()}?mode=ro", uri=True) as state_db:
            settings = json.loads(state_db.execute("SELECT settings FROM remote").fetchone()[0])
            base = {row[0]: row for row in state_db.execute(f"SELECT {columns} FROM base_rows")}
        with sqlite3.connect(f"{vault_path.resolve().as_uri()}?mode=ro", uri=True) as vault_db:
            local = vault_db.execute(f"SELECT {columns} FROM entries WHERE seq > ?", (settings["local_seq"],)).fetchall()
    except (sqlite3.Error, ValueError, TypeError) as error:
        raise SyncError(f"{state_path}: could not read the sync state ({error})") from None
    manifest = settings.get("manifest")
    return {
        "server_url": settings["server_url"],
        "email": settings["email"],
        "server_revision": settings["server_revision"],
        "manifest_counter": int(manifest[:16], 16) if manifest else None,
        "kdf": settings["kdf"],
        "base_entries": len(base),
        "local_changes": sum(1 for row in local if base.get(row[0]) != tuple(row)),
    }
