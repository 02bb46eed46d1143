"""One module per group of related verbs; importing this package registers them all."""

from qvault.native.verbs import credentials, listing, state, tools  # noqa: F401
