"""Errors of the crypto features; defined in qvault.errors with the rest of the tree."""

from qvault.errors import CryptoError, ShareError

__all__ = ["CryptoError", "ShareError"]
