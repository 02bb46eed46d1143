"""HTTP calls of sync API v1 (docs/sync.md) with httpx, and shape checks on every response.

Everything a server returns is unverified: this module checks only types, lengths
and ranges, so later steps can rely on the shape. Authenticity (AEAD, manifest MAC,
counter) is checked by the callers that hold the vault key.
"""

import base64
import binascii
import dataclasses
import ipaddress
import json
import logging
import urllib.parse

import httpx

from qvault import limits
from qvault.errors import IntegrityError
from qvault.sync.client.errors import ServerError, ServerIntegrityError, SyncError, TransportError
from qvault.vault.kdf import KdfParams
from qvault.vault.replica import RawRow, check_row_shape

log = logging.getLogger(__name__)

API_PREFIX = "/v1"
# Seconds to wait for the server to connect, receive the request or send the response.
REQUEST_TIMEOUT_SECONDS = 30.0
# Largest response body read. A page of rows above this is rejected, not buffered.
RESPONSE_MAX_BYTES = 64 * 1024 * 1024
# Rows requested per /changes page; the server caps a page at 1000.
PULL_PAGE_ROWS = 500
_LOOPBACK_NAMES = ("localhost",)


@dataclasses.dataclass(frozen=True)
class Prelogin:
    """The public KDF settings the server returns for an email (unverified)."""

    kdf: KdfParams
    salt: bytes
    vault_id: bytes


@dataclasses.dataclass(frozen=True)
class KeySlots:
    """The account's key slots and the password slot's public KDF settings (unverified)."""

    vault_id: bytes
    kdf: KdfParams
    salt: bytes
    blobs: list[bytes]


@dataclasses.dataclass(frozen=True)
class ChangesPage:
    """One page of /changes: rows newer than `since`, in server order (unverified)."""

    rows: list[tuple[RawRow, int]]
    server_revision: int
    more: bool
    manifest: bytes | None


class StaleError(ServerError):
    """A push was rejected because the server moved on; pull and merge, then push again."""


def check_server_url(url: str) -> str:
    """Return the URL without a trailing slash; require HTTPS except for a loopback host."""
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme not in ("https", "http") or not parsed.hostname:
        raise SyncError(f"server URL {url!r} is invalid; expected https://HOST[:PORT][/PATH]")
    if parsed.query or parsed.fragment or parsed.username or parsed.password:
        raise SyncError(f"server URL {url!r} must not contain a query, fragment or credentials")
    if parsed.scheme == "http" and not _is_loopback(parsed.hostname):
        raise SyncError(f"server URL {url!r} uses plain HTTP; use https:// (plain HTTP is accepted only for localhost, 127.0.0.1 and ::1)")
    return url.rstrip("/")


def _is_loopback(hostname: str) -> bool:
    if hostname in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(hostname).is_loopback
    except ValueError:
        return False


def b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def b64decode(unverified_value: object, what: str, length: int | None = None) -> bytes:
    """Decode standard padded base64 from the server, checking the decoded length if given."""
    if not isinstance(unverified_value, str):
        raise ServerIntegrityError(f"server response field {what} is not a base64 string")
    try:
        data = base64.b64decode(unverified_value, validate=True)
    except (binascii.Error, ValueError):
        raise ServerIntegrityError(f"server response field {what} is not valid base64") from None
    if length is not None and len(data) != length:
        raise ServerIntegrityError(f"server response field {what} is {len(data)} bytes; expected {length}")
    return data


def _field(document: object, name: str, kind: type | tuple, what: str):
    if not isinstance(document, dict) or name not in document:
        raise ServerIntegrityError(f"server response to {what} has no field {name!r}")
    value = document[name]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ServerIntegrityError(f"server response to {what}: field {name!r} has the wrong type")
    return value


def _kdf(document: object, what: str) -> KdfParams:
    return KdfParams(
        memory_kib=_field(document, "memory_kib", int, what),
        iterations=_field(document, "iterations", int, what),
        parallelism=_field(document, "parallelism", int, what),
    )


def kdf_json(params: KdfParams) -> dict:
    return {"memory_kib": params.memory_kib, "iterations": params.iterations, "parallelism": params.parallelism}


def row_json(row: RawRow, expected_revision: int) -> dict:
    return {
        "id": row.id,
        "expected_revision": expected_revision,
        "revision": row.revision,
        "updated_at": row.updated_at,
        "deleted": row.deleted,
        "meta_nonce": b64encode(row.meta_nonce),
        "meta_ct": b64encode(row.meta_ct),
        "secret_nonce": b64encode(row.secret_nonce),
        "secret_ct": b64encode(row.secret_ct),
    }


def parse_row(unverified: object) -> tuple[RawRow, int]:
    """Parse one /changes row into (RawRow, server_revision); raise ServerIntegrityError."""
    what = "changes row"
    row = RawRow(
        id=_field(unverified, "id", str, what),
        revision=_field(unverified, "revision", int, what),
        updated_at=_field(unverified, "updated_at", int, what),
        deleted=_field(unverified, "deleted", bool, what),
        meta_nonce=b64decode(_field(unverified, "meta_nonce", str, what), "meta_nonce"),
        meta_ct=b64decode(_field(unverified, "meta_ct", str, what), "meta_ct"),
        secret_nonce=b64decode(_field(unverified, "secret_nonce", str, what), "secret_nonce"),
        secret_ct=b64decode(_field(unverified, "secret_ct", str, what), "secret_ct"),
    )
    try:
        check_row_shape(row)
    except IntegrityError as error:
        raise ServerIntegrityError(f"server sent an invalid row: {error}") from None
    server_revision = _field(unverified, "server_revision", int, what)
    return row, server_revision


class ApiClient:
    """One server connection, with the bearer token after login.

    http_client lets tests pass an httpx.Client bound to an in-process app; by
    default a client with REQUEST_TIMEOUT_SECONDS is created.
    """

    def __init__(self, server_url: str, http_client: httpx.Client | None = None):
        self.server_url = check_server_url(server_url)
        self._http = http_client or httpx.Client(timeout=REQUEST_TIMEOUT_SECONDS, follow_redirects=False)
        self._token: str | None = None
        self._credentials: tuple[str, bytes] | None = None

    def close(self) -> None:
        self._http.close()

    @property
    def logged_in(self) -> bool:
        return self._token is not None

    # Endpoints

    def health(self) -> dict:
        return self._request("GET", "/health", "health check", authenticated=False)

    def prelogin(self, email: str) -> Prelogin:
        what = "prelogin"
        document = self._request("POST", "/prelogin", what, {"email": email}, authenticated=False)
        return Prelogin(
            kdf=_kdf(_field(document, "kdf", dict, what), what),
            salt=b64decode(_field(document, "salt", str, what), "salt", limits.SALT_BYTES),
            vault_id=b64decode(_field(document, "vault_id", str, what), "vault_id", limits.VAULT_ID_BYTES),
        )

    def register(
        self, email: str, auth_key: bytes, vault_id: bytes, kdf: KdfParams, salt: bytes, key_slots: list[bytes], manifest: bytes
    ) -> None:
        body = {
            "email": email,
            "auth_key": b64encode(auth_key),
            "vault_id": b64encode(vault_id),
            "kdf": kdf_json(kdf),
            "salt": b64encode(salt),
            "key_slots": [b64encode(blob) for blob in key_slots],
            "manifest": b64encode(manifest),
        }
        self._request("POST", "/register", "register", body, authenticated=False)

    def login(self, email: str, auth_key: bytes) -> None:
        document = self._request("POST", "/login", "login", {"email": email, "auth_key": b64encode(auth_key)}, authenticated=False)
        token = _field(document, "token", str, "login")
        if not token or len(token) > 1024:
            raise ServerIntegrityError("server response to login has an invalid token")
        self._token = token
        # Kept in memory for this session only, to log in again when the token expires.
        self._credentials = (email, auth_key)

    def logout(self) -> None:
        if self._token is None:
            return
        try:
            self._request("POST", "/logout", "logout")
        finally:
            self._token = None
            self._credentials = None

    def change_password(self, auth_key: bytes, new_auth_key: bytes, kdf: KdfParams, salt: bytes, key_slots: list[bytes]) -> None:
        """Replace the account's auth key, KDF settings and key slots; the server revokes every token.

        This session is logged out afterwards, and logs in again only through login().
        """
        body = {
            "auth_key": b64encode(auth_key),
            "new_auth_key": b64encode(new_auth_key),
            "kdf": kdf_json(kdf),
            "salt": b64encode(salt),
            "key_slots": [b64encode(blob) for blob in key_slots],
        }
        # No automatic login again on a 401: the stored credentials may be the old ones.
        self._credentials = None
        try:
            self._request("POST", "/password", "password change", body)
        finally:
            self._token = None

    def keyslots(self) -> KeySlots:
        what = "key slots"
        document = self._request("GET", "/keyslots", what)
        unverified_blobs = _field(document, "key_slots", list, what)
        return KeySlots(
            vault_id=b64decode(_field(document, "vault_id", str, what), "vault_id", limits.VAULT_ID_BYTES),
            kdf=_kdf(_field(document, "kdf", dict, what), what),
            salt=b64decode(_field(document, "salt", str, what), "salt", limits.SALT_BYTES),
            blobs=[b64decode(blob, "key_slots[]") for blob in unverified_blobs],
        )

    def changes(self, since: int, limit: int = PULL_PAGE_ROWS) -> ChangesPage:
        what = "changes"
        document = self._request("GET", f"/changes?since={int(since)}&limit={int(limit)}", what)
        unverified_rows = _field(document, "entries", list, what)
        if len(unverified_rows) > limit:
            raise ServerIntegrityError(f"server sent {len(unverified_rows)} rows for a page of at most {limit}")
        manifest = document.get("manifest") if isinstance(document, dict) else None
        return ChangesPage(
            rows=[parse_row(row) for row in unverified_rows],
            server_revision=_field(document, "server_revision", int, what),
            more=_field(document, "more", bool, what),
            manifest=None if manifest is None else b64decode(manifest, "manifest"),
        )

    def push(self, base_server_revision: int, entries: list[tuple[RawRow, int]], manifest: bytes) -> int:
        """Push rows with their expected revisions; return the new server revision.

        Raises StaleError when the server has newer rows than base_server_revision.
        """
        body = {
            "base_server_revision": base_server_revision,
            "entries": [row_json(row, expected) for row, expected in entries],
            "manifest": b64encode(manifest),
        }
        document = self._request("POST", "/push", "push", body)
        return _field(document, "server_revision", int, "push")

    # Transport

    def _request(self, method: str, path: str, what: str, body: dict | None = None, authenticated: bool = True):
        try:
            return self._send(method, path, what, body, authenticated)
        except ServerError as error:
            if not authenticated or error.status != 401 or self._credentials is None:
                raise
        # The token expired: log in again once with the credentials of this session.
        log.info("sync token rejected during %s; logging in again", what)
        self.login(*self._credentials)
        return self._send(method, path, what, body, authenticated)

    def _send(self, method: str, path: str, what: str, body: dict | None, authenticated: bool):
        headers = {"Accept": "application/json"}
        if authenticated:
            if self._token is None:
                raise SyncError(f"{what}: not logged in to the sync server")
            headers["Authorization"] = f"Bearer {self._token}"
        url = self.server_url + API_PREFIX + path
        try:
            with self._http.stream(method, url, json=body, headers=headers) as response:
                content = _read_capped(response, what)
        except httpx.HTTPError as error:
            log.warning("sync %s to %s failed: %s", what, self.server_url, type(error).__name__)
            raise TransportError(f"{what}: could not reach the sync server at {self.server_url} ({type(error).__name__}); check the URL and your network, then retry") from None
        if response.status_code >= 400:
            raise _server_error(response, content, what)
        if response.status_code == 204 or not content:
            return {}
        try:
            return _json(content)
        except ValueError:
            raise ServerIntegrityError(f"server response to {what} is not valid JSON") from None


def _read_capped(response: httpx.Response, what: str) -> bytes:
    declared = response.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > RESPONSE_MAX_BYTES:
        raise ServerIntegrityError(f"server response to {what} is {declared} bytes; the maximum is {RESPONSE_MAX_BYTES}")
    chunks, size = [], 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > RESPONSE_MAX_BYTES:
            raise ServerIntegrityError(f"server response to {what} exceeds {RESPONSE_MAX_BYTES} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _json(content: bytes):
    return json.loads(content.decode("utf-8"))


def _server_error(response: httpx.Response, content: bytes, what: str) -> ServerError:
    code, message, document = "unknown", "", {}
    try:
        document = _json(content)
        error = document.get("error", {}) if isinstance(document, dict) else {}
        if isinstance(error, dict):
            code = str(error.get("code", code))[:64]
            message = str(error.get("message", ""))[:300]
    except (ValueError, UnicodeDecodeError):
        pass
    status = response.status_code
    detail = f"{message} ({code}, HTTP {status})" if message else f"{code}, HTTP {status}"
    if status == 409 and code == "stale":
        return StaleError(f"{what}: the server has newer changes ({detail})", status, code, document)
    if status == 401:
        text = f"{what}: the server rejected the credentials ({detail}); check the email and master password"
    elif status == 429:
        retry = response.headers.get("retry-after", "")
        wait = f"; retry in {retry} seconds" if retry.isdigit() else "; retry later"
        text = f"{what}: the server limits attempts ({detail}){wait}"
    else:
        text = f"{what}: the sync server rejected the request: {detail}"
    return ServerError(text, status, code, document if isinstance(document, dict) else {})
