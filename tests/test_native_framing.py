"""Framing: 4-byte native-endian length + UTF-8 JSON, checked against an independent peer."""

import io
import json
import struct

import nativemessaging
import pytest

from qvault import limits
from qvault.native import framing
from qvault.native.codes import ErrorCode, RequestError


def frame(body: bytes) -> bytes:
    return struct.pack("=I", len(body)) + body


def test_round_trip_unicode():
    message = {"id": "é", "type": "match", "url": "https://bücher.example/ログイン"}
    stream = io.BytesIO(framing.encode_frame(message))
    assert framing.decode_message(framing.read_frame(stream)) == message


def test_peer_decodes_our_frames(monkeypatch):
    # nativemessaging reads sys.stdin.buffer; give it our bytes.
    message = {"id": 1, "ok": True, "title": "Zürich ☃"}
    fake_stdin = io.TextIOWrapper(io.BytesIO(framing.encode_frame(message)))
    monkeypatch.setattr("sys.stdin", fake_stdin)
    assert nativemessaging.get_message() == message


def test_we_decode_peer_frames(monkeypatch):
    message = {"id": 2, "type": "hello", "protocol": 1, "note": "naïve"}
    buffer = io.BytesIO()
    fake_stdout = io.TextIOWrapper(buffer)
    monkeypatch.setattr("sys.stdout", fake_stdout)
    nativemessaging.send_message(nativemessaging.encode_message(message))
    fake_stdout.flush()
    assert framing.decode_message(framing.read_frame(io.BytesIO(buffer.getvalue()))) == message


def test_read_end_of_stream():
    with pytest.raises(framing.EndOfStream):
        framing.read_frame(io.BytesIO(b""))


def test_read_truncated_header():
    with pytest.raises(framing.StreamBroken) as caught:
        framing.read_frame(io.BytesIO(b"\x05\x00"))
    assert caught.value.code is ErrorCode.INVALID_FRAME
    assert "truncated frame header" in caught.value.message


def test_read_truncated_body():
    with pytest.raises(framing.StreamBroken) as caught:
        framing.read_frame(io.BytesIO(struct.pack("=I", 10) + b"{}"))
    assert caught.value.code is ErrorCode.INVALID_FRAME
    assert "2 of 10 bytes" in caught.value.message


class CountingStream(io.BytesIO):
    def __init__(self, data: bytes):
        super().__init__(data)
        self.requested = 0

    def read(self, size=-1):
        self.requested += size if size and size > 0 else 0
        return super().read(size)


def test_oversized_length_not_read():
    stream = CountingStream(struct.pack("=I", limits.FRAME_INBOUND_MAX_BYTES + 1) + b"x" * 100)
    with pytest.raises(framing.StreamBroken) as caught:
        framing.read_frame(stream)
    assert caught.value.code is ErrorCode.FRAME_TOO_LARGE
    assert stream.requested == 4


def test_debug_text_read_as_length():
    # The classic symptom of a print() on stdout: "[DEB" becomes a huge length.
    with pytest.raises(framing.StreamBroken) as caught:
        framing.read_frame(io.BytesIO(b"[DEBUG] hello"))
    assert caught.value.code is ErrorCode.FRAME_TOO_LARGE


@pytest.mark.parametrize(
    ("body", "code", "phrase"),
    [
        (b"\xff\xfe", ErrorCode.INVALID_FRAME, "not valid UTF-8"),
        (b"{not json", ErrorCode.INVALID_JSON, "not valid JSON"),
        (b"[1, 2]", ErrorCode.INVALID_REQUEST, "must be a JSON object"),
        (b'"text"', ErrorCode.INVALID_REQUEST, "must be a JSON object"),
    ],
)
def test_decode_rejects(body, code, phrase):
    with pytest.raises(RequestError) as caught:
        framing.decode_message(body)
    assert caught.value.code is code
    assert phrase in caught.value.message


def test_encode_rejects_oversized_reply():
    with pytest.raises(ValueError, match="exceeds"):
        framing.encode_frame({"blob": "x" * limits.FRAME_OUTBOUND_MAX_BYTES})


def test_encode_is_compact_utf8():
    encoded = framing.encode_frame({"a": "é"})
    body = encoded[4:]
    assert struct.unpack("=I", encoded[:4])[0] == len(body)
    assert json.loads(body.decode("utf-8")) == {"a": "é"}
    assert "é".encode("utf-8") in body
