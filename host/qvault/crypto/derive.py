"""Account keys and receive addresses derived offline from a BIP39 seed (bip-utils).

Schemes, with the account path of account 0 on mainnet:

    bip44  P2PKH (1...)           m/44'/0'/0'   xpub
    bip49  P2SH-P2WPKH (3...)     m/49'/0'/0'   ypub
    bip84  P2WPKH (bc1q...)       m/84'/0'/0'   zpub
    bip86  P2TR (bc1p...)         m/86'/0'/0'   xpub
    eth    Ethereum (0x..., EIP-55 checksummed)  m/44'/60'/0'  xpub

Bitcoin testnet uses coin type 1 and tpub/upub/vpub/tpub. Receive addresses are
ACCOUNT/0/i, change addresses ACCOUNT/1/i.
"""

import dataclasses
import importlib
import re

from qvault.crypto.errors import CryptoError
from qvault.entries import base58, bip32

# Addresses derived per chain in one request; a wallet's gap limit is usually 20.
ADDRESS_COUNT_MAX = 1000
ACCOUNT_MAX = bip32.HARDENED - 1
NETWORKS = ("mainnet", "testnet")
_ETH_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")
_ACCOUNT_PATH = re.compile(r"^m/(\d+)'/(\d+)'/(\d+)'(?:/([01])(?:/(\d+))?)?$")


@dataclasses.dataclass(frozen=True)
class Scheme:
    """One derivation scheme: BIP43 purpose, address type and bip-utils classes."""

    name: str
    label: str
    purpose: int
    chain: str
    # bip-utils class and coin names, looked up on first use. Importing bip-utils
    # took about 0.2 s in development (python -X importtime), and every other CLI
    # command would pay that.
    bip_class: str = dataclasses.field(repr=False)
    mainnet_coin: str = dataclasses.field(repr=False)
    testnet_coin: str = dataclasses.field(repr=False)

    def coin_type(self, network: str) -> int:
        if self.chain == "ethereum":
            return 60
        return 0 if network == "mainnet" else 1

    def account_path(self, network: str, account: int) -> str:
        return f"m/{self.purpose}'/{self.coin_type(network)}'/{account}'"


SCHEMES: dict[str, Scheme] = {
    "bip44": Scheme("bip44", "BIP44 P2PKH", 44, "bitcoin", "Bip44", "BITCOIN", "BITCOIN_TESTNET"),
    "bip49": Scheme("bip49", "BIP49 P2SH-P2WPKH", 49, "bitcoin", "Bip49", "BITCOIN", "BITCOIN_TESTNET"),
    "bip84": Scheme("bip84", "BIP84 P2WPKH", 84, "bitcoin", "Bip84", "BITCOIN", "BITCOIN_TESTNET"),
    "bip86": Scheme("bip86", "BIP86 P2TR", 86, "bitcoin", "Bip86", "BITCOIN", "BITCOIN_TESTNET"),
    "eth": Scheme("eth", "Ethereum", 44, "ethereum", "Bip44", "ETHEREUM", "ETHEREUM"),
}
DEFAULT_SCHEME = "bip84"


@dataclasses.dataclass(frozen=True)
class Account:
    """Public data of one account: its path, extended public key and first addresses."""

    scheme: Scheme
    network: str
    index: int
    path: str
    xpub: str
    receive: tuple[tuple[str, str], ...]
    change: tuple[tuple[str, str], ...] = ()


@dataclasses.dataclass(frozen=True)
class PathInfo:
    """Meaning of a stored derivation path: scheme, network, account, and the address path if it has one."""

    scheme: Scheme
    network: str
    account: int
    address_path: str | None


def scheme(name: str) -> Scheme:
    try:
        return SCHEMES[name.lower()]
    except KeyError:
        raise CryptoError(f"scheme {name!r} is unknown; use one of {', '.join(SCHEMES)}") from None


def _check(network: str, account: int, count: int) -> None:
    if network not in NETWORKS:
        raise CryptoError(f"network {network!r} is unknown; use mainnet or testnet")
    if not 0 <= account <= ACCOUNT_MAX:
        raise CryptoError(f"account {account} is invalid; it must be between 0 and {ACCOUNT_MAX}")
    if not 0 <= count <= ADDRESS_COUNT_MAX:
        raise CryptoError(f"address count {count} is invalid; it must be between 0 and {ADDRESS_COUNT_MAX}")


def derive_account(seed: bytes, scheme_: Scheme, network: str = "mainnet", account: int = 0,
                   count: int = 5, change_count: int = 0) -> Account:
    """Derive an account's extended public key and its first receive (and change) addresses."""
    _check(network, account, max(count, change_count))
    bip_utils = importlib.import_module("bip_utils")
    bip_class = getattr(bip_utils, scheme_.bip_class)
    coins = getattr(bip_utils, f"{scheme_.bip_class}Coins")
    coin = getattr(coins, scheme_.mainnet_coin if network == "mainnet" else scheme_.testnet_coin)
    node = bip_class.FromSeed(seed, coin).Purpose().Coin().Account(account)
    receive_chain, change_chain = bip_utils.Bip44Changes.CHAIN_EXT, bip_utils.Bip44Changes.CHAIN_INT
    path = scheme_.account_path(network, account)

    def addresses(change, branch: int, number: int) -> tuple[tuple[str, str], ...]:
        chain = node.Change(change)
        return tuple((f"{path}/{branch}/{i}", chain.AddressIndex(i).PublicKey().ToAddress()) for i in range(number))

    return Account(
        scheme=scheme_,
        network=network,
        index=account,
        path=path,
        xpub=node.PublicKey().ToExtended(),
        receive=addresses(receive_chain, 0, count),
        change=addresses(change_chain, 1, change_count),
    )


def parse_path(path: str) -> PathInfo | None:
    """Return what a stored BIP44-style path names, or None for a path outside the known schemes.

    Accepts an account path (m/84'/0'/0') or a chain or address below it (m/84'/0'/0'/0/5).
    """
    match = _ACCOUNT_PATH.match(bip32.normalize_path(path))
    if not match:
        return None
    purpose, coin_type, account = int(match.group(1)), int(match.group(2)), int(match.group(3))
    if coin_type == 60 and purpose == 44:
        found, network = SCHEMES["eth"], "mainnet"
    elif coin_type in (0, 1):
        found = next((item for item in SCHEMES.values() if item.chain == "bitcoin" and item.purpose == purpose), None)
        network = "mainnet" if coin_type == 0 else "testnet"
    else:
        found = None
    if found is None:
        return None
    address_path = bip32.normalize_path(path) if match.group(5) is not None else None
    return PathInfo(found, network, account, address_path)


def key_identity(extended_key: str) -> tuple[bytes, bytes]:
    """Return (chain code, compressed public key) of an extended public key.

    Two keys with the same identity are the same account whatever their version
    bytes (an account exported as xpub by one wallet and as zpub by another).
    """
    bip32.check_extended_public_key(extended_key)
    payload = base58.decode_check(extended_key.strip())
    return payload[13:45], payload[45:78]


def eip55(address: str) -> str:
    """Return an Ethereum address in EIP-55 mixed-case checksum form.

    Hex digit i is upper-case when nibble i of Keccak-256(lower-case hex, as ASCII)
    is 8 or more. Raises CryptoError for anything but 0x and 40 hex digits.
    """
    if not _ETH_ADDRESS.match(address):
        raise CryptoError(f"{address!r} is not an Ethereum address (0x and 40 hex digits)")
    digits = address[2:].lower()
    digest = importlib.import_module("bip_utils").Kekkak256.QuickDigest(digits.encode("ascii")).hex()
    return "0x" + "".join(digit.upper() if int(nibble, 16) >= 8 else digit for digit, nibble in zip(digits, digest))
