"""Identities of the shipped extension and of the native-messaging host.

The Chromium id is fixed by the public key in extension/manifest.json ("key"): it is
the first 32 hex digits of SHA-256 over that key's DER bytes, with 0-f written a-p.
tests/test_install.py checks that this constant matches the manifest.
"""

HOST_NAME = "dev.qvault.host"
CHROMIUM_EXTENSION_IDS = ("njjfamoheclcgieedcikpfjkpfhfoamj",)
GECKO_EXTENSION_IDS = ("qvault@qvault.dev",)
