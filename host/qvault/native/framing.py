"""Native-messaging framing: a 4-byte native-endian length, then UTF-8 JSON.

Chromium and Firefox both use this framing in both directions. Reading checks the
declared length against a cap *before* reading the body, so a hostile or broken
peer cannot make the host allocate without bound.
"""

from __future__ import annotations

import json
import struct

from qvault import limits
from qvault.native.codes import ErrorCode, RequestError

_HEADER = struct.Struct("=I")  # "=" is native byte order with standard size: 4 bytes.


class EndOfStream(Exception):
    """The peer closed the stream cleanly, at a frame boundary."""


class StreamBroken(Exception):
    """The stream cannot be resynchronised (truncated or oversized frame)."""

    def __init__(self, code: ErrorCode, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def _read_exactly(stream, count: int) -> bytes:
    chunks = []
    remaining = count
    while remaining:
        chunk = stream.read(remaining)
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def read_frame(stream, max_bytes: int = limits.FRAME_INBOUND_MAX_BYTES) -> bytes:
    """Return the next frame's body as bytes.

    Raises EndOfStream at a clean end and StreamBroken when the stream is truncated
    or declares a body over max_bytes, in which case the body is not read.
    """
    header = _read_exactly(stream, _HEADER.size)
    if not header:
        raise EndOfStream()
    if len(header) < _HEADER.size:
        raise StreamBroken(ErrorCode.INVALID_FRAME, f"truncated frame header: {len(header)} of 4 bytes")
    (length,) = _HEADER.unpack(header)
    if length > max_bytes:
        raise StreamBroken(
            ErrorCode.FRAME_TOO_LARGE, f"frame declares {length} bytes; the maximum is {max_bytes}"
        )
    body = _read_exactly(stream, length)
    if len(body) < length:
        raise StreamBroken(ErrorCode.INVALID_FRAME, f"truncated frame body: {len(body)} of {length} bytes")
    return body


def decode_message(body: bytes) -> dict:
    """Parse a frame body into a request object, or raise RequestError."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise RequestError(ErrorCode.INVALID_FRAME, f"frame is not valid UTF-8 (byte {error.start})") from None
    try:
        message = json.loads(text)
    except ValueError as error:
        raise RequestError(ErrorCode.INVALID_JSON, f"frame is not valid JSON: {error.msg} at position {error.pos}") from None
    if not isinstance(message, dict):
        raise RequestError(ErrorCode.INVALID_REQUEST, f"a request must be a JSON object, not {type(message).__name__}")
    return message


def encode_frame(message: dict, max_bytes: int = limits.FRAME_OUTBOUND_MAX_BYTES) -> bytes:
    """Serialise a message as a frame; raise ValueError if it exceeds max_bytes.

    The browser closes the port on a message above 1 MiB, so an oversized reply is a
    host bug that must never reach the browser.
    """
    body = json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    if len(body) > max_bytes:
        raise ValueError(f"reply of {len(body)} bytes exceeds the {max_bytes}-byte frame limit")
    return _HEADER.pack(len(body)) + body


def write_frame(stream, message: dict) -> None:
    stream.write(encode_frame(message))
    stream.flush()
