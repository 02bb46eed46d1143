"""Random bytes and random JSON at the host's serve loop: it never crashes, and its
output always parses as frames, each a reply with a known error code."""

import io
import json
import struct

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hostproc import CHROMIUM_CALLER
from qvault.native import dispatch
from qvault.native.codes import ErrorCode
from qvault.native.dispatch import Arg, verb
from qvault.native.main import serve
from qvault.native.session import Session

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)
requests = st.dictionaries(
    st.sampled_from(["id", "type", "url", "query", "entry_id", "protocol", "cursor", "password", "x"]),
    json_values | st.sampled_from(["hello", "status", "match", "search", "get_login", "lock", "save_login"]),
    max_size=5,
)


def parse_frames(data: bytes) -> list[dict]:
    replies = []
    position = 0
    while position < len(data):
        (length,) = struct.unpack("=I", data[position : position + 4])
        assert length <= 1024 * 1024
        replies.append(json.loads(data[position + 4 : position + 4 + length].decode("utf-8")))
        position += 4 + length
    assert position == len(data)
    return replies


def run(session, data: bytes) -> tuple[int, list[dict]]:
    output = io.BytesIO()
    status = serve(session, io.BytesIO(data), output, CHROMIUM_CALLER, [CHROMIUM_CALLER])
    return status, parse_frames(output.getvalue())


def frame(body: bytes) -> bytes:
    return struct.pack("=I", len(body)) + body


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=300))
def test_random_bytes_never_crash(tmp_path, data):
    session = Session(tmp_path / "none.qvault")
    try:
        status, replies = run(session, data)
    finally:
        session.close()
    assert status in (0, 1)
    known = {code.name for code in ErrorCode}
    for reply in replies:
        assert reply["ok"] or reply["error"]["name"] in known


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(messages=st.lists(requests, max_size=5))
def test_random_requests_all_answered(tmp_path, messages):
    session = Session(tmp_path / "none.qvault")
    data = b"".join(frame(json.dumps(message).encode("utf-8")) for message in messages)
    try:
        status, replies = run(session, data)
    finally:
        session.close()
    assert status == 0
    assert len(replies) == len(messages)
    for reply in replies:
        assert set(reply) <= {"id", "ok", "error", "protocol", "host_version", "state", "entries", "idle_lock_seconds", "sync"}


def test_unexpected_exception_is_internal(tmp_path):
    @verb("explode_for_test")
    def explode(session):
        raise RuntimeError("boom with a would-be secret")

    session = Session(tmp_path / "none.qvault")
    try:
        status, replies = run(session, frame(b'{"id": 5, "type": "explode_for_test"}'))
    finally:
        session.close()
        dispatch.VERBS.pop("explode_for_test")
    assert status == 0
    assert replies[0]["error"]["name"] == "INTERNAL"
    assert "boom" not in replies[0]["error"]["message"]
    assert "RuntimeError" in replies[0]["error"]["message"]
