"""Named limits, in one place, checked before any costly work.

Each limit defends against a specific abuse: a file or a server that requests a key
derivation taking minutes or gigabytes, a browser frame that would make the host
allocate without bound, or a reply the browser would drop.
"""

# Argon2id parameters accepted in a key slot. The floor is RFC 9106's second
# recommended option (m = 64 MiB, t = 3); the total cost floor also admits its first
# option (m = 2 GiB, t = 1). The ceilings stop a hostile file from asking for
# minutes of work or more memory than a desktop has.
ARGON2_MEMORY_KIB_MIN = 64 * 1024
ARGON2_MEMORY_KIB_MAX = 4 * 1024 * 1024
ARGON2_ITERATIONS_MIN = 1
ARGON2_ITERATIONS_MAX = 64
ARGON2_PARALLELISM_MIN = 1
ARGON2_PARALLELISM_MAX = 16
# memory_kib * iterations, in KiB: floor 64 MiB x 3, ceiling 16 GiB (about 8 s here).
ARGON2_COST_MIN = 64 * 1024 * 3
ARGON2_COST_MAX = 16 * 1024 * 1024

SALT_BYTES = 16
KEY_BYTES = 32
XCHACHA_NONCE_BYTES = 24
POLY1305_TAG_BYTES = 16
VAULT_ID_BYTES = 16

# Entry plaintexts are padded to a multiple of this many bytes, so a ciphertext's
# length reveals only a rough size of its entry.
ENTRY_PADDING_BYTES = 64
# A single entry's plaintext (metadata or secret part) may not exceed this.
ENTRY_PLAINTEXT_MAX_BYTES = 1024 * 1024

# Native messaging. Chromium and Firefox close the port when the host sends a
# message above 1 MiB; the host uses the same cap on what it accepts.
FRAME_INBOUND_MAX_BYTES = 1024 * 1024
FRAME_OUTBOUND_MAX_BYTES = 1024 * 1024
# Entries per page of a match or search reply. Metadata of one entry is bounded by
# the field caps below, so a page stays far below the outbound cap.
MATCH_PAGE_SIZE = 200
# Serialised size of the entries in one page; the rest of the reply is small. One
# entry summary is at most about 13 KiB (three capped text fields), so a page always
# contains at least one entry and stays under the outbound cap.
PAGE_BUDGET_BYTES = 768 * 1024
FIELD_TEXT_MAX_CHARS = 4096
URL_MAX_CHARS = 4096

# Seconds of inactivity before the native host drops the vault key.
IDLE_LOCK_SECONDS_DEFAULT = 600
# Wrong passwords accepted in one unlock prompt before the host gives up.
UNLOCK_ATTEMPTS = 3

# Milliseconds SQLite waits for another process's write lock before failing.
SQLITE_BUSY_TIMEOUT_MS = 10_000
