"""Watch-only verification: stored xpub, path and addresses against the seed."""

import json
import pathlib

import pytest

from qvault.crypto import derive, seed, verify
from qvault.crypto.errors import CryptoError
from qvault.entries import base58, build_entry

ACCOUNTS = json.loads((pathlib.Path(__file__).parent / "vectors" / "bip_accounts.json").read_text(encoding="utf-8"))
MNEMONIC = ACCOUNTS["mnemonic"]
VECTOR = {item["scheme"]: item for item in ACCOUNTS["accounts"]}
ZPUB = VECTOR["bip84"]["xpub"]


def wallet(**fields):
    """Build a wallet entry the way the CLI stores it; return (metadata, secret)."""
    return build_entry("wallet", {"title": "Test wallet", "seed": MNEMONIC, **fields})


def checks_by_field(report):
    return {check.field: check for check in report.checks}


def test_bip84_entry_matches():
    metadata, secret = wallet(xpub=ZPUB, derivation_path="m/84'/0'/0'", addresses=VECTOR["bip84"]["receive"])
    report = verify.verify(metadata, secret, count=2)
    assert report.ok
    assert [check.field for check in report.checks] == ["xpub", "derivation_path", "address 1", "address 2"]
    assert report.accounts[0].xpub == ZPUB
    assert "matches BIP84 P2WPKH account 0" in checks_by_field(report)["xpub"].detail


def test_addresses_of_every_scheme_found():
    stored = [VECTOR["bip44"]["receive"][1], VECTOR["bip86"]["change"][0], VECTOR["eth"]["receive"][0]]
    metadata, secret = wallet(addresses=stored)
    report = verify.verify(metadata, secret)
    assert report.ok
    details = [check.detail for check in report.checks]
    assert details[0] == "BIP44 P2PKH m/44'/0'/0'/0/1"
    assert details[1] == "BIP86 P2TR m/86'/0'/0'/1/0"
    assert details[2] == "Ethereum m/44'/60'/0'/0/0"


def test_testnet_bip49_vector():
    metadata, secret = wallet(xpub=VECTOR["bip49"]["xpub"], addresses=VECTOR["bip49"]["receive"])
    report = verify.verify(metadata, secret)
    assert report.ok
    assert report.accounts[0].path == "m/49'/1'/0'"
    assert report.accounts[0].network == "testnet"


def test_unknown_address_mismatch():
    metadata, secret = wallet(addresses=["1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2"])
    report = verify.verify(metadata, secret, scan=5)
    assert not report.ok
    assert "not among the first 5 receive and change addresses of account 0" in report.checks[0].detail


def test_wrong_passphrase_mismatch():
    metadata, secret = wallet(xpub=ZPUB, passphrase="not the one")
    report = verify.verify(metadata, secret)
    assert not report.ok
    assert "check the BIP39 passphrase" in checks_by_field(report)["xpub"].detail


def test_passphrase_changes_derived_keys():
    metadata, secret = wallet(passphrase="TREZOR")
    with_passphrase = verify.verify(metadata, secret).accounts[0]
    assert with_passphrase.xpub != ZPUB
    stored, stored_secret = wallet(xpub=with_passphrase.xpub, passphrase="TREZOR")
    assert verify.verify(stored, stored_secret).ok


def test_xpub_version_differs_noted():
    account = derive.derive_account(seed.to_seed(MNEMONIC), derive.scheme("bip84"), count=0)
    # The same BIP84 account key with xpub version bytes, as some apps export it.
    payload = base58.decode_check(account.xpub)
    relabelled = base58.encode_check(bytes.fromhex("0488b21e") + payload[4:])
    metadata, secret = wallet(xpub=relabelled)
    check = checks_by_field(verify.verify(metadata, secret))["xpub"]
    assert check.ok
    assert "stored as xpub, this scheme's usual form is zpub" in check.detail


def test_path_conflicts_with_xpub():
    metadata, secret = wallet(xpub=ZPUB, derivation_path="m/44'/0'/0'")
    checks = checks_by_field(verify.verify(metadata, secret))
    assert checks["xpub"].ok
    assert not checks["derivation_path"].ok
    assert "belongs to BIP84 P2WPKH, not to this path's BIP44 P2PKH" in checks["derivation_path"].detail


def test_path_outside_schemes_not_checked():
    metadata, secret = wallet(derivation_path="m/44'/501'/0'")
    check = verify.verify(metadata, secret).checks[0]
    assert check.ok
    assert check.detail.startswith("not checked")


def test_account_from_path():
    account_one = derive.derive_account(seed.to_seed(MNEMONIC), derive.scheme("bip84"), account=1, count=1)
    metadata, secret = wallet(derivation_path="m/84'/0'/1'", addresses=[account_one.receive[0][1]])
    report = verify.verify(metadata, secret)
    assert report.ok
    assert report.accounts[0].index == 1


def test_eth_lowercase_found_with_checksum_hint():
    metadata, secret = wallet(addresses=[VECTOR["eth"]["receive"][0].lower()])
    check = verify.verify(metadata, secret).checks[0]
    assert check.ok
    assert "the checksummed form is 0x9858EfFD232B4033E47d90003D41EC34EcaEda94" in check.detail


def test_eth_bad_checksum_mismatch():
    good = VECTOR["eth"]["receive"][0]
    letter = next(index for index in range(2, len(good)) if good[index].isalpha())
    mistyped = good[:letter] + good[letter].swapcase() + good[letter + 1 :]
    metadata, secret = wallet(addresses=[mistyped])
    check = verify.verify(metadata, secret).checks[0]
    assert not check.ok
    assert "EIP-55 checksum" in check.detail


def test_coin_eth_shows_ethereum():
    metadata, secret = wallet(coin="ETH")
    report = verify.verify(metadata, secret, count=1)
    assert report.accounts[0].scheme.name == "eth"
    assert report.accounts[0].receive[0][1] == VECTOR["eth"]["receive"][0]
    assert report.checks == []


def test_all_schemes_shown():
    metadata, secret = wallet()
    report = verify.verify(metadata, secret, count=1, all_schemes=True)
    assert [account.scheme.name for account in report.accounts] == ["bip44", "bip49", "bip84", "bip86", "eth"]


def test_document_public_only():
    metadata, secret = wallet(xpub=ZPUB, passphrase="hidden words")
    document = json.dumps(verify.verify(metadata, secret).document())
    assert "abandon" not in document
    assert "hidden words" not in document


def test_watch_only_entry_rejected():
    metadata, secret = build_entry("wallet", {"title": "Watch", "xpub": ZPUB})
    with pytest.raises(CryptoError, match="has no seed phrase"):
        verify.verify(metadata, secret)
