"""BIP39 phrases as numbers: entropy, the 64-byte seed, and new random phrases.

Entropy is computed from the word indexes of qvault.entries.bip39.wordlists(), the
mnemonic package's wordlists in NFKD. Mnemonic.to_entropy is not used because it
looks words up in the shipped files. Some of them (Russian, Turkish) are stored
precomposed, so NFKD phrases would not be found there.
"""

import hashlib
import secrets
import unicodedata

from mnemonic import Mnemonic

from qvault.entries import bip39
from qvault.crypto.errors import CryptoError

# Entropy bytes per phrase length (BIP39: ENT = 32 * words / 3 bits).
ENTROPY_BYTES = {12: 16, 15: 20, 18: 24, 21: 28, 24: 32}
_PBKDF2_ROUNDS = 2048


def languages() -> list[str]:
    """Return the wordlist names the mnemonic package ships, English first."""
    return list(bip39.wordlists())


def to_entropy(phrase: str) -> tuple[bytes, str]:
    """Return (entropy, language) of a phrase; raise EntryValidationError if it is invalid."""
    checked = bip39.validate(phrase)
    indexes = bip39.wordlists()[checked.language]
    bits = "".join(format(indexes[word], "011b") for word in checked.phrase.split(" "))
    entropy_bits = len(bits) * 32 // 33
    return int(bits[:entropy_bits], 2).to_bytes(entropy_bits // 8, "big"), checked.language


def to_phrase(entropy: bytes, language: str = "english") -> str:
    """Return the BIP39 phrase of entropy in a wordlist, NFKD with single spaces."""
    if len(entropy) not in ENTROPY_BYTES.values():
        raise CryptoError(f"entropy of {len(entropy)} bytes has no BIP39 phrase; expected 16, 20, 24, 28 or 32 bytes")
    if language not in bip39.wordlists():
        raise CryptoError(f"wordlist {language!r} is unknown; use one of {', '.join(languages())}")
    phrase = Mnemonic(language).to_mnemonic(entropy)
    return bip39.validate(phrase).phrase


def to_seed(phrase: str, passphrase: str = "") -> bytes:
    """Return the 64-byte BIP39 seed: PBKDF2-HMAC-SHA512(NFKD phrase, "mnemonic" + NFKD passphrase)."""
    words = bip39.validate(phrase).phrase
    salt = "mnemonic" + unicodedata.normalize("NFKD", passphrase or "")
    return hashlib.pbkdf2_hmac("sha512", words.encode("utf-8"), salt.encode("utf-8"), _PBKDF2_ROUNDS)


def generate(word_count: int, language: str = "english") -> str:
    """Return a new phrase of word_count words from `secrets` entropy."""
    if word_count not in ENTROPY_BYTES:
        raise CryptoError(f"a BIP39 phrase has 12, 15, 18, 21 or 24 words, not {word_count}")
    return to_phrase(secrets.token_bytes(ENTROPY_BYTES[word_count]), language)
