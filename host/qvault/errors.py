"""Qvault's exception tree.

Every error Qvault raises on purpose derives from QvaultError, so callers (the CLI,
the native host) can turn any of them into one clear line without a traceback::

    QvaultError
    ├── VaultError                 the vault file or its contents
    │   ├── VaultNotFound          no vault at the given path
    │   ├── VaultExists            init over an existing vault
    │   ├── UnsupportedFormat      a format version this build cannot read
    │   ├── CorruptVault           structure is invalid (bad lengths, missing rows)
    │   ├── IntegrityError         a MAC or AEAD check failed: tampering or damage
    │   ├── WrongPassword          the password slot did not open
    │   ├── KdfParametersRejected  KDF parameters outside the floor or ceiling
    │   ├── EntryNotFound          no entry with that id or query
    │   ├── AmbiguousQuery         a query matched several entries
    │   ├── RevisionConflict       an update raced another writer
    │   └── StorageError           SQLite failed (disk full, locked too long)
    ├── EntryValidationError       an entry field contains an invalid value
    ├── CryptoError                a wallet feature failed (derivation, paper output)
    │   └── ShareError             a SLIP-39 share is invalid or the set is incomplete
    └── PromptError                the unlock prompt could not run
        └── PromptCancelled        the user cancelled the prompt

A failed native-messaging request raises qvault.native.codes.RequestError, which
carries a protocol error code for the browser. API misuse (a wrong type or value
passed by calling code) raises TypeError or ValueError instead. Messages name the step and the value, never a secret.
"""


class QvaultError(Exception):
    """Base class of every error Qvault raises on purpose."""


class VaultError(QvaultError):
    """A problem with the vault file or its contents."""


class VaultNotFound(VaultError):
    """No vault exists at the given path."""


class VaultExists(VaultError):
    """A vault already exists where a new one was to be created."""


class UnsupportedFormat(VaultError):
    """The vault's format version is not one this build can read."""


class CorruptVault(VaultError):
    """The vault's structure is invalid: a missing table or row, or a bad length."""


class IntegrityError(VaultError):
    """An authentication check failed.

    The message never names the byte that was wrong or what the plaintext would have
    been, because that would help an attacker build a forgery.
    """


class WrongPassword(VaultError):
    """The master password (or secret key) did not open the password slot."""


class KdfParametersRejected(VaultError):
    """A key slot requests Argon2id parameters outside the accepted range."""


class EntryNotFound(VaultError):
    """No live entry has the requested id, or no entry matches the query."""


class AmbiguousQuery(VaultError):
    """A query meant to select one entry matched several."""

    def __init__(self, message: str, candidates: list[str]):
        super().__init__(message)
        self.candidates = candidates


class RevisionConflict(VaultError):
    """An entry changed since the caller read it, so the write was not applied."""


class StorageError(VaultError):
    """SQLite could not complete a read or write (disk full, database locked)."""


class EntryValidationError(QvaultError):
    """An entry field contains a value that fails validation."""


class CryptoError(QvaultError):
    """A crypto feature failed: bad parameters, an unusable wallet entry, an output file."""


class ShareError(CryptoError):
    """A SLIP-39 share is invalid, belongs to another set, or the set is incomplete."""


class PromptError(QvaultError):
    """The unlock prompt could not be shown or failed."""


class PromptCancelled(PromptError):
    """The user cancelled the unlock prompt."""
