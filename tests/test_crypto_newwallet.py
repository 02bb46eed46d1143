"""New wallets: phrase length and wordlist, a valid entry, public data that matches the seed."""

import pytest

from qvault.crypto import derive, newwallet, seed
from qvault.crypto.errors import CryptoError
from qvault.entries import bip39


@pytest.mark.parametrize("words", [12, 24])
def test_create_word_counts(words):
    created = newwallet.create("Cold", word_count=words)
    assert created.metadata["word_count"] == words
    assert len(created.secret["seed"].split()) == words
    assert created.metadata["seed_language"] == "english"


def test_create_metadata_matches_seed():
    created = newwallet.create("Cold", word_count=12)
    account = derive.derive_account(seed.to_seed(created.secret["seed"]), derive.scheme("bip84"), count=1)
    assert created.metadata["xpub"] == account.xpub
    assert created.metadata["xpub_kind"] == "zpub"
    assert created.metadata["derivation_path"] == "m/84'/0'/0'"
    assert created.metadata["addresses"] == [account.receive[0][1]]
    assert created.metadata["coin"] == "BTC"
    assert "seed" not in created.metadata


def test_create_passphrase_and_language():
    created = newwallet.create("Jp", word_count=12, language="japanese", passphrase="extra words")
    assert created.metadata["seed_language"] == "japanese"
    assert created.metadata["has_passphrase"] is True
    assert created.secret["passphrase"] == "extra words"
    account = derive.derive_account(seed.to_seed(created.secret["seed"], "extra words"), derive.scheme("bip84"), count=1)
    assert created.metadata["xpub"] == account.xpub


@pytest.mark.parametrize("scheme, network, coin, prefix", [("eth", "mainnet", "ETH", "0x"), ("bip86", "testnet", "BTC testnet", "tb1p"), ("bip49", "mainnet", "BTC", "3")])
def test_create_schemes(scheme, network, coin, prefix):
    created = newwallet.create("W", word_count=12, scheme_name=scheme, network=network)
    assert created.metadata["coin"] == coin
    assert created.metadata["addresses"][0].startswith(prefix)


def test_create_differs_each_time():
    assert newwallet.create("A", word_count=12).secret["seed"] != newwallet.create("A", word_count=12).secret["seed"]


def test_create_repr_hides_seed():
    created = newwallet.create("A", word_count=12)
    assert created.secret["seed"] not in repr(created)
    assert bip39.validate(created.secret["seed"]).word_count == 12


def test_create_rejects_word_count():
    with pytest.raises(CryptoError, match="not 11"):
        newwallet.create("A", word_count=11)
