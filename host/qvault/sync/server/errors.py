"""The error the endpoints raise, turned into the API's JSON error body."""

from typing import Any


class ApiError(Exception):
    """An HTTP error response: {"error": {"code", "message"}} plus optional top-level fields.

    The message names the field or step that failed and never contains an auth key,
    a token, a key slot or a ciphertext.
    """

    def __init__(self, status: int, code: str, message: str, extra: dict[str, Any] | None = None,
                 headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.extra = extra or {}
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message}, **self.extra}


def invalid(message: str) -> ApiError:
    return ApiError(400, "invalid_request", message)


def too_large(message: str) -> ApiError:
    return ApiError(413, "payload_too_large", message)
