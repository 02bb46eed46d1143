"""Errors of the sync client, under the Qvault exception tree."""

from qvault.errors import IntegrityError, QvaultError


class SyncError(QvaultError):
    """Sync could not complete: the server is unreachable, returned an error, or sync is not set up."""


class TransportError(SyncError):
    """The server could not be reached or the request timed out, so a later retry may succeed."""


class ServerError(SyncError):
    """The server returned an HTTP error; `code` is its snake_case error code."""

    def __init__(self, message: str, status: int, code: str, unverified_body: dict | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.unverified_body = unverified_body or {}


class ServerIntegrityError(IntegrityError):
    """The server returned data that fails a check: tampering, rollback or omission.

    Nothing from the failing pull is written to the vault.
    """
