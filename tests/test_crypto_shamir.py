"""SLIP-39 split and combine: the reference vectors, round trips, parameter checks, recovery."""

import itertools
import json
import pathlib

import pytest
from bip_utils import Bip32Slip10Secp256k1
from hypothesis import given, settings
from hypothesis import strategies as st

from qvault.crypto import shamir
from qvault.crypto.errors import ShareError

VECTORS = json.loads((pathlib.Path(__file__).parent / "vectors" / "slip39.json").read_text(encoding="utf-8"))["vectors"]
VALID = [vector for vector in VECTORS if vector[2]]
INVALID = [vector for vector in VECTORS if not vector[2]]
RECOVERY_CODE = bytes(range(20))


def test_vector_file_complete():
    assert len(VECTORS) == 45
    assert len(VALID) >= 15
    assert len(INVALID) >= 20


@pytest.mark.parametrize("description, mnemonics, secret_hex, xprv", VALID, ids=[vector[0][:60] for vector in VALID])
def test_vector_combines(description, mnemonics, secret_hex, xprv):
    secret = shamir.combine(mnemonics, "TREZOR")
    assert secret.hex() == secret_hex
    assert Bip32Slip10Secp256k1.FromSeed(secret).PrivateKey().ToExtended() == xprv


@pytest.mark.parametrize("description, mnemonics, secret_hex, xprv", INVALID, ids=[vector[0][:60] for vector in INVALID])
def test_vector_rejected(description, mnemonics, secret_hex, xprv):
    with pytest.raises(ShareError):
        shamir.combine(mnemonics, "TREZOR")


@pytest.mark.parametrize("description, mnemonics, secret_hex, xprv", VALID, ids=[vector[0][:60] for vector in VALID])
def test_vector_recovery_one_by_one(description, mnemonics, secret_hex, xprv):
    recovery = shamir.Recovery()
    for mnemonic in mnemonics:
        if recovery.complete:
            break
        recovery.add(mnemonic)
    assert recovery.complete
    assert recovery.secret("TREZOR").hex() == secret_hex


@pytest.mark.parametrize("size", [16, 20, 24, 28, 32])
def test_split_combine_every_subset(size):
    secret = bytes(range(size))
    scheme = shamir.make_scheme([(2, 3)])
    shares = shamir.split(secret, scheme)[0]
    assert len(shares) == 3
    for subset in itertools.combinations(shares, 2):
        assert shamir.combine(list(subset)) == secret


def test_split_one_share_too_few():
    shares = shamir.split(RECOVERY_CODE, shamir.make_scheme([(3, 5)]))[0]
    with pytest.raises(ShareError, match="cannot be combined"):
        shamir.combine(shares[:2])


def test_split_groups_and_passphrase():
    scheme = shamir.make_scheme([(2, 3), (1, 1), (3, 5)], group_threshold=2)
    groups = shamir.split(RECOVERY_CODE, scheme, "correct horse")
    assert [len(group) for group in groups] == [3, 1, 5]
    assert shamir.combine(groups[1] + groups[0][1:], "correct horse") == RECOVERY_CODE
    assert shamir.combine(groups[2][:3] + groups[1], "correct horse") == RECOVERY_CODE


def test_wrong_passphrase_other_secret():
    groups = shamir.split(RECOVERY_CODE, shamir.make_scheme([(1, 1)]), "right")
    assert shamir.combine(groups[0], "wrong") != RECOVERY_CODE
    assert shamir.combine(groups[0], "right") == RECOVERY_CODE


def test_split_shares_differ_each_time():
    scheme = shamir.make_scheme([(2, 2)])
    assert shamir.split(RECOVERY_CODE, scheme) != shamir.split(RECOVERY_CODE, scheme)


@settings(max_examples=15, deadline=None)
@given(
    secret=st.binary(min_size=8, max_size=16).map(lambda half: half * 2),
    threshold=st.integers(min_value=2, max_value=5),
    extra=st.integers(min_value=0, max_value=3),
    data=st.data(),
)
def test_property_any_threshold_subset(secret, threshold, extra, data):
    shares = shamir.split(secret, shamir.make_scheme([(threshold, threshold + extra)]))[0]
    subset = data.draw(st.permutations(shares)).copy()[:threshold]
    assert shamir.combine(subset) == secret


@pytest.mark.parametrize(
    "groups, group_threshold, phrase",
    [
        ([], None, "no groups"),
        ([(1, 3)], None, "threshold of 1 with several shares"),
        ([(4, 3)], None, "between 1 and the share count"),
        ([(0, 3)], None, "between 1 and the share count"),
        ([(2, 17)], None, "between 1 and 16"),
        ([(2, 3)] * 17, None, "at most 16"),
        ([(2, 3), (2, 3)], 3, "group threshold 3 is invalid"),
        ([(2, 3), (2, 3)], 0, "group threshold 0 is invalid"),
    ],
)
def test_make_scheme_rejects(groups, group_threshold, phrase):
    with pytest.raises(ShareError, match=phrase):
        shamir.make_scheme(groups, group_threshold)


def test_make_scheme_describe():
    assert shamir.make_scheme([(2, 3)]).describe() == "2 of 3 shares"
    assert shamir.make_scheme([(2, 3), (1, 1)], 1).describe() == "1 of 2 groups (2 of 3, 1 of 1)"


@pytest.mark.parametrize("text, expected", [("2-of-3", (2, 3)), ("2of3", (2, 3)), ("3/5", (3, 5)), (" 10 of 16 ", (10, 16))])
def test_parse_group_forms(text, expected):
    assert shamir.parse_group(text) == expected


@pytest.mark.parametrize("text", ["2", "two-of-three", "2-3", "-1-of-3", ""])
def test_parse_group_rejects(text):
    with pytest.raises(ShareError, match="THRESHOLD-of-COUNT"):
        shamir.parse_group(text)


@pytest.mark.parametrize("size", [15, 17, 8])
def test_split_rejects_secret_size(size):
    with pytest.raises(ShareError, match="at least 16 bytes"):
        shamir.split(bytes(size), shamir.make_scheme([(1, 1)]))


def test_passphrase_non_ascii_rejected():
    with pytest.raises(ShareError, match="printable ASCII"):
        shamir.split(RECOVERY_CODE, shamir.make_scheme([(1, 1)]), "pässword")


def test_share_unknown_word_named_by_position():
    share = shamir.split(RECOVERY_CODE, shamir.make_scheme([(1, 1)]))[0][0]
    words = share.split()
    words[4] = "zzzmistyped"
    with pytest.raises(ShareError, match="share 1: word 5 is not in the SLIP-39 wordlist") as error:
        shamir.combine([" ".join(words)])
    assert "zzzmistyped" not in str(error.value)


def test_share_checksum_error():
    share = shamir.split(RECOVERY_CODE, shamir.make_scheme([(1, 1)]))[0][0]
    words = share.split()
    words[-1] = "academic" if words[-1] != "academic" else "acid"
    with pytest.raises(ShareError, match="share 1 is invalid: Invalid mnemonic checksum"):
        shamir.Recovery().add(" ".join(words))


def test_share_paste_tolerance():
    share = shamir.split(RECOVERY_CODE, shamir.make_scheme([(1, 1)]))[0][0]
    assert shamir.combine(["  " + share.upper().replace(" ", "\n ") + "\t"]) == RECOVERY_CODE


def test_share_too_long():
    with pytest.raises(ShareError, match="at most 33 words"):
        shamir.normalize_share("academic " * 100, 3)


def test_recovery_progress_and_duplicate():
    shares = shamir.split(RECOVERY_CODE, shamir.make_scheme([(2, 3)]))[0]
    recovery = shamir.Recovery()
    assert recovery.add(shares[1]) == "1 of 2 shares entered"
    with pytest.raises(ShareError, match="share 2 is the same as a share entered before"):
        recovery.add(shares[1])
    assert not recovery.complete
    with pytest.raises(ShareError, match="not enough shares"):
        recovery.secret()
    assert recovery.add(shares[2]) == "2 of 2 shares entered"
    assert recovery.secret() == RECOVERY_CODE


def test_recovery_group_progress():
    groups = shamir.split(RECOVERY_CODE, shamir.make_scheme([(2, 3), (2, 2)], 2))
    recovery = shamir.Recovery()
    assert recovery.add(groups[0][0]) == "group 1: 1 of 2 shares; 0 of 2 groups complete"
    assert recovery.add(groups[0][2]) == "group 1: 2 of 2 shares; 1 of 2 groups complete"
    recovery.add(groups[1][1])
    assert not recovery.complete
    recovery.add(groups[1][0])
    assert recovery.secret() == RECOVERY_CODE


def test_recovery_rejects_share_of_other_set():
    scheme = shamir.make_scheme([(2, 3)])
    first = shamir.split(RECOVERY_CODE, scheme)[0]
    other = shamir.split(RECOVERY_CODE, scheme)[0]
    recovery = shamir.Recovery()
    recovery.add(first[0])
    with pytest.raises(ShareError, match="share 2 does not belong with the shares before it"):
        recovery.add(other[1])
