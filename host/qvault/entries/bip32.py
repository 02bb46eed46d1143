"""BIP32 derivation paths and watch-only extended public keys (xpub, ypub, zpub...)."""

import re

from qvault.entries import base58
from qvault.errors import EntryValidationError

HARDENED = 0x8000_0000
PATH_MAX_DEPTH = 255
_PATH_STEP = re.compile(r"^(\d{1,10})(['hH]?)$")

# Version bytes of public extended keys: BIP32 (xpub, tpub), BIP49 (ypub, upub),
# BIP84 (zpub, vpub).
PUBLIC_VERSIONS = {
    bytes.fromhex("0488b21e"): ("xpub", "mainnet"),
    bytes.fromhex("049d7cb2"): ("ypub", "mainnet"),
    bytes.fromhex("04b24746"): ("zpub", "mainnet"),
    bytes.fromhex("043587cf"): ("tpub", "testnet"),
    bytes.fromhex("044a5262"): ("upub", "testnet"),
    bytes.fromhex("045f1cf6"): ("vpub", "testnet"),
}
PRIVATE_VERSIONS = {
    bytes.fromhex("0488ade4"): "xprv",
    bytes.fromhex("049d7878"): "yprv",
    bytes.fromhex("04b2430c"): "zprv",
    bytes.fromhex("04358394"): "tprv",
    bytes.fromhex("044a4e62"): "uprv",
    bytes.fromhex("045f18bc"): "vprv",
}
EXTENDED_KEY_BYTES = 78


def normalize_path(text: str, field: str = "derivation_path") -> str:
    """Return a BIP32 path such as m/84'/0'/0' with ' for hardened steps.

    Accepts h or H for hardened (as in descriptors) and a leading M; each index must
    be below 2^31 and the depth at most 255.
    """
    cleaned = text.strip().replace(" ", "")
    steps = cleaned.split("/")
    if steps[0] not in ("m", "M"):
        raise EntryValidationError(f"field '{field}': path {text!r} must start with m/, as in m/84'/0'/0'")
    steps = steps[1:]
    if len(steps) > PATH_MAX_DEPTH:
        raise EntryValidationError(f"field '{field}': path has {len(steps)} steps; the maximum is {PATH_MAX_DEPTH}")
    normalised = ["m"]
    for position, step in enumerate(steps, start=1):
        match = _PATH_STEP.match(step)
        if not match:
            raise EntryValidationError(
                f"field '{field}': step {position} {step!r} of path {text!r} is not a number with an optional ' for hardened"
            )
        index = int(match.group(1))
        if index >= HARDENED:
            raise EntryValidationError(f"field '{field}': step {position} index {index} is not below 2^31")
        normalised.append(f"{index}'" if match.group(2) else str(index))
    return "/".join(normalised)


def check_extended_public_key(text: str, field: str = "xpub") -> tuple[str, str, str]:
    """Return (key, kind, network) for a valid xpub/ypub/zpub/tpub/upub/vpub.

    A private extended key is rejected with a message saying so: a watch-only field
    is metadata and must never hold a key that can spend.
    """
    key = text.strip()
    try:
        payload = base58.decode_check(key)
    except base58.Base58Error as error:
        raise EntryValidationError(f"field '{field}': extended public key {error}") from None
    if len(payload) != EXTENDED_KEY_BYTES:
        raise EntryValidationError(f"field '{field}': extended key is {len(payload)} bytes; expected {EXTENDED_KEY_BYTES}")

    version = payload[:4]
    if version in PRIVATE_VERSIONS:
        raise EntryValidationError(
            f"field '{field}': this is a private extended key ({PRIVATE_VERSIONS[version]}), which can spend funds; "
            "watch-only needs the public one (xpub, ypub, zpub, tpub); store private keys in a private key entry"
        )
    if version not in PUBLIC_VERSIONS:
        raise EntryValidationError(f"field '{field}': unknown extended key version bytes {version.hex()}")

    depth, parent_fingerprint, child_number = payload[4], payload[5:9], payload[9:13]
    if depth == 0 and (parent_fingerprint != bytes(4) or child_number != bytes(4)):
        raise EntryValidationError(f"field '{field}': a depth-0 key must have a zero parent fingerprint and child number")
    if payload[45] not in (2, 3):
        raise EntryValidationError(f"field '{field}': the public key is not a compressed secp256k1 point")
    kind, network = PUBLIC_VERSIONS[version]
    return key, kind, network
