"""The sync client: pull, merge and push encrypted rows, and verify what the server returns.

The server is not trusted with anything that decrypts, nor with the integrity of the
vault: every row is checked against its associated data and the manifest, and the
manifest counter the client remembers exposes a server that rolls back or omits rows.
"""
