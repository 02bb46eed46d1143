"""New wallets: a BIP39 phrase from `secrets` entropy, stored with its watch-only data.

The entry stores the seed phrase (and optional BIP39 passphrase) as secrets. The
account path, account xpub and first receive address go into the metadata, so
the wallet can be verified later, and its address offered for withdrawal forms
without decrypting the seed.
"""

import dataclasses

from qvault.crypto import derive, seed
from qvault.entries import build_entry

_COIN = {("bitcoin", "mainnet"): "BTC", ("bitcoin", "testnet"): "BTC testnet", ("ethereum", "mainnet"): "ETH"}


@dataclasses.dataclass(frozen=True)
class NewWallet:
    """A generated wallet: the entry's (metadata, secret) and its first account."""

    metadata: dict
    secret: dict = dataclasses.field(repr=False)
    account: derive.Account


def create(title: str, *, word_count: int = 24, language: str = "english", scheme_name: str = derive.DEFAULT_SCHEME,
           network: str = "mainnet", passphrase: str = "", tags: list[str] | None = None) -> NewWallet:
    """Generate a phrase and build a validated wallet entry; nothing is stored yet."""
    scheme = derive.scheme(scheme_name)
    if scheme.chain == "ethereum":
        network = "mainnet"
    phrase = seed.generate(word_count, language)
    account = derive.derive_account(seed.to_seed(phrase, passphrase), scheme, network, 0, count=1)
    fields = {
        "title": title,
        "seed": phrase,
        "coin": _COIN[(scheme.chain, network)],
        "derivation_path": account.path,
        "xpub": account.xpub,
        "addresses": [account.receive[0][1]],
        "tags": tags or [],
    }
    if passphrase:
        fields["passphrase"] = passphrase
    metadata, secret = build_entry("wallet", fields)
    return NewWallet(metadata, secret, account)
