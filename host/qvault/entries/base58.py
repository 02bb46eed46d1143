"""Base58Check, as Bitcoin encodes extended keys (BIP32) and WIF private keys."""

import hashlib

ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_INDEX = {character: value for value, character in enumerate(ALPHABET)}
CHECKSUM_BYTES = 4
# Longer than any extended key (111 characters) or WIF key (52); checked before the
# quadratic big-integer conversion.
ENCODED_MAX_CHARS = 128


class Base58Error(ValueError):
    """The text is not valid Base58Check; the message names the problem, not the text."""


def _checksum(payload: bytes) -> bytes:
    return hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:CHECKSUM_BYTES]


def encode_check(payload: bytes) -> str:
    """Encode payload followed by its double-SHA-256 checksum."""
    data = payload + _checksum(payload)
    number = int.from_bytes(data, "big")
    characters = []
    while number:
        number, remainder = divmod(number, 58)
        characters.append(ALPHABET[remainder])
    leading_zeros = len(data) - len(data.lstrip(b"\x00"))
    return "1" * leading_zeros + "".join(reversed(characters))


def decode_check(text: str) -> bytes:
    """Return the payload of a Base58Check string; raise Base58Error if it is invalid."""
    if len(text) > ENCODED_MAX_CHARS:
        raise Base58Error(f"is {len(text)} characters long; the maximum is {ENCODED_MAX_CHARS}")
    number = 0
    for position, character in enumerate(text, start=1):
        value = _INDEX.get(character)
        if value is None:
            raise Base58Error(f"character {position} is not in the Base58 alphabet")
        number = number * 58 + value
    leading_zeros = len(text) - len(text.lstrip("1"))
    body = number.to_bytes((number.bit_length() + 7) // 8, "big")
    data = b"\x00" * leading_zeros + body
    if len(data) <= CHECKSUM_BYTES:
        raise Base58Error("is too short to hold a checksum")
    payload, checksum = data[:-CHECKSUM_BYTES], data[-CHECKSUM_BYTES:]
    if _checksum(payload) != checksum:
        raise Base58Error("has an invalid checksum (a mistyped character?)")
    return payload
