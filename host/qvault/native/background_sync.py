"""Background sync of the host's vault with its server, while the vault is unlocked.

Runs only for a vault with a sync state file (VAULT.sync). One thread per unlock:
it syncs at once (a pull, so the popup shows other devices' entries), after each
save_login, and every interval. It opens its own Vault object on the same file,
unlocked with a copy of the vault key, so it never shares the request thread's
Vault or SQLite connection and never takes the session lock: the request thread
picks up its commits through Vault.refresh, as it does for the CLI's.

Failures never reach filling. They are logged without secrets and reported by
SyncStatus. An integrity failure (a hostile or broken server, a modified sync
state file) and a rejected login (HTTP 401 at any step) stop syncing until the next
unlock: retrying an auth key the server rejects would only keep the account
blocked by the server's rate limit.
"""

from __future__ import annotations

import logging
import threading
import time

log = logging.getLogger(__name__)

# Seconds between syncs while unlocked, unless QVAULT_SYNC_INTERVAL_SECONDS overrides it.
SYNC_INTERVAL_SECONDS_DEFAULT = 300.0
# Per-request network timeouts. They bound how long a stopped worker can still run.
CONNECT_TIMEOUT_SECONDS = 5.0
REQUEST_TIMEOUT_SECONDS = 15.0
# Seconds lock() waits for the worker; a worker still in a request stops when it returns.
STOP_WAIT_SECONDS = 1.0
# HTTP statuses worth retrying at the next interval during login: rate limited, server trouble.
_RETRYABLE_LOGIN_STATUSES = (429, 500, 502, 503, 504)


class SyncStatus:
    """The sync state shown by the status verb, "pending" until the first round ends; thread-safe."""

    def __init__(self, last_success: int | None = None):
        self._lock = threading.Lock()
        self._state = "pending"
        self._last_success = last_success
        self._message: str | None = None

    def snapshot(self) -> dict:
        with self._lock:
            return {"state": self._state, "last_success": self._last_success, "message": self._message}

    def set_ok(self) -> None:
        with self._lock:
            self._state, self._last_success, self._message = "ok", int(time.time()), None

    def set_error(self, message: str) -> None:
        with self._lock:
            self._state, self._message = "error", message


class SyncWorker:
    """The sync thread of one unlocked session, and its own status.

    Takes ownership of vault_key and auth_key and wipes both when the thread ends.
    A stopped worker that is still in a request updates only its own status,
    which the session no longer reports.
    """

    def __init__(self, vault_path: str, vault_key: bytes, auth_key: bytes, interval_seconds: float,
                 last_success: int | None = None):
        self._vault_path = vault_path
        self._vault_key = vault_key
        self._auth_key = auth_key
        self._interval = interval_seconds
        self.status = SyncStatus(last_success)
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sync", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def request_sync(self) -> None:
        """Sync as soon as the current round, if any, ends."""
        self._wake.set()

    def stop(self) -> None:
        """Ask the thread to end, and wait up to STOP_WAIT_SECONDS for it."""
        self._stopping.set()
        self._wake.set()
        self._thread.join(STOP_WAIT_SECONDS)
        if self._thread.is_alive():
            log.info("sync thread is finishing a request; it stops when the request returns or times out")

    def _run(self) -> None:
        from qvault.vault import crypto

        try:
            self._sync_until_stopped()
        except Exception as error:
            # A bug, not a sync failure: keep the host serving and report it.
            log.exception("sync thread failed with an unexpected %s", type(error).__name__)
            self.status.set_error(f"internal error ({type(error).__name__}); see the host log")
        finally:
            crypto.wipe(self._auth_key)
            crypto.wipe(self._vault_key)
            log.info("sync thread stopped")

    def _sync_until_stopped(self) -> None:
        import httpx

        from qvault.errors import QvaultError
        from qvault.sync.client.api import ApiClient
        from qvault.sync.client.engine import SyncSession
        from qvault.sync.client.state import SyncState
        from qvault.vault import Vault, replica

        vault = state = api = None
        try:
            try:
                vault = Vault.open(self._vault_path)
                # The vault takes this copy of the key and wipes it when it locks.
                replica.unlock_with_key(vault, bytes(bytearray(self._vault_key)))
                state = SyncState.load(vault)
            except QvaultError as error:
                self._fail("start", error, halted=True)
                return
            if self._stopping.is_set():
                return
            timeout = httpx.Timeout(REQUEST_TIMEOUT_SECONDS, connect=CONNECT_TIMEOUT_SECONDS)
            api = ApiClient(state.server_url, httpx.Client(timeout=timeout, follow_redirects=False))
            session = SyncSession(vault, state, api)
            log.info("sync started with %s, every %g s", api.server_url, self._interval)

            while not self._stopping.is_set():
                self._wake.clear()
                if not self._sync_once(session):
                    return
                self._wake.wait(self._interval)
        finally:
            if api is not None:
                api.close()
            if state is not None:
                state.close()
            if vault is not None:
                vault.close()

    def _sync_once(self, session) -> bool:
        """Run one login (if needed) and sync; return False when syncing must stop until the next unlock."""
        from qvault.errors import IntegrityError, QvaultError
        from qvault.sync.client.errors import ServerError, SyncError, TransportError

        step = "login"
        try:
            if not session.api.logged_in:
                session.login_with_auth_key(self._auth_key)
            step = "sync"
            report = session.sync()
        except IntegrityError as error:
            self._fail(step, error, halted=True)
            return False
        except TransportError as error:
            self._fail(step, error, halted=False)
            return True
        except ServerError as error:
            # A 401 during sync means the token was revoked and logging in again failed too.
            halted = error.status == 401 or (step == "login" and error.status not in _RETRYABLE_LOGIN_STATUSES)
            self._fail(step, error, halted=halted)
            return not halted
        except SyncError as error:
            # Outside the transport, a login SyncError means the password changed
            # without this device, which only the user can repair.
            self._fail(step, error, halted=step == "login")
            return step != "login"
        except QvaultError as error:
            self._fail(step, error, halted=False)
            return True
        log.info(
            "synced with %s: %d pulled, %d pushed, %d conflicts, server revision %d",
            session.api.server_url, report.pulled, report.pushed, report.conflicts, report.server_revision,
        )
        self.status.set_ok()
        return True

    def _fail(self, step: str, error: Exception, *, halted: bool) -> None:
        # Sync error messages name the step and the server, never a key or token.
        suffix = "; sync stopped until the vault is unlocked again" if halted else ""
        log.warning("sync %s failed (%s): %s%s", step, type(error).__name__, error, suffix)
        self.status.set_error(f"{error}{suffix}")
