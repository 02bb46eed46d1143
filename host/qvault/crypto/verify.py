"""Watch-only verification: does a wallet entry's public data belong to its seed?

A wallet entry may hold, next to the seed phrase, an extended public key, a
derivation path and receive addresses, often copied from another wallet app. This
module derives the same data from the seed (and BIP39 passphrase) offline and
compares: a mismatch means a wrong passphrase, account, path or seed, and funds
sent to the stored addresses would not be spendable with this seed.
"""

import dataclasses

from qvault.crypto import derive, seed
from qvault.crypto.errors import CryptoError

# Receive and change addresses searched per scheme when looking for a stored address;
# 20 is the gap limit of BIP44 wallets.
SCAN_DEFAULT = 20
_XPUB_SCHEMES = {"zpub": "bip84", "vpub": "bip84", "ypub": "bip49", "upub": "bip49"}


@dataclasses.dataclass(frozen=True)
class Check:
    """One comparison: the stored value, whether the seed produces it, and why."""

    field: str
    stored: str
    ok: bool
    detail: str


@dataclasses.dataclass
class Report:
    """Derived accounts to show, and the checks of the stored watch-only data."""

    accounts: list[derive.Account]
    checks: list[Check]

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    def document(self) -> dict:
        """Return the report as JSON-ready data (public data only)."""
        return {
            "ok": self.ok,
            "accounts": [
                {
                    "scheme": account.scheme.name,
                    "label": account.scheme.label,
                    "network": account.network,
                    "account": account.index,
                    "path": account.path,
                    "xpub": account.xpub,
                    "receive": [{"path": path, "address": address} for path, address in account.receive],
                }
                for account in self.accounts
            ],
            "checks": [dataclasses.asdict(check) for check in self.checks],
        }


def _address_key(address: str) -> str:
    # Bech32 and hex addresses are case-insensitive; Base58 addresses are not.
    lowered = address.lower()
    if lowered.startswith(("0x", "bc1", "tb1", "bcrt1")):
        return lowered
    return address


def _mistyped_eth(address: str) -> bool:
    """Return whether a mixed-case Ethereum address fails its EIP-55 checksum (all one case has none)."""
    if not address.startswith("0x") or len(address) != 42:
        return False
    digits = address[2:]
    if digits == digits.lower() or digits == digits.upper():
        return False
    try:
        return derive.eip55(address) != address
    except CryptoError:
        return False


def _network(metadata: dict, path_info: derive.PathInfo | None) -> str:
    if path_info is not None:
        return path_info.network
    if metadata.get("network") in derive.NETWORKS:
        return metadata["network"]
    return "mainnet"


def _primary_scheme(metadata: dict, path_info: derive.PathInfo | None, xpub_scheme: str | None) -> derive.Scheme:
    if path_info is not None:
        return path_info.scheme
    if xpub_scheme:
        return derive.SCHEMES[xpub_scheme]
    if metadata.get("xpub_kind") in _XPUB_SCHEMES:
        return derive.SCHEMES[_XPUB_SCHEMES[metadata["xpub_kind"]]]
    coin = str(metadata.get("coin", "")).strip().lower()
    if coin in ("eth", "ethereum", "ether"):
        return derive.SCHEMES["eth"]
    return derive.SCHEMES[derive.DEFAULT_SCHEME]


def _check_xpub(metadata: dict, accounts: list[derive.Account]) -> tuple[Check, str | None]:
    stored = metadata["xpub"]
    identity = derive.key_identity(stored)
    for account in accounts:
        if derive.key_identity(account.xpub) == identity:
            detail = f"matches {account.scheme.label} account {account.index} ({account.path})"
            if account.xpub != stored:
                detail += f"; stored as {metadata.get('xpub_kind', 'another version')}, this scheme's usual form is {account.xpub[:4]}"
            return Check("xpub", stored, True, detail), account.scheme.name
    index = accounts[0].index if accounts else 0
    names = ", ".join(dict.fromkeys(account.scheme.label for account in accounts))
    detail = f"no match among account {index} of {names} from this seed; check the BIP39 passphrase, the account number and the seed"
    return Check("xpub", stored, False, detail), None


def _check_path(path_info: derive.PathInfo | None, stored_path: str, matched_scheme: str | None) -> Check:
    if path_info is None:
        return Check("derivation_path", stored_path, True, "not checked: the path is outside the BIP44, BIP49, BIP84, BIP86 and Ethereum schemes")
    if matched_scheme is not None and matched_scheme != path_info.scheme.name:
        label = derive.SCHEMES[matched_scheme].label
        return Check("derivation_path", stored_path, False, f"the stored xpub belongs to {label}, not to this path's {path_info.scheme.label}")
    return Check("derivation_path", stored_path, True, f"{path_info.scheme.label}, {path_info.network}, account {path_info.account}")


def verify(metadata: dict, secret: dict, *, count: int = 5, account: int | None = None,
           scan: int = SCAN_DEFAULT, all_schemes: bool = False) -> Report:
    """Derive the wallet's accounts from its seed and check the stored xpub, path and addresses.

    count is the number of receive addresses shown per account. scan is the number
    of receive and change addresses per scheme searched for each stored address.
    Raises CryptoError when the entry has no seed phrase.
    """
    if "seed" not in secret:
        raise CryptoError(f"wallet '{metadata.get('title', '')}' has no seed phrase, so there is nothing to derive from")
    master_seed = seed.to_seed(secret["seed"], secret.get("passphrase", ""))

    stored_path = metadata.get("derivation_path")
    path_info = derive.parse_path(stored_path) if stored_path else None
    index = 0
    if account is not None:
        index = account
    elif path_info is not None:
        index = path_info.account
    network = _network(metadata, path_info)
    scan = max(scan, count)

    # Every scheme on both networks, so a stored value copied from another app is
    # found even when the entry's path or coin names another scheme.
    scanned = [
        derive.derive_account(master_seed, scheme, net, index, scan, scan)
        for scheme in derive.SCHEMES.values()
        for net in (derive.NETWORKS if scheme.chain == "bitcoin" else ("mainnet",))
    ]

    checks = []
    matched_scheme = None
    if metadata.get("xpub"):
        same_network = [item for item in scanned if item.network == metadata.get("network", network) or item.scheme.chain == "ethereum"]
        xpub_check, matched_scheme = _check_xpub(metadata, same_network)
        checks.append(xpub_check)
    if stored_path:
        checks.append(_check_path(path_info, stored_path, matched_scheme))

    found = {}
    for item in scanned:
        for path, address in item.receive + item.change:
            found.setdefault(_address_key(address), (path, address, item))
    for position, address in enumerate(metadata.get("addresses", []), start=1):
        if _mistyped_eth(address):
            detail = "the EIP-55 checksum (the mix of upper and lower case) is wrong: a character was mistyped"
            checks.append(Check(f"address {position}", address, False, detail))
            continue
        hit = found.get(_address_key(address))
        if hit is None:
            detail = f"not among the first {scan} receive and change addresses of account {index} of any scheme"
            checks.append(Check(f"address {position}", address, False, detail))
            continue
        path, derived_address, item = hit
        detail = f"{item.scheme.label} {path}"
        if derived_address != address:
            detail += f"; the checksummed form is {derived_address}"
        checks.append(Check(f"address {position}", address, True, detail))

    primary = _primary_scheme(metadata, path_info, matched_scheme)
    shown = list(derive.SCHEMES.values()) if all_schemes else [primary]
    accounts = [
        derive.derive_account(master_seed, scheme, network if scheme.chain == "bitcoin" else "mainnet", index, count)
        for scheme in shown
    ]
    return Report(accounts, checks)
