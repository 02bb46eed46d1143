"""BIP39 mnemonic validation in every wordlist that the mnemonic package ships.

Input is read the way wallets read a pasted seed phrase: Unicode NFKD first (BIP39
feeds the NFKD form to PBKDF2), any run of whitespace (tabs, newlines, the
ideographic space of Japanese phrases) separates words, and case does not matter.
The checksum is computed here against NFKD copies of the wordlists, because some
shipped files (Russian, Turkish) are stored precomposed and would not match NFKD
input word for word.
"""

import dataclasses
import functools
import hashlib
import unicodedata

from mnemonic import Mnemonic

from qvault.errors import EntryValidationError

WORD_COUNTS = (12, 15, 18, 21, 24)
# A phrase longer than this many characters cannot be 24 words of any wordlist.
PHRASE_MAX_CHARS = 1024
# When a phrase is valid in several wordlists (English and French share 100 words,
# the two Chinese lists share 1275), the first one in this order is reported.
_PREFERRED = ("english", "chinese_simplified", "chinese_traditional")


@dataclasses.dataclass(frozen=True)
class Mnemonic39:
    """A checked mnemonic: NFKD words joined by single spaces, and its wordlist."""

    phrase: str = dataclasses.field(repr=False)
    language: str
    word_count: int

    def __repr__(self) -> str:
        return f"Mnemonic39(language={self.language!r}, word_count={self.word_count}, phrase=<hidden>)"


@functools.cache
def wordlists() -> dict[str, dict[str, int]]:
    """Return {language: {NFKD word: index}} for every wordlist the package ships."""
    def rank(language: str) -> tuple[int, str]:
        return (_PREFERRED.index(language) if language in _PREFERRED else len(_PREFERRED), language)

    languages = sorted(Mnemonic.list_languages(), key=rank)
    result = {}
    for language in languages:
        words = Mnemonic(language).wordlist
        result[language] = {unicodedata.normalize("NFKD", word): index for index, word in enumerate(words)}
    return result


def split_words(text: str) -> list[str]:
    """Split a pasted phrase into NFKD, lower-case words."""
    return unicodedata.normalize("NFKD", text).lower().split()


def _fold_dotless_i(word: str) -> str:
    return word.replace("i\u0307", "i").replace("\u0131", "i")


@functools.cache
def _turkish_by_folded() -> dict[str, str]:
    """Map Turkish words with ı folded to i back to the listed spelling.

    Upper-case input loses the difference between i and dotless ı ('MIMAR' and
    'ABARTI' both lower to a dotted i), and no two Turkish BIP39 words differ only
    there, so folding both sides recovers the word.
    """
    return {_fold_dotless_i(word): word for word in wordlists()["turkish"]}


def _turkish_words(words: list[str]) -> list[str]:
    folded = _turkish_by_folded()
    return [folded.get(_fold_dotless_i(word), word) for word in words]


def _checksum_ok(indexes: list[int]) -> bool:
    bits = "".join(format(index, "011b") for index in indexes)
    checksum_bits = len(bits) // 33
    entropy_bits = len(bits) - checksum_bits
    entropy = int(bits[:entropy_bits], 2).to_bytes(entropy_bits // 8, "big")
    digest_bits = format(int.from_bytes(hashlib.sha256(entropy).digest(), "big"), "0256b")
    return digest_bits[:checksum_bits] == bits[entropy_bits:]


def validate(text: str, field: str = "seed") -> Mnemonic39:
    """Return the checked mnemonic or raise EntryValidationError.

    The error names the word count, or the position of the first word that is in no
    wordlist together with that word (a word outside every list cannot be part of a
    valid phrase), or reports that the checksum failed. A word that is in some wordlist
    is named by position only, because it may be a real seed word.
    """
    if not isinstance(text, str):
        raise EntryValidationError(f"field '{field}' must be text")
    if len(text) > PHRASE_MAX_CHARS:
        raise EntryValidationError(f"field '{field}': seed phrase is {len(text)} characters long; the maximum is {PHRASE_MAX_CHARS}")
    words = split_words(text)
    turkish_words = _turkish_words(words)
    if len(words) not in WORD_COUNTS:
        raise EntryValidationError(
            f"field '{field}': seed phrase has {len(words)} words; a BIP39 phrase has 12, 15, 18, 21 or 24"
        )

    lists = wordlists()

    def words_for(language: str) -> list[str]:
        return turkish_words if language == "turkish" else words

    for position, word in enumerate(words, start=1):
        in_some_list = any(words_for(language)[position - 1] in words_of for language, words_of in lists.items())
        if not in_some_list:
            raise EntryValidationError(
                f"field '{field}': word {position} {unicodedata.normalize('NFC', word)!r} is not in any BIP39 wordlist; check its spelling"
            )

    candidates = [language for language, words_of in lists.items() if all(word in words_of for word in words_for(language))]
    if not candidates:
        best = max(lists, key=lambda language: sum(word in lists[language] for word in words_for(language)))
        position = next(index for index, word in enumerate(words_for(best), start=1) if word not in lists[best])
        raise EntryValidationError(
            f"field '{field}': the words come from different BIP39 wordlists; word {position} is not in the {best} list"
        )

    for language in candidates:
        if _checksum_ok([lists[language][word] for word in words_for(language)]):
            return Mnemonic39(" ".join(words_for(language)), language, len(words))
    raise EntryValidationError(
        f"field '{field}': the BIP39 checksum failed ({candidates[0]} wordlist); a word is wrong or the order is mixed up"
    )


def normalize_passphrase(text: str) -> str:
    """Return the BIP39 passphrase in NFKD. Whitespace is kept: it is part of the passphrase."""
    return unicodedata.normalize("NFKD", text)
