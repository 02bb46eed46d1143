"""Byte encodings of format 1, and entry round trips for arbitrary JSON documents."""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from vault_helpers import PASSWORD, create_vault

from qvault import limits
from qvault.errors import CorruptVault, IntegrityError
from qvault.vault import Vault, format

JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(), children, max_size=5),
    max_leaves=20,
)
DOCUMENTS = st.dictionaries(st.text(), JSON_VALUES, max_size=8)
# Python's str allows lone surrogates, which UTF-8 cannot encode; the vault rejects them.
DOCUMENTS_UTF8 = DOCUMENTS.filter(lambda document: _utf8_encodable(document))


def _utf8_encodable(document):
    try:
        json.dumps(document, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@given(DOCUMENTS_UTF8)
def test_plaintext_roundtrip(document):
    encoded = format.encode_plaintext(document)
    assert len(encoded) % limits.ENTRY_PADDING_BYTES == 0
    assert format.decode_plaintext(encoded, "test") == document


def test_plaintext_canonical():
    encoded = format.encode_plaintext({"b": 1, "a": "é"})
    assert encoded == '{"a":"é","b":1}'.encode("utf-8") + b" " * 48


def test_plaintext_lone_surrogate_rejected():
    with pytest.raises(ValueError, match="lone surrogate"):
        format.encode_plaintext({"title": "\ud800"})


def test_plaintext_too_large_rejected():
    with pytest.raises(ValueError, match="maximum is 1048576"):
        format.encode_plaintext({"notes": "x" * limits.ENTRY_PLAINTEXT_MAX_BYTES})


@pytest.mark.parametrize(
    ("data", "phrase"),
    [
        (b"[1,2]" + b" " * 59, "not a JSON object"),
        (b"{}" + b" " * 61, "not a multiple of 64"),
        (b'{"a":1}\x00' + b" " * 56, "other than space padding"),
        (b"\xff" * 64, "not valid UTF-8 JSON"),
    ],
)
def test_decode_rejects(data, phrase):
    with pytest.raises(CorruptVault, match=phrase):
        format.decode_plaintext(data, "test")


def test_entry_ad_layout():
    vault_id = bytes(range(16))
    encoded = format.entry_associated_data(vault_id, "00112233-4455-6677-8899-aabbccddeeff", 258, 2)
    assert encoded == (
        b"QVAULT-ENTRY\x00" + b"\x00\x01" + vault_id + bytes.fromhex("00112233445566778899aabbccddeeff")
        + (258).to_bytes(8, "big") + b"\x02"
    )


@pytest.mark.parametrize("bad", ["00112233-4455-6677-8899-AABBCCDDEEFF", "{00112233-4455-6677-8899-aabbccddeeff}", "", 5])
def test_entry_id_canonical_only(bad):
    with pytest.raises(ValueError, match="not a lowercase hyphenated UUID"):
        format.entry_id_bytes(bad)


@pytest.mark.parametrize("value", [-1, 2**64, "1", 1.0, True, None])
def test_check_u64_rejects(value):
    with pytest.raises(IntegrityError, match="expected an integer from 0"):
        format.check_u64(value, 0, "test value")


@pytest.fixture(scope="module")
def shared_vault(tmp_path_factory):
    path = tmp_path_factory.mktemp("roundtrip") / "v.qvault"
    vault, _ = create_vault(path)
    yield vault
    vault.close()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(metadata=DOCUMENTS_UTF8, secret=DOCUMENTS_UTF8)
def test_vault_entry_roundtrip(shared_vault, metadata, secret):
    entry = shared_vault.add_entry(metadata, secret)
    assert shared_vault.entry(entry.id).metadata == metadata
    assert shared_vault.get_secret(entry.id) == secret


def test_vault_roundtrip_survives_reopen(shared_vault):
    expected = {entry.id: (entry.metadata, shared_vault.get_secret(entry.id)) for entry in shared_vault.entries()}
    reopened = Vault.open(shared_vault.path)
    reopened.unlock(PASSWORD)
    assert {entry.id: (entry.metadata, reopened.get_secret(entry.id)) for entry in reopened.entries()} == expected
    reopened.close()
