"""The host's session: the unlocked vault, the idle timer, background sync, and locking.

All access goes through one re-entrant lock because the idle timer runs on its own
thread and may lock the vault between two requests. The sync thread
(background_sync.py) uses its own Vault object and never takes this lock.
"""

from __future__ import annotations

import logging
import os
import threading
import time

from qvault import limits
from qvault.native.codes import ErrorCode, RequestError

log = logging.getLogger(__name__)


class Session:
    def __init__(
        self,
        vault_path,
        *,
        idle_seconds: float = limits.IDLE_LOCK_SECONDS_DEFAULT,
        sync_interval_seconds: float | None = None,
        prompt_factory=None,
        clock=time.monotonic,
    ):
        from qvault.native.background_sync import SYNC_INTERVAL_SECONDS_DEFAULT

        self.vault_path = os.fspath(vault_path)
        self.idle_seconds = idle_seconds
        self.sync_interval_seconds = sync_interval_seconds or SYNC_INTERVAL_SECONDS_DEFAULT
        self._prompt_factory = prompt_factory
        self._clock = clock
        self._lock = threading.RLock()
        self._vault = None
        self._index = None
        self._sync_worker = None
        self._last_sync_success: int | None = None
        self._last_activity = clock()
        self._stopped = threading.Event()
        self._timer = threading.Thread(target=self._watch_idle, name="idle-lock", daemon=True)
        self._timer.start()

    def state(self) -> str:
        with self._lock:
            if self._vault is not None and self._vault.unlocked:
                return "unlocked"
            return "locked" if os.path.isfile(self.vault_path) else "no_vault"

    def touch(self) -> None:
        with self._lock:
            self._last_activity = self._clock()

    def vault(self):
        """Return the unlocked Vault, with other processes' commits picked up."""
        with self._lock:
            if self._vault is None or not self._vault.unlocked:
                if not os.path.isfile(self.vault_path):
                    raise RequestError(ErrorCode.NO_VAULT, f"no vault at {self.vault_path}; create one with 'qvault init'")
                raise RequestError(ErrorCode.LOCKED, "the vault is locked; unlock it first")
            self._vault.refresh()
            return self._vault

    def match_index(self, vault):
        """Return the site index of the vault's logins, rebuilt after any commit."""
        from qvault.native.index import MatchIndex

        with self._lock:
            if self._index is None or self._index.counter != vault.counter:
                self._index = MatchIndex(vault.entries(), vault.counter)
            return self._index

    def sync_status(self) -> dict:
        """Return the status verb's sync object: state, last_success (Unix seconds) and message."""
        with self._lock:
            if self._sync_worker is not None:
                return self._sync_worker.status.snapshot()
            return {"state": "off", "last_success": self._last_sync_success, "message": None}

    def request_sync(self) -> None:
        """Ask the sync thread, if one runs, to sync soon (after a write)."""
        with self._lock:
            if self._sync_worker is not None:
                self._sync_worker.request_sync()

    def unlock(self) -> None:
        """Ask for the master password with the local prompt and unlock.

        The password is typed into a local window owned by the host; it never
        crosses native messaging. Gives up after limits.UNLOCK_ATTEMPTS wrong tries.
        When the vault has a sync state file, the same Argon2id run also derives the
        sync auth key, and a sync thread starts. The password itself is not kept.
        """
        from qvault.errors import WrongPassword
        from qvault.paths import secret_key_path
        from qvault.prompt import find_prompt
        from qvault.sync.client.state import sidecar_path
        from qvault.vault import Vault

        with self._lock:
            if self.state() == "unlocked":
                return
            if not os.path.isfile(self.vault_path):
                raise RequestError(ErrorCode.NO_VAULT, f"no vault at {self.vault_path}; create one with 'qvault init'")
            vault = Vault.open(self.vault_path)
            secret_key = None
            if vault.needs_secret_key:
                secret_key = _read_secret_key(secret_key_path())
            prompt = self._prompt_factory() if self._prompt_factory else find_prompt()
            syncs = sidecar_path(self.vault_path).is_file()
            if syncs:
                from qvault.sync.client.auth import unlock_with_auth_key
            sync_keys = None
            error = None
            try:
                for attempt in range(1, limits.UNLOCK_ATTEMPTS + 1):
                    password = prompt.ask(
                        title="Unlock Qvault",
                        description=f"The browser extension asks to unlock the vault {os.path.basename(self.vault_path)}.",
                        prompt="Master password:",
                        error=error,
                    )
                    try:
                        if syncs:
                            sync_keys = unlock_with_auth_key(vault, password, secret_key)
                        else:
                            vault.unlock(password, secret_key)
                    except WrongPassword:
                        log.info("unlock attempt %d of %d: wrong password", attempt, limits.UNLOCK_ATTEMPTS)
                        error = f"Wrong password. Attempt {attempt + 1} of {limits.UNLOCK_ATTEMPTS}."
                        continue
                    finally:
                        del password
                    self._vault = vault
                    self._last_activity = self._clock()
                    log.info("vault unlocked")
                    if sync_keys is not None:
                        self._start_sync(*sync_keys)
                    return
            except BaseException:
                vault.close()
                raise
            vault.close()
            raise RequestError(ErrorCode.WRONG_PASSWORD, f"wrong password {limits.UNLOCK_ATTEMPTS} times; the vault stays locked")

    def _start_sync(self, auth_key: bytes, vault_key: bytes) -> None:
        from qvault.native.background_sync import SyncWorker

        self._sync_worker = SyncWorker(self.vault_path, vault_key, auth_key, self.sync_interval_seconds, self._last_sync_success)
        self._sync_worker.start()

    def lock(self) -> None:
        with self._lock:
            self._index = None
            if self._sync_worker is not None:
                self._last_sync_success = self._sync_worker.status.snapshot()["last_success"]
                self._sync_worker.stop()
                self._sync_worker = None
            if self._vault is not None:
                self._vault.close()
                self._vault = None
                log.info("vault locked")

    def close(self) -> None:
        self._stopped.set()
        self.lock()

    def _watch_idle(self) -> None:
        interval = max(0.05, min(self.idle_seconds / 4, 5.0))
        while not self._stopped.wait(interval):
            with self._lock:
                idle = self._clock() - self._last_activity
                if self._vault is not None and idle >= self.idle_seconds:
                    log.info("locking after %d s without requests", int(idle))
                    self.lock()


def _read_secret_key(path) -> bytes:
    from qvault.vault import keyslots

    try:
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError):
        raise RequestError(
            ErrorCode.VAULT_ERROR,
            f"this vault needs its secret key, but {path} could not be read; set QVAULT_SECRET_KEY_FILE",
        ) from None
    try:
        return keyslots.decode_code(text, keyslots.SECRET_KEY_BYTES, "secret key")
    except Exception as error:
        raise RequestError(ErrorCode.VAULT_ERROR, f"{path}: {error}") from None
