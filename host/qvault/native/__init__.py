"""The native-messaging host: framing, protocol verbs, session and process set-up.

Importing this package is cheap on purpose: crypto and SQLite are imported only when
a verb needs the vault, so the browser gets its `hello` reply quickly.
"""
