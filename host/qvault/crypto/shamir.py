"""SLIP-39 Shamir backups: split a secret into share mnemonics and combine them back.

The arithmetic, the share encoding and the passphrase encryption are the
shamir-mnemonic package (SatoshiLabs' reference implementation of SLIP-0039);
this module checks parameters, turns its errors into ShareError with messages
that name the share by position, and tracks a recovery typed in share by share.

A SLIP-39 passphrase never fails: every passphrase decrypts a set of shares to
some secret, and only the right one gives the original back. Callers check the
result where they can (a recovery code must open the vault).
"""

import dataclasses
import re

import shamir_mnemonic
from shamir_mnemonic.recovery import RecoveryState
from shamir_mnemonic.share import Share
from shamir_mnemonic.wordlist import WORDLIST

from qvault.crypto.errors import ShareError

# SLIP-0039 limits: at most 16 groups and 16 members per group (4-bit fields), and
# a master secret of at least 128 bits and an even number of bytes.
GROUPS_MAX = 16
MEMBERS_MAX = 16
SECRET_MIN_BYTES = 16
# A share of a 256-bit secret has 33 words; a pasted line longer than this is not a share.
SHARE_MAX_CHARS = 600
# Passphrase characters allowed by SLIP-0039: printable ASCII, codes 32 to 126.
_PASSPHRASE = re.compile(r"^[\x20-\x7e]*$")
_GROUP = re.compile(r"^\s*(\d{1,2})\s*(?:-?of-?|/)\s*(\d{1,2})\s*$", re.IGNORECASE)
_WORDS = set(WORDLIST)


@dataclasses.dataclass(frozen=True)
class Scheme:
    """Sharing parameters: group_threshold groups needed, and each group's (threshold, count)."""

    group_threshold: int
    groups: tuple[tuple[int, int], ...]

    def describe(self) -> str:
        if len(self.groups) == 1:
            threshold, count = self.groups[0]
            return f"{threshold} of {count} shares"
        parts = ", ".join(f"{threshold} of {count}" for threshold, count in self.groups)
        return f"{self.group_threshold} of {len(self.groups)} groups ({parts})"


def parse_group(text: str) -> tuple[int, int]:
    """Parse a group written as '2-of-3', '2of3' or '2/3' into (threshold, count)."""
    match = _GROUP.match(text)
    if not match:
        raise ShareError(f"group {text!r} is invalid; write it as THRESHOLD-of-COUNT, for example 2-of-3")
    return int(match.group(1)), int(match.group(2))


def make_scheme(groups: list[tuple[int, int]], group_threshold: int | None = None) -> Scheme:
    """Check a sharing scheme against the SLIP-0039 rules; group_threshold defaults to all groups.

    Raises ShareError naming the first group that breaks a rule.
    """
    if not groups:
        raise ShareError("no groups given; pass a threshold and a share count, or at least one group")
    if len(groups) > GROUPS_MAX:
        raise ShareError(f"{len(groups)} groups requested; SLIP-39 allows at most {GROUPS_MAX}")
    group_threshold = len(groups) if group_threshold is None else group_threshold
    if not 1 <= group_threshold <= len(groups):
        raise ShareError(f"group threshold {group_threshold} is invalid; it must be between 1 and the number of groups ({len(groups)})")
    for position, (threshold, count) in enumerate(groups, start=1):
        where = f"group {position} ({threshold}-of-{count})" if len(groups) > 1 else f"{threshold}-of-{count}"
        if not 1 <= count <= MEMBERS_MAX:
            raise ShareError(f"{where}: the share count must be between 1 and {MEMBERS_MAX}")
        if not 1 <= threshold <= count:
            raise ShareError(f"{where}: the threshold must be between 1 and the share count")
        if threshold == 1 and count > 1:
            # SLIP-0039 forbids it: with threshold 1 every share is the group secret itself.
            raise ShareError(f"{where}: a threshold of 1 with several shares is not allowed; use 1-of-1, or a threshold of 2 or more")
    return Scheme(group_threshold, tuple(groups))


def check_passphrase(passphrase: str) -> bytes:
    """Return the passphrase as bytes, or raise ShareError if SLIP-0039 does not allow it."""
    if not _PASSPHRASE.match(passphrase):
        raise ShareError("the SLIP-39 passphrase may contain only printable ASCII characters (letters, digits, punctuation, space)")
    return passphrase.encode("ascii")


def split(secret: bytes, scheme: Scheme, passphrase: str = "") -> list[list[str]]:
    """Split secret into share mnemonics, one list per group, in group order.

    The shares are extendable SLIP-39 shares with iteration exponent 1, the
    package's defaults: the passphrase encryption runs 20,000 PBKDF2-HMAC-SHA256
    iterations in all (four Feistel rounds of 5,000).
    """
    if len(secret) < SECRET_MIN_BYTES or len(secret) % 2:
        raise ShareError(f"a SLIP-39 secret is at least {SECRET_MIN_BYTES} bytes and an even number of bytes, not {len(secret)}")
    return shamir_mnemonic.generate_mnemonics(scheme.group_threshold, list(scheme.groups), secret, check_passphrase(passphrase))


def normalize_share(text: str, position: int) -> str:
    """Return a share as lower-case words separated by single spaces.

    Raises ShareError naming the position of a word outside the SLIP-39 wordlist.
    The word itself is not repeated, because it may be a mistyped secret.
    """
    if len(text) > SHARE_MAX_CHARS:
        raise ShareError(f"share {position} is {len(text)} characters long; a SLIP-39 share is at most 33 words")
    words = text.lower().split()
    if not words:
        raise ShareError(f"share {position} is empty")
    for index, word in enumerate(words, start=1):
        if word not in _WORDS:
            raise ShareError(f"share {position}: word {index} is not in the SLIP-39 wordlist; check its spelling")
    return " ".join(words)


def decode_share(text: str, position: int) -> Share:
    """Parse one share mnemonic; raise ShareError with the library's reason."""
    words = normalize_share(text, position)
    try:
        return Share.from_mnemonic(words)
    except shamir_mnemonic.MnemonicError as error:
        raise ShareError(f"share {position} is invalid: {error}") from None


def combine(shares: list[str], passphrase: str = "") -> bytes:
    """Return the secret of a complete set of shares, or raise ShareError."""
    decoded = [normalize_share(text, position) for position, text in enumerate(shares, start=1)]
    try:
        return shamir_mnemonic.combine_mnemonics(decoded, check_passphrase(passphrase))
    except shamir_mnemonic.MnemonicError as error:
        raise ShareError(f"the shares cannot be combined: {error}") from None


class Recovery:
    """A recovery typed in one share at a time, as people read shares from paper."""

    def __init__(self) -> None:
        self._state = RecoveryState()
        self.count = 0

    def add(self, text: str) -> str:
        """Add one share and return a progress line; raise ShareError if it does not fit."""
        position = self.count + 1
        share = decode_share(text, position)
        if share in self._state:
            raise ShareError(f"share {position} is the same as a share entered before")
        try:
            self._state.add_share(share)
        except shamir_mnemonic.MnemonicError as error:
            raise ShareError(f"share {position} does not belong with the shares before it: {error}") from None
        self.count += 1
        return self.progress(share.group_index)

    def progress(self, group_index: int) -> str:
        entered, threshold = self._state.group_status(group_index)
        parameters = self._state.parameters
        assert parameters is not None
        if parameters.group_count == 1:
            return f"{entered} of {threshold} shares entered"
        complete = self._state.groups_complete()
        return (
            f"group {group_index + 1}: {entered} of {threshold} shares; "
            f"{complete} of {parameters.group_threshold} groups complete"
        )

    @property
    def complete(self) -> bool:
        return self._state.is_complete()

    def secret(self, passphrase: str = "") -> bytes:
        """Return the secret; only call once complete is true."""
        if not self.complete:
            raise ShareError("not enough shares yet to recover the secret")
        try:
            return self._state.recover(check_passphrase(passphrase))
        except shamir_mnemonic.MnemonicError as error:
            raise ShareError(f"the shares cannot be combined: {error}") from None
