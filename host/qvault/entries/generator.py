"""Random passwords and diceware passphrases from the operating system's CSPRNG.

Entropy is reported exactly. For passwords that must contain one character of each
chosen class, the number of allowed strings is counted by inclusion-exclusion.
Generation draws uniformly from that set by rejection sampling, so the figure is
the real entropy and not an estimate.
"""

import dataclasses
import math
import secrets
import string

from qvault.entries.eff_wordlist import WORDS as EFF_WORDS
from qvault.errors import EntryValidationError

PASSWORD_LENGTH_MIN = 4
PASSWORD_LENGTH_MAX = 1024
PASSWORD_LENGTH_DEFAULT = 20
PASSPHRASE_WORDS_MIN = 3
PASSPHRASE_WORDS_MAX = 64
PASSPHRASE_WORDS_DEFAULT = 6

CLASSES = {
    "lower": string.ascii_lowercase,
    "upper": string.ascii_uppercase,
    "digits": string.digits,
    "symbols": "!#$%&()*+,-./:;<=>?@[]^_{|}~",
}
# Characters that are easy to confuse when read or typed from paper.
LOOKALIKES = "0O1lI|5S2Z8B"


@dataclasses.dataclass(frozen=True)
class Generated:
    """A generated secret and its entropy in bits; repr hides the value."""

    value: str = dataclasses.field(repr=False)
    entropy_bits: float


def _count_allowed(class_sizes: list[int], length: int) -> int:
    """Count strings of the given length over the union that use every class at least once."""
    total = 0
    count = len(class_sizes)
    for mask in range(1 << count):
        missing = [class_sizes[index] for index in range(count) if mask >> index & 1]
        sign = -1 if len(missing) % 2 else 1
        total += sign * (sum(class_sizes) - sum(missing)) ** length
    return total


def password(
    length: int = PASSWORD_LENGTH_DEFAULT,
    *,
    classes: tuple[str, ...] = ("lower", "upper", "digits", "symbols"),
    exclude_lookalikes: bool = False,
    exclude: str = "",
) -> Generated:
    """Return a random password with at least one character of each chosen class."""
    if not PASSWORD_LENGTH_MIN <= length <= PASSWORD_LENGTH_MAX:
        raise EntryValidationError(f"password length {length} is outside {PASSWORD_LENGTH_MIN}..{PASSWORD_LENGTH_MAX}")
    unknown = [name for name in classes if name not in CLASSES]
    if unknown or not classes:
        raise EntryValidationError(f"character classes {list(classes)!r} are invalid; choose from {', '.join(CLASSES)}")
    removed = set(exclude) | (set(LOOKALIKES) if exclude_lookalikes else set())
    alphabets = []
    for name in dict.fromkeys(classes):
        alphabet = "".join(character for character in CLASSES[name] if character not in removed)
        if not alphabet:
            raise EntryValidationError(f"the exclusions remove every character of class {name!r}")
        alphabets.append(alphabet)
    if length < len(alphabets):
        raise EntryValidationError(f"length {length} is shorter than the {len(alphabets)} required character classes")

    pool = "".join(alphabets)
    while True:
        candidate = "".join(secrets.choice(pool) for _ in range(length))
        # Rejection keeps the draw uniform over the allowed strings. With the default
        # classes about half the draws pass at length 8 and 90 % at length 20.
        if all(any(character in alphabet for character in candidate) for alphabet in alphabets):
            break
    entropy = math.log2(_count_allowed([len(alphabet) for alphabet in alphabets], length))
    return Generated(candidate, round(entropy, 2))


def passphrase(
    words: int = PASSPHRASE_WORDS_DEFAULT,
    *,
    separator: str = "-",
    capitalize: bool = False,
    wordlist: tuple[str, ...] = EFF_WORDS,
) -> Generated:
    """Return a diceware passphrase of words drawn uniformly from the wordlist."""
    if not PASSPHRASE_WORDS_MIN <= words <= PASSPHRASE_WORDS_MAX:
        raise EntryValidationError(f"word count {words} is outside {PASSPHRASE_WORDS_MIN}..{PASSPHRASE_WORDS_MAX}")
    if len(set(wordlist)) != len(wordlist) or len(wordlist) < 2:
        raise ValueError("the wordlist must hold at least two distinct words")
    chosen = [secrets.choice(wordlist) for _ in range(words)]
    if capitalize:
        chosen = [word.capitalize() for word in chosen]
    # NOTE: the entropy assumes the joined words can be split again, which is true for
    # the EFF list with a separator; an empty separator can make joins ambiguous.
    return Generated(separator.join(chosen), round(words * math.log2(len(wordlist)), 2))
