"""Commands that manage the vault itself: init, passwd, recover, backup, verify."""

import contextlib
import os
import pathlib
import sqlite3

from qvault import plural
from qvault.cli import session
from qvault.cli.commands import sync as sync_command
from qvault.cli.io import Console
from qvault.entries import build_entry, merged_fields
from qvault.errors import EntryValidationError, PromptError, QvaultError, VaultError, VaultExists
from qvault.sync.client.errors import SyncError
from qvault.sync.client.state import SyncState, sidecar_path
from qvault.vault import KdfParams, Vault, keyslots
from qvault.vault.kdf import FLOOR, calibrate

# Shorter master passwords get a warning, not a rejection: the secret key and the
# KDF cost also count, and the user decides.
PASSWORD_WARN_CHARS = 12


def kdf_params_from_args(args) -> KdfParams | None:
    """Return explicit KDF parameters (missing ones from the floor), or None."""
    values = (args.kdf_memory_kib, args.kdf_iterations, args.kdf_parallelism)
    if all(value is None for value in values):
        return None
    params = KdfParams(
        memory_kib=args.kdf_memory_kib or FLOOR.memory_kib,
        iterations=args.kdf_iterations or FLOOR.iterations,
        parallelism=args.kdf_parallelism or FLOOR.parallelism,
    )
    params.check()
    return params


def _new_password(console: Console) -> str:
    password = console.new_secret("New master password: ", "the new master password")
    if not password:
        raise PromptError("the master password is empty")
    if len(password) < PASSWORD_WARN_CHARS:
        console.info(f"qvault: warning: the master password has fewer than {PASSWORD_WARN_CHARS} characters")
    return password


def _print_recovery_code(console: Console, code: str, qr: bool) -> None:
    console.out("Recovery code (shown only now; write it down and keep it apart from the device):")
    console.out(f"    {code}")
    if not qr:
        return
    try:
        import segno
    except ImportError:
        console.info("qvault: hint: install segno to also see the recovery code as a QR code")
        return
    segno.make(code.replace("-", ""), error="m").terminal(out=console.stdout, compact=True)


def init(console: Console, args) -> int:
    """Create a vault, show the recovery code once, optionally write a secret key file."""
    path = session.vault_path(args.vault)
    if path.exists():
        raise VaultExists(f"{path}: a vault or other file already exists; pass another --vault PATH")
    params = kdf_params_from_args(args)
    password = _new_password(console)
    if params is None:
        console.info("calibrating the key derivation for this computer...")
        params = calibrate()

    secret_key = None
    key_file = None
    if args.secret_key_file:
        secret_key = os.urandom(keyslots.SECRET_KEY_BYTES)
        key_file = session.write_secret_key(args.secret_key_file, secret_key)
    try:
        vault, recovery_code = Vault.create(path, password, params=params, secret_key=secret_key, clock=console.clock)
    except BaseException:
        if key_file is not None:
            key_file.unlink(missing_ok=True)
        raise
    vault.close()

    console.info(
        f"created {path} (Argon2id {params.memory_kib} KiB, {params.iterations} iterations, parallelism {params.parallelism})"
    )
    if key_file is not None:
        console.info(f"wrote the secret key to {key_file}; keep a copy on paper: the vault does not open without it")
    qr = args.qr if args.qr is not None else bool(getattr(console.stdout, "isatty", lambda: False)())
    _print_recovery_code(console, keyslots.encode_code(recovery_code), qr)
    return 0


def passwd(console: Console, args) -> int:
    """Rewrap the vault key under a new password; entries are not re-encrypted.

    With a sync state file the server changes first (see qvault.sync.client.password),
    unless --local-only is given.
    """
    with session.open_vault(console, args) as vault:
        password = session.read_master_password(console)
        secret_key = session.read_secret_key(args.secret_key_file)
        vault.unlock(password, secret_key)
        if sidecar_path(vault.path).exists() and not args.local_only:
            return _passwd_synced(console, args, vault, password, secret_key)

        new_password = _new_password(console)
        vault.change_password(new_password, params=kdf_params_from_args(args), secret_key=secret_key)
    console.info("changed the master password")
    if args.local_only and sidecar_path(vault.path).exists():
        console.info(
            "qvault: warning: the sync server still uses the previous master password, so 'qvault sync' fails "
            "until you run 'qvault passwd' again with the server reachable (it asks for the previous password)"
        )
    return 0


def _passwd_synced(console: Console, args, vault: Vault, password: str, secret_key: bytes | None) -> int:
    params = kdf_params_from_args(args)
    # Imported here: the sync client pulls in httpx, slow to import for other commands.
    from qvault.sync.client import password as sync_password
    from qvault.sync.client.api import ApiClient

    state = SyncState.load(vault)
    api = ApiClient(state.server_url, sync_command.http_client())
    try:
        try:
            plan = sync_password.plan_change(vault, state, api)
        except SyncError as error:
            raise SyncError(f"{error}. Nothing was changed; retry when the server is reachable, or pass --local-only to change only this vault's password") from None

        if plan.kind == sync_password.ADOPT:
            console.info(
                f"qvault: the sync server {api.server_url} has another master password for this vault (changed on "
                "another device, or by an interrupted 'qvault passwd'); enter it as the new password to use it here"
            )
            if params is not None:
                console.info("qvault: warning: the KDF options are ignored: the server's password slot is used as it is")
            sync_password.adopt_password(vault, state, api, plan, _new_password(console), secret_key)
            api.logout()
            console.info(f"this vault now opens with the master password of {api.server_url}")
            return 0

        server_password = password
        if plan.needs_server_password:
            server_password = console.secret("Previous master password (the sync server still uses it): ", "the previous master password")
        new_password = _new_password(console)
        sync_password.update_password(vault, state, api, plan, server_password, new_password, params, secret_key)
    finally:
        api.close()
        state.close()
    console.info(
        f"changed the master password here and on {api.server_url}; on other devices run 'qvault passwd' "
        "and enter the new password as the new one"
    )
    return 0


def recover(console: Console, args) -> int:
    """Unlock with the recovery code and set a new master password (on this device only)."""
    with session.open_vault(console, args) as vault:
        text = console.secret("Recovery code: ", "the recovery code")
        vault.unlock_with_recovery_code(keyslots.decode_code(text, keyslots.RECOVERY_CODE_BYTES, "recovery code"))
        password = _new_password(console)
        secret_key = session.read_secret_key(args.secret_key_file)
        if vault.needs_secret_key and secret_key is None:
            console.info("qvault: warning: the new password slot has no secret key; pass --secret-key-file to keep using one")
        vault.change_password(password, params=kdf_params_from_args(args), secret_key=secret_key)
        console.info("set a new master password; the recovery code stays valid")
        if sidecar_path(vault.path).exists():
            _explain_recover_sync(console, vault)
    return 0


def _explain_recover_sync(console: Console, vault: Vault) -> None:
    """Tell how to reconnect sync: the server's auth key needs the previous password, which recovery does not give."""
    state = SyncState.load(vault)
    try:
        server, email = state.server_url, state.email
    finally:
        state.close()
    console.info(
        f"qvault: warning: the sync server {server} still uses the previous master password for {email}, "
        "so 'qvault sync' fails until it is updated. If you remember the previous password, run 'qvault passwd' "
        "(it asks for it and updates the server). Otherwise remove "
        f"{sidecar_path(vault.path)} and run 'qvault sync setup --server {server} --email ANOTHER_EMAIL' "
        "to sync through a new account, then 'qvault sync clone' on the other devices"
    )


def backup(console: Console, args) -> int:
    """Copy a consistent snapshot with SQLite's backup API, then check the copy opens."""
    source = session.vault_path(args.vault)
    Vault.open(source).close()
    target = pathlib.Path(args.destination).expanduser()
    if target.exists() and not args.force:
        raise VaultExists(f"{target}: a file already exists; pass --force to replace it")
    temporary = target.with_name(f".{target.name}.partial-{os.getpid()}")
    try:
        with contextlib.closing(sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)) as reader:
            with contextlib.closing(sqlite3.connect(temporary)) as writer:
                # One step copies every page under a single read lock: a consistent snapshot.
                reader.backup(writer, pages=-1)
        os.chmod(temporary, 0o600)
        Vault.open(temporary).close()
        os.replace(temporary, target)
    except sqlite3.Error as error:
        raise VaultError(f"backup of {source} to {target} failed: {error}") from None
    except OSError as error:
        raise VaultError(f"backup to {target} failed: {error.strerror}") from None
    finally:
        temporary.unlink(missing_ok=True)
    console.info(f"backed up {source} to {target} ({target.stat().st_size} bytes)")
    return 0


def verify(console: Console, args) -> int:
    """Check SQLite integrity, the manifest, and decrypt and validate every secret."""
    path = session.vault_path(args.vault)
    Vault.open(path).close()
    with contextlib.closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as reader:
        result = reader.execute("PRAGMA integrity_check").fetchall()
    if result != [("ok",)]:
        raise VaultError(f"{path}: SQLite integrity check failed: {'; '.join(row[0] for row in result[:5])}")

    problems = 0
    with session.open_unlocked(console, args) as vault:
        entries = vault.entries()
        for entry in entries:
            try:
                build_entry(entry.type, merged_fields(entry.metadata, vault.get_secret(entry.id)))
            except EntryValidationError as error:
                console.info(f"qvault: warning: entry {entry.id} '{entry.title}' no longer validates: {error}")
            except QvaultError as error:
                problems += 1
                message = str(error)
                # Most vault errors already name the entry, so the id is added only when it is missing.
                if entry.id not in message:
                    message = f"entry {entry.id}: {message}"
                console.info(f"qvault: error: {message}")
        counter = vault.counter
    if problems:
        console.info(f"qvault: error: {problems} of {plural.entries(len(entries))} failed to decrypt")
        return 1
    console.out(f"ok: {plural.entries(len(entries))} decrypted and verified, vault counter {counter}")
    return 0
