"""Qvault: a local-first password manager for people who hold cryptocurrency."""

__version__ = "0.1.0"
