"""Errors of the crypto features, in the QvaultError tree so the CLI reports them in one line."""

from qvault.errors import QvaultError


class CryptoError(QvaultError):
    """A crypto feature failed: bad parameters, an unusable wallet entry, an output file."""


class ShareError(CryptoError):
    """A SLIP-39 share is invalid, belongs to another set, or the set is incomplete."""
