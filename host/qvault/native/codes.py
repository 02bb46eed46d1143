"""Protocol error codes. Append-only: never renumber or reuse a code.

docs/protocol.md has the same table; tests/test_native_codes.py keeps them equal, and
the extension maps every code to user text in one place (extension/lib/errors.js).
"""

import enum


class ErrorCode(enum.IntEnum):
    INVALID_FRAME = 1
    FRAME_TOO_LARGE = 2
    INVALID_JSON = 3
    INVALID_REQUEST = 4
    UNKNOWN_VERB = 5
    INVALID_ARGUMENT = 6
    UNSUPPORTED_PROTOCOL = 7
    CALLER_NOT_ALLOWED = 8
    NO_VAULT = 9
    LOCKED = 10
    WRONG_PASSWORD = 11
    CANCELLED = 12
    PROMPT_UNAVAILABLE = 13
    NOT_FOUND = 14
    ORIGIN_MISMATCH = 15
    FORBIDDEN = 16
    CONFLICT = 17
    VAULT_ERROR = 18
    INTERNAL = 19


class RequestError(Exception):
    """A request failed with a protocol error code; the message goes to the browser."""

    def __init__(self, code: ErrorCode, message: str):
        super().__init__(message)
        self.code = code
        self.message = message
