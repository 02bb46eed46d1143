"""Derivation with bip-utils: BIP32, BIP49, BIP84, BIP86 vectors, EIP-55, path parsing."""

import json
import pathlib

import pytest
from bip_utils import Bip32Slip10Secp256k1

from qvault.crypto import derive, seed
from qvault.crypto.errors import CryptoError

HERE = pathlib.Path(__file__).parent / "vectors"
BIP32 = json.loads((HERE / "bip32.json").read_text(encoding="utf-8"))["vectors"]
ACCOUNTS = json.loads((HERE / "bip_accounts.json").read_text(encoding="utf-8"))
ABANDON_SEED = seed.to_seed(ACCOUNTS["mnemonic"])
CHAINS = [(vector["seed"], chain) for vector in BIP32 for chain in vector["chains"]]


@pytest.mark.parametrize("seed_hex, chain", CHAINS, ids=[f"{seed_hex[:6]}-{chain['path']}" for seed_hex, chain in CHAINS])
def test_bip32_vectors(seed_hex, chain):
    master = Bip32Slip10Secp256k1.FromSeed(bytes.fromhex(seed_hex))
    node = master if chain["path"] == "m" else master.DerivePath(chain["path"])
    assert node.PublicKey().ToExtended() == chain["xpub"]
    assert node.PrivateKey().ToExtended() == chain["xprv"]


def test_bip32_vector_count():
    assert [len(vector["chains"]) for vector in BIP32] == [6, 6, 2]


@pytest.mark.parametrize("vector", ACCOUNTS["accounts"], ids=[f"{item['source']}-{item['scheme']}" for item in ACCOUNTS["accounts"]])
def test_account_vectors(vector):
    account = derive.derive_account(
        ABANDON_SEED, derive.scheme(vector["scheme"]), vector["network"], 0,
        count=len(vector["receive"]), change_count=len(vector["change"]),
    )
    assert account.path == vector["path"]
    if vector["xpub"]:
        assert account.xpub == vector["xpub"]
    assert [address for _, address in account.receive] == vector["receive"]
    assert [address for _, address in account.change] == vector["change"]
    assert [path for path, _ in account.receive][:1] == [f"{vector['path']}/0/0"]


@pytest.mark.parametrize("address", ACCOUNTS["eip55"])
def test_eip55_vectors(address):
    assert derive.eip55(address.lower()) == address
    assert derive.eip55(address.upper().replace("0X", "0x")) == address


@pytest.mark.parametrize("address", ["0x123", "9858EfFD232B4033E47d90003D41EC34EcaEda94", "0x" + "g" * 40])
def test_eip55_rejects(address):
    with pytest.raises(CryptoError, match="is not an Ethereum address"):
        derive.eip55(address)


def test_ethereum_address_checksummed():
    account = derive.derive_account(ABANDON_SEED, derive.scheme("eth"), count=3)
    for _, address in account.receive:
        assert derive.eip55(address) == address


def test_account_one_changes_everything():
    first = derive.derive_account(ABANDON_SEED, derive.scheme("bip84"), account=0, count=1)
    second = derive.derive_account(ABANDON_SEED, derive.scheme("bip84"), account=1, count=1)
    assert second.path == "m/84'/0'/1'"
    assert second.xpub != first.xpub
    assert second.receive[0][1] != first.receive[0][1]


@pytest.mark.parametrize(
    "options, phrase",
    [
        ({"network": "signet"}, "network 'signet' is unknown"),
        ({"account": -1}, "account -1 is invalid"),
        ({"account": 2**31}, "account 2147483648 is invalid"),
        ({"count": 1001}, "address count 1001 is invalid"),
    ],
)
def test_derive_rejects(options, phrase):
    with pytest.raises(CryptoError, match=phrase):
        derive.derive_account(ABANDON_SEED, derive.scheme("bip84"), **options)


def test_scheme_unknown():
    with pytest.raises(CryptoError, match="scheme 'bip99' is unknown"):
        derive.scheme("bip99")


@pytest.mark.parametrize(
    "path, scheme, network, account, address_path",
    [
        ("m/84'/0'/0'", "bip84", "mainnet", 0, None),
        ("m/49h/1h/3h", "bip49", "testnet", 3, None),
        ("m/86'/0'/0'/0/7", "bip86", "mainnet", 0, "m/86'/0'/0'/0/7"),
        ("m/44'/60'/0'/0/0", "eth", "mainnet", 0, "m/44'/60'/0'/0/0"),
        ("m/44'/0'/2'/1", "bip44", "mainnet", 2, None),
    ],
)
def test_parse_path_known(path, scheme, network, account, address_path):
    info = derive.parse_path(path)
    assert (info.scheme.name, info.network, info.account, info.address_path) == (scheme, network, account, address_path)


@pytest.mark.parametrize("path", ["m/44'/501'/0'", "m/0'/0'", "m/84'/0'/0'/2/0", "m/84/0/0", "m/48'/0'/0'/2'"])
def test_parse_path_unknown(path):
    assert derive.parse_path(path) is None


def test_key_identity_ignores_version():
    zpub = ACCOUNTS["accounts"][1]["xpub"]
    account = derive.derive_account(ABANDON_SEED, derive.scheme("bip84"), count=0)
    assert derive.key_identity(zpub) == derive.key_identity(account.xpub)
    bip44 = derive.derive_account(ABANDON_SEED, derive.scheme("bip44"), count=0)
    assert derive.key_identity(bip44.xpub) != derive.key_identity(zpub)
