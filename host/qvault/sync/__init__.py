"""Sync: the client that pushes and pulls encrypted rows, the server and its storage.

The server stores only ciphertext rows, encrypted key slots, revision numbers and
account records; see docs/sync.md for the HTTP API and the deployment guide.
"""
