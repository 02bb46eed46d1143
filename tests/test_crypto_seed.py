"""BIP39 entropy, seed and generation against the reference vectors of every wordlist."""

import json
import pathlib

import pytest

from qvault.crypto import seed
from qvault.crypto.errors import CryptoError
from qvault.entries import bip39
from qvault.errors import EntryValidationError

VECTORS = json.loads((pathlib.Path(__file__).parent / "vectors" / "bip39.json").read_text(encoding="utf-8"))["vectors"]
IDS = [f"{vector['language']}-{vector['entropy'][:8]}" for vector in VECTORS]


@pytest.mark.parametrize("vector", VECTORS, ids=IDS)
def test_to_entropy_vectors(vector):
    entropy, language = seed.to_entropy(vector["mnemonic"])
    assert entropy.hex() == vector["entropy"]
    assert language == vector["language"] or bip39.validate(vector["mnemonic"]).language == language


@pytest.mark.parametrize("vector", VECTORS, ids=IDS)
def test_to_phrase_vectors(vector):
    phrase = seed.to_phrase(bytes.fromhex(vector["entropy"]), vector["language"])
    assert phrase == bip39.validate(vector["mnemonic"]).phrase


@pytest.mark.parametrize("vector", VECTORS, ids=IDS)
def test_to_seed_vectors(vector):
    assert seed.to_seed(vector["mnemonic"], vector["passphrase"]).hex() == vector["seed"]


@pytest.mark.parametrize("words", [12, 15, 18, 21, 24])
def test_generate_word_counts(words):
    phrase = seed.generate(words)
    checked = bip39.validate(phrase)
    assert checked.word_count == words
    assert checked.language == "english"


@pytest.mark.parametrize("language", seed.languages())
def test_generate_every_language(language):
    phrase = seed.generate(12, language)
    entropy, _ = seed.to_entropy(phrase)
    assert seed.to_phrase(entropy, language) == phrase


def test_generate_differs_each_time():
    assert seed.generate(12) != seed.generate(12)


def test_languages_english_first():
    assert seed.languages()[0] == "english"
    assert "japanese" in seed.languages()


def test_generate_rejects_word_count():
    with pytest.raises(CryptoError, match="not 13"):
        seed.generate(13)


def test_to_phrase_rejects_size():
    with pytest.raises(CryptoError, match="entropy of 17 bytes has no BIP39 phrase"):
        seed.to_phrase(bytes(17))


def test_to_phrase_rejects_language():
    with pytest.raises(CryptoError, match="wordlist 'klingon' is unknown"):
        seed.to_phrase(bytes(16), "klingon")


def test_to_entropy_rejects_checksum():
    with pytest.raises(EntryValidationError, match="checksum failed"):
        seed.to_entropy("abandon " * 12)
