"""Crypto wallet entries, BIP32 paths and extended public keys."""

import pytest

from qvault.entries import bip32, build_entry, merged_fields
from qvault.errors import EntryValidationError

ABANDON = "abandon " * 11 + "about"
# BIP32 test vector 1 (master and m/0H), BIP84 account 0 of the 'abandon ... about'
# phrase, and a BIP32 testnet master key.
XPUB = "xpub661MyMwAqRbcFtXgS5sYJABqqG9YLmC4Q1Rdap9gSE8NqtwybGhePY2gZ29ESFjqJoCu1Rupje8YtGqsefD265TMg7usUDFdp6W1EGMcet8"
XPUB_CHILD = "xpub68Gmy5EdvgibQVfPdqkBBCHxA5htiqg55crXYuXoQRKfDBFA1WEjWgP6LHhwBZeNK1VTsfTFUHCdrfp1bgwQ9xv5ski8PX9rL2dZXvgGDnw"
ZPUB = "zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r1ADqtfSdVCToUG868RvUUkgDKf31mGDtKsAYz2oz2AGutZYs"
TPUB = "tpubD6NzVbkrYhZ4XgiXtGrdW5XDAPFCL9h7we1vwNCpn8tGbBcgfVYjXyhWo4E1xkh56hjod1RhGjxbaTLV3X4FyWuejifB9jusQ46QzG87VKp"
XPRV = "xprv9s21ZrQH143K3h3fDYiay8mocZ3afhfULfb5GX8kCBdno77K4HiA15Tg23wpbeF1pLfs1c5SPmYHrEpTuuRhxMwvKDwqdKiGJS9XFKzUsAF"


def test_wallet_split_secret_and_metadata():
    metadata, secret = build_entry(
        "wallet",
        {"title": "Cold", "seed": ABANDON.upper(), "passphrase": "TREZOR", "coin": "BTC", "derivation_path": "m/84'/0'/0'", "xpub": ZPUB},
    )

    assert secret == {"seed": ABANDON, "passphrase": "TREZOR"}
    assert metadata["seed_language"] == "english"
    assert metadata["word_count"] == 12
    assert metadata["xpub_kind"] == "zpub"
    assert metadata["has_passphrase"] is True
    assert "seed" not in metadata
    assert "passphrase" not in metadata


def test_wallet_watch_only():
    metadata, secret = build_entry("wallet", {"title": "Watch", "xpub": XPUB, "addresses": ["bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu"]})

    assert secret == {}
    assert metadata["addresses"] == ["bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu"]


def test_wallet_needs_seed_or_watch_data():
    with pytest.raises(EntryValidationError, match="needs a seed phrase, an xpub or at least one address"):
        build_entry("wallet", {"title": "Empty", "coin": "BTC"})


def test_passphrase_needs_seed():
    with pytest.raises(EntryValidationError, match="needs a seed phrase in the same entry"):
        build_entry("wallet", {"title": "W", "xpub": XPUB, "passphrase": "x"})


def test_passphrase_keeps_spaces_nfkd():
    _, secret = build_entry("wallet", {"title": "W", "seed": ABANDON, "passphrase": " ｐａｓｓ "})

    assert secret["passphrase"] == " pass "


def test_bad_seed_word_named():
    with pytest.raises(EntryValidationError, match="word 12 'abut'"):
        build_entry("wallet", {"title": "W", "seed": "abandon " * 11 + "abut"})


def test_bad_address_rejected():
    with pytest.raises(EntryValidationError, match="address 1 'bc1 q' is not an address"):
        build_entry("wallet", {"title": "W", "addresses": ["bc1 q"]})


def test_wallet_edit_round_trip():
    metadata, secret = build_entry("wallet", {"title": "W", "seed": ABANDON, "xpub": TPUB, "derivation_path": "m/84h/1h/0h"})

    assert build_entry("wallet", merged_fields(metadata, secret)) == (metadata, secret)


@pytest.mark.parametrize(
    "path,expected",
    [("m/84'/0'/0'", "m/84'/0'/0'"), ("m/84h/0H/0h/0/5", "m/84'/0'/0'/0/5"), ("M/0", "m/0"), ("m", "m"), (" m / 44' / 60' ", "m/44'/60'")],
)
def test_path_normalised(path, expected):
    assert bip32.normalize_path(path) == expected


@pytest.mark.parametrize(
    "path,phrase",
    [
        ("84'/0'/0'", "must start with m/"),
        ("m/84'/x/0", "step 2 'x'"),
        ("m/2147483648", r"is not below 2\^31"),
        ("m//0", "step 1 ''"),
        ("m/1''", "step 1"),
    ],
)
def test_path_rejected(path, phrase):
    with pytest.raises(EntryValidationError, match=phrase):
        bip32.normalize_path(path)


@pytest.mark.parametrize("key,kind", [(XPUB, "xpub"), (XPUB_CHILD, "xpub"), (ZPUB, "zpub"), (TPUB, "tpub")])
def test_extended_public_key_accepted(key, kind):
    assert bip32.check_extended_public_key(key)[1] == kind


def test_extended_private_key_rejected():
    with pytest.raises(EntryValidationError, match="private extended key \\(xprv\\)"):
        bip32.check_extended_public_key(XPRV)


def test_extended_key_typo_rejected():
    typo = XPUB[:-1] + ("9" if XPUB[-1] != "9" else "8")

    with pytest.raises(EntryValidationError, match="invalid checksum"):
        bip32.check_extended_public_key(typo)


def test_extended_key_bad_alphabet():
    with pytest.raises(EntryValidationError, match="character 5 is not in the Base58 alphabet"):
        bip32.check_extended_public_key("xpub0" + XPUB[5:])
