"""Password and passphrase generation: classes, exclusions, entropy."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qvault.entries import generator
from qvault.entries.eff_wordlist import WORDS
from qvault.errors import EntryValidationError


def test_eff_wordlist_shape():
    assert len(WORDS) == 6**5
    assert len(set(WORDS)) == len(WORDS)
    assert WORDS[0] == "abacus"
    assert WORDS[-1] == "zoom"


def test_password_default_classes_present():
    result = generator.password()

    assert len(result.value) == generator.PASSWORD_LENGTH_DEFAULT
    for alphabet in generator.CLASSES.values():
        assert any(character in alphabet for character in result.value)


def test_password_entropy_single_class_exact():
    result = generator.password(12, classes=("digits",))

    assert result.entropy_bits == round(12 * math.log2(10), 2)
    assert result.value.isdigit()


def test_password_entropy_below_naive_bound():
    result = generator.password(8)
    naive = 8 * math.log2(sum(len(alphabet) for alphabet in generator.CLASSES.values()))

    assert result.entropy_bits < naive


def test_count_allowed_matches_brute_force():
    # Two classes of sizes 2 and 3, length 3: 5^3 strings minus 2^3 and 3^3 single-class ones.
    assert generator._count_allowed([2, 3], 3) == 125 - 8 - 27


def test_lookalikes_excluded():
    for _ in range(20):
        value = generator.password(64, exclude_lookalikes=True).value
        assert not set(value) & set(generator.LOOKALIKES)


def test_custom_exclusions():
    value = generator.password(64, classes=("lower",), exclude="aeiou").value

    assert not set(value) & set("aeiou")


def test_length_bounds_rejected():
    with pytest.raises(EntryValidationError, match="length 3 is outside"):
        generator.password(3)


def test_class_emptied_by_exclusion():
    with pytest.raises(EntryValidationError, match="remove every character of class 'digits'"):
        generator.password(10, classes=("digits",), exclude="0123456789")


def test_unknown_class_rejected():
    with pytest.raises(EntryValidationError, match="character classes"):
        generator.password(10, classes=("emoji",))


def test_passphrase_words_and_entropy():
    result = generator.passphrase(6, separator=" ")

    words = result.value.split(" ")
    assert len(words) == 6
    assert all(word in WORDS for word in words)
    assert result.entropy_bits == round(6 * math.log2(7776), 2)


def test_passphrase_capitalized():
    # A space separator, because some EFF words ("t-shirt") contain a hyphen.
    result = generator.passphrase(4, capitalize=True, separator=" ")

    assert all(word[0].isupper() for word in result.value.split(" "))


def test_passphrase_word_count_rejected():
    with pytest.raises(EntryValidationError, match="word count 2 is outside"):
        generator.passphrase(2)


def test_repr_hides_value():
    result = generator.password()

    assert result.value not in repr(result)


@settings(max_examples=50, deadline=None)
@given(
    length=st.integers(4, 64),
    classes=st.lists(st.sampled_from(sorted(generator.CLASSES)), min_size=1, max_size=4, unique=True),
    lookalikes=st.booleans(),
)
def test_password_properties(length, classes, lookalikes):
    result = generator.password(length, classes=tuple(classes), exclude_lookalikes=lookalikes)

    allowed = "".join(generator.CLASSES[name] for name in classes)
    assert len(result.value) == length
    assert set(result.value) <= set(allowed)
    for name in classes:
        assert any(character in generator.CLASSES[name] for character in result.value)
    assert 0 < result.entropy_bits <= length * math.log2(len(allowed)) + 0.01
