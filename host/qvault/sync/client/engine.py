"""One sync round: pull and verify, merge, write locally, push; repeat on a stale push.

Order of writes, so that a crash at any point loses nothing:
1. the merged rows go into the vault in one transaction;
2. the sidecar records the pulled server state;
3. each pushed chunk, once accepted, is recorded in the sidecar.
A crash between two steps leaves rows that the next sync finds both locally and
on the server with identical bytes, which the merge treats as already in sync.
"""

import dataclasses
import datetime
import logging
from typing import Callable

from qvault.errors import IntegrityError, RevisionConflict
from qvault.sync.client import auth, merge
from qvault.sync.client.api import ApiClient, StaleError
from qvault.sync.client.errors import ServerIntegrityError, SyncError
from qvault.sync.client.state import SyncState
from qvault.vault import format, keyslots, replica
from qvault.vault.replica import RawRow
from qvault.vault.store import Vault

log = logging.getLogger(__name__)

# Rounds of pull-merge-push before giving up while other devices keep pushing.
SYNC_ATTEMPTS_MAX = 5
# Rows and approximate ciphertext bytes per push request. The server caps a push at
# 500 rows and 8 MiB of JSON, and base64 adds a third to the ciphertext.
PUSH_BATCH_ROWS = 500
PUSH_BATCH_BYTES = 5 * 1024 * 1024


@dataclasses.dataclass
class SyncReport:
    """Summary of one sync. Its notices are shown to the user."""

    pulled: int = 0
    pushed: int = 0
    conflicts: int = 0
    notices: list[str] = dataclasses.field(default_factory=list)
    server_revision: int = 0


@dataclasses.dataclass
class _Pull:
    remote: dict[str, RawRow]
    server_revision: int
    manifest_blob: bytes | None
    manifest: replica.Manifest | None


class SyncSession:
    """Sync of one unlocked vault with its server. Log in once, then sync as often as needed."""

    def __init__(self, vault: Vault, state: SyncState, api: ApiClient, today: Callable[[], datetime.date] = datetime.date.today):
        if state.vault_id != vault.vault_id:
            raise SyncError(f"{state.path}: the sync state belongs to another vault")
        self.vault = vault
        self.state = state
        self.api = api
        self.today = today

    def login(self, password: str, secret_key: bytes | None) -> None:
        """Check the server's KDF settings against the pinned ones, derive the auth key, log in.

        Raises KdfParametersRejected or ServerIntegrityError before deriving anything
        when the server's settings differ from those pinned at setup, and SyncError
        when this vault's password changed without the server (see password.py).
        Settings equal to this vault's own password slot are pinned: a password
        change stored them on the server and in the vault but not yet here.
        """
        local_slot = self._check_server_settings()
        needs_secret_key = local_slot.needs_secret_key
        auth_key = auth.derive_auth_key(
            self.state.vault_id, self.state.salt, self.state.kdf, password, secret_key if needs_secret_key else None
        )
        self.api.login(self.state.email, auth_key)

    def login_with_auth_key(self, auth_key: bytes) -> None:
        """Log in with an auth key derived from this vault's password slot (auth.unlock_with_auth_key).

        Checks the server's settings as login() does. Such a key is valid only while
        the pinned settings equal the password slot's. A successful check always
        leaves them equal, and the comparison below guards that invariant.
        """
        local_slot = self._check_server_settings()
        if (self.state.kdf, self.state.salt) != (local_slot.params, local_slot.salt):
            raise SyncError(f"{self.state.path}: the pinned KDF settings differ from the vault's password slot; run 'qvault sync'")
        self.api.login(self.state.email, auth_key)

    def _check_server_settings(self) -> keyslots.KeySlot:
        """Compare prelogin's KDF settings with the pinned ones and the password slot's; return the slot."""
        unverified = self.api.prelogin(self.state.email)
        local_slot = password_slot(self.vault)
        server_settings = (unverified.kdf, unverified.salt)
        pinned = (self.state.kdf, self.state.salt)
        local = (local_slot.params, local_slot.salt)
        if unverified.vault_id != self.state.vault_id:
            raise ServerIntegrityError(f"the sync server returned another vault id for {self.state.email}; refusing to log in")
        if server_settings == pinned and local != pinned:
            raise SyncError(
                f"the master password of {self.vault.path} was changed without updating the sync server "
                "('qvault passwd --local-only' or 'qvault recover'); run 'qvault passwd' to update the server. "
                "It asks for the master password the server still uses"
            )
        if server_settings != pinned and server_settings == local:
            log.info("sync server %s has this vault's current password slot; pinning its KDF settings", self.api.server_url)
            self.state.pin_kdf(self.vault, local_slot.params, local_slot.salt)
        elif server_settings != pinned:
            log.warning("sync server %s returned KDF settings or a salt other than the pinned ones", self.api.server_url)
            if unverified.kdf == self.state.kdf:
                # A password change keeps the cost but draws a new salt: the usual case.
                changed = "a different Argon2id salt than the one pinned at setup (same cost)"
            else:
                changed = f"different KDF settings ({_describe(unverified.kdf)}) than were pinned at setup ({_describe(self.state.kdf)})"
            raise ServerIntegrityError(
                f"the sync server now returns {changed}; refusing to log in. If the master password was changed on "
                "another device, run 'qvault passwd' here and enter that password as the new one"
            )
        return local_slot

    def sync(self) -> SyncReport:
        """Pull, merge, push until the server accepts the push or nothing is left to push."""
        report = SyncReport()
        for attempt in range(1, SYNC_ATTEMPTS_MAX + 1):
            try:
                self._round(report)
            except StaleError:
                log.info("sync push was stale (attempt %d); pulling again", attempt)
                continue
            except RevisionConflict:
                log.info("the vault changed during sync (attempt %d); merging again", attempt)
                continue
            report.server_revision = self.state.server_revision
            return report
        raise SyncError(f"sync did not finish after {SYNC_ATTEMPTS_MAX} rounds because the vault or server kept changing; retry")

    def _round(self, report: SyncReport) -> None:
        pull = self.pull()
        local_rows, export_counter = replica.export_rows(self.vault, self.state.local_seq)
        local = {row.id: row for row in local_rows if self.state.base.get(row.id) != row}
        remote = {entry_id: row for entry_id, row in pull.remote.items() if self.state.base.get(entry_id) != row}
        expected_states = replica.row_states(self.vault, local.keys() | remote.keys())

        plan = merge.plan_merge(self.state.base, local, remote, lambda row: replica.open_row(self.vault, row), self.today())
        if plan.apply or plan.puts:
            replica.apply_changes(self.vault, expected_states, plan.apply, plan.puts)
        # Until every push is accepted, local_seq stays where it was, so rows that fail
        # to push are exported again by the next sync.
        local_seq = export_counter if not plan.push else self.state.local_seq
        self.state.save(self.vault, list(pull.remote.values()), pull.server_revision, pull.manifest_blob, local_seq)
        report.pulled += len(remote)
        report.notices.extend(plan.notices)
        report.conflicts += plan.conflicts

        to_push = []
        for entry_id in sorted(plan.push):
            row = replica.current_row(self.vault, entry_id)
            if row is None:
                raise SyncError(f"entry {entry_id} disappeared from the vault during sync; retry")
            base = self.state.base.get(entry_id)
            to_push.append((row, base.revision if base else 0))
        for chunk in _chunks(to_push):
            self._push(chunk)
            report.pushed += len(chunk)
        if to_push:
            self.state.save(self.vault, [], self.state.server_revision, self.state.manifest_blob, export_counter)

    # Pull

    def pull(self) -> _Pull:
        """Fetch every row changed since the last sync and verify them against the manifest.

        Raises ServerIntegrityError, writing nothing, when a row fails its AEAD or
        revision checks, the manifest MAC fails, the counter went back, or the rows
        do not add up to the manifest (a dropped or replayed entry).
        """
        state = self.state
        since = state.server_revision
        remote: dict[str, RawRow] = {}
        while True:
            page = self.api.changes(since)
            for row, row_server_revision in page.rows:
                if row_server_revision <= since:
                    raise ServerIntegrityError(
                        f"the server sent entry {row.id} at server revision {row_server_revision}, not after {since}"
                    )
                remote[row.id] = row
            if not page.more:
                break
            if page.server_revision <= since:
                raise ServerIntegrityError(f"the server's change pages stopped advancing at server revision {since}")
            since = page.server_revision
        if page.server_revision < state.server_revision:
            raise self._rollback(f"the server revision went back from {state.server_revision} to {page.server_revision}")

        for row in remote.values():
            self._check_remote_row(row)
        manifest = self._check_manifest(page.manifest, remote)
        return _Pull(remote, page.server_revision, page.manifest, manifest)

    def _check_remote_row(self, row: RawRow) -> None:
        base = self.state.base.get(row.id)
        if base is not None and row.revision < base.revision:
            raise self._rollback(f"the server sent entry {row.id} at revision {row.revision}, older than revision {base.revision} seen before")
        if base is not None and row.revision == base.revision and row != base:
            raise ServerIntegrityError(f"the server changed entry {row.id} without a new revision; refusing the pull")
        try:
            replica.open_row(self.vault, row)
        except IntegrityError as error:
            log.warning("sync server %s sent a row that fails authentication: entry %s", self.api.server_url, row.id)
            raise ServerIntegrityError(f"the server sent a damaged or tampered row: {error}; nothing was written") from None

    def _check_manifest(self, unverified_blob: bytes | None, remote: dict[str, RawRow]) -> replica.Manifest | None:
        remembered = self.state.manifest
        if unverified_blob is None:
            if remembered is not None or remote:
                raise self._rollback("the server returned no manifest, though one was verified before")
            return None
        try:
            manifest = replica.decode_manifest(self.vault, unverified_blob)
        except IntegrityError as error:
            raise ServerIntegrityError(f"the server's manifest failed verification: {error}") from None
        if remembered is not None:
            if manifest.counter < remembered.counter:
                raise self._rollback(f"the manifest counter went back from {remembered.counter} to {manifest.counter}")
            if manifest.counter == remembered.counter and manifest.accumulator != remembered.accumulator:
                raise self._rollback(f"the manifest changed without its counter moving past {manifest.counter}")

        accumulator = self.state.base_accumulator
        for entry_id, row in remote.items():
            base = self.state.base.get(entry_id)
            if base is not None:
                accumulator ^= replica.row_leaf(self.vault, base)
            accumulator ^= replica.row_leaf(self.vault, row)
        if accumulator != manifest.accumulator:
            log.warning("sync server %s: rows do not match the manifest", self.api.server_url)
            raise ServerIntegrityError(
                "the server's rows do not match its manifest: an entry was dropped, replayed or rolled back "
                "on the server; nothing was written. Keep this device's vault and contact the server operator"
            )
        return manifest

    def _rollback(self, detail: str) -> ServerIntegrityError:
        log.warning("sync server %s rolled back or replayed state: %s", self.api.server_url, detail)
        return ServerIntegrityError(
            f"the sync server returned an older state than this device saw before ({detail}); nothing was "
            "written. Keep this device's vault: it holds the newer data"
        )

    # Push

    def _push(self, chunk: list[tuple[RawRow, int]]) -> None:
        state = self.state
        accumulator = state.base_accumulator
        for row, _ in chunk:
            base = state.base.get(row.id)
            if base is not None:
                accumulator ^= replica.row_leaf(self.vault, base)
            accumulator ^= replica.row_leaf(self.vault, row)
        counter = state.manifest.counter + 1 if state.manifest is not None else 1
        manifest_blob = replica.encode_manifest(self.vault, counter, accumulator)
        server_revision = self.api.push(state.server_revision, chunk, manifest_blob)
        if server_revision <= state.server_revision:
            raise ServerIntegrityError(f"the server returned server revision {server_revision} for the push, not one after {state.server_revision}")
        state.save(self.vault, [row for row, _ in chunk], server_revision, manifest_blob, state.local_seq)


def _chunks(rows: list[tuple[RawRow, int]]) -> list[list[tuple[RawRow, int]]]:
    chunks, current, size = [], [], 0
    for item in rows:
        row = item[0]
        row_size = len(row.meta_ct) + len(row.secret_ct) + 256
        if current and (len(current) >= PUSH_BATCH_ROWS or size + row_size > PUSH_BATCH_BYTES):
            chunks.append(current)
            current, size = [], 0
        current.append(item)
        size += row_size
    if current:
        chunks.append(current)
    return chunks


def password_slot(vault: Vault) -> keyslots.KeySlot:
    return next(slot for slot in vault.key_slots() if slot.kind == format.SLOT_PASSWORD)


def _describe(params) -> str:
    return f"m={params.memory_kib} KiB, t={params.iterations}, p={params.parallelism}"
