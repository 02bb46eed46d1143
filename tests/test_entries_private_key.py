"""Private key entries: hex and WIF parsing, range checks."""

import pytest

from qvault.entries import base58, build_entry, merged_fields, private_key
from qvault.errors import EntryValidationError

# The WIF example of the Bitcoin wiki's "Wallet import format" page.
HEX = "0c28fca386c7a227600b2fe50b7cae11ec86d3bf1fbe471be89827e19d72aa1d"
WIF = "5HueCGU8rMjxEXxiPuD5BDku4MkFqeZyd4dZ1jvhTVqvbTLvyTJ"
WIF_COMPRESSED = "KwdMAjGmerYanjeui5SHS7JkmpZvVipYvB2LJGU1ZxJwYvP98617"


def test_hex_key_normalised():
    parsed = private_key.parse_private_key("0x" + HEX.upper())

    assert parsed["key"] == HEX
    assert parsed["key_format"] == "hex"


def test_wif_uncompressed():
    parsed = private_key.parse_private_key(WIF)

    assert parsed == {"key": WIF, "key_format": "wif", "network": "mainnet", "compressed": False}


def test_wif_compressed_same_key():
    payload = base58.decode_check(WIF_COMPRESSED)

    assert payload[1:33].hex() == HEX
    assert private_key.parse_private_key(WIF_COMPRESSED)["compressed"] is True


def test_wif_testnet():
    key = base58.encode_check(bytes([0xEF]) + bytes.fromhex(HEX) + b"\x01")

    assert private_key.parse_private_key(key)["network"] == "testnet"


@pytest.mark.parametrize(
    "value,phrase",
    [
        ("00" * 32, "outside the secp256k1 range"),
        ("ff" * 32, "outside the secp256k1 range"),
        ("abc", "not 64 hex digits"),
        (WIF[:-1] + "K", "invalid checksum"),
        (base58.encode_check(bytes([0x81]) + bytes.fromhex(HEX)), "prefix byte 0x81"),
        (base58.encode_check(bytes([0x80]) + bytes.fromhex(HEX) + b"\x02"), "34 ending in 0x01"),
    ],
)
def test_invalid_key_rejected(value, phrase):
    with pytest.raises(EntryValidationError, match=phrase) as raised:
        private_key.parse_private_key(value)
    assert value not in str(raised.value)


def test_key_entry_split():
    metadata, secret = build_entry("key", {"title": "Paper", "private_key": WIF_COMPRESSED, "coin": "BTC", "address": "1LoVGDgRs9hTfTNJNuXKSpywcbdvwRXpmK"})

    assert secret == {"private_key": WIF_COMPRESSED}
    assert metadata["compressed"] is True
    assert build_entry("key", merged_fields(metadata, secret)) == (metadata, secret)


def test_key_entry_requires_key():
    with pytest.raises(EntryValidationError, match="field 'private_key' is required"):
        build_entry("key", {"title": "Paper"})


def test_base58_round_trip_leading_zeros():
    payload = b"\x00\x00\x01\x02"

    assert base58.decode_check(base58.encode_check(payload)) == payload
    assert base58.encode_check(payload).startswith("11")
