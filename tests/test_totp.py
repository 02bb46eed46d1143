"""TOTP: RFC 6238 Appendix B vectors, secret and otpauth URI parsing."""

import base64

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qvault.entries import totp
from qvault.errors import EntryValidationError

# RFC 6238 Appendix B: the seed for each algorithm is the ASCII string
# "1234567890" repeated to 20 (SHA1), 32 (SHA256) or 64 (SHA512) bytes.
SEEDS = {
    "SHA1": b"12345678901234567890",
    "SHA256": b"12345678901234567890123456789012",
    "SHA512": b"1234567890123456789012345678901234567890123456789012345678901234",
}
RFC6238_VECTORS = [
    (59, "SHA1", "94287082"),
    (59, "SHA256", "46119246"),
    (59, "SHA512", "90693936"),
    (1111111109, "SHA1", "07081804"),
    (1111111109, "SHA256", "68084774"),
    (1111111109, "SHA512", "25091201"),
    (1111111111, "SHA1", "14050471"),
    (1111111111, "SHA256", "67062674"),
    (1111111111, "SHA512", "99943326"),
    (1234567890, "SHA1", "89005924"),
    (1234567890, "SHA256", "91819424"),
    (1234567890, "SHA512", "93441116"),
    (2000000000, "SHA1", "69279037"),
    (2000000000, "SHA256", "90698825"),
    (2000000000, "SHA512", "38618901"),
    (20000000000, "SHA1", "65353130"),
    (20000000000, "SHA256", "77737706"),
    (20000000000, "SHA512", "47863826"),
]


def b32(raw: bytes) -> str:
    return base64.b32encode(raw).decode("ascii")


@pytest.mark.parametrize("now,algorithm,expected", RFC6238_VECTORS)
def test_rfc6238_vector(now, algorithm, expected):
    params = totp.TotpParams(secret=SEEDS[algorithm], algorithm=algorithm, digits=8)

    assert totp.code(params, now) == expected


@pytest.mark.parametrize("now,algorithm,expected", RFC6238_VECTORS)
def test_rfc6238_vector_via_uri(now, algorithm, expected):
    uri = f"otpauth://totp/RFC:test?secret={b32(SEEDS[algorithm])}&algorithm={algorithm}&digits=8&period=30"

    assert totp.code(totp.parse(uri), now) == expected


def test_six_digits_truncate_eight():
    params = totp.TotpParams(secret=SEEDS["SHA1"], digits=6)

    assert totp.code(params, 59) == "287082"


def test_bare_secret_lenient():
    params = totp.parse("  jbsw y3dp-ehpk 3pxp  ")

    assert params.secret == base64.b32decode("JBSWY3DPEHPK3PXP")
    assert (params.algorithm, params.digits, params.period) == ("SHA1", 6, 30)


def test_missing_padding_accepted():
    secret = b32(b"0123456789a").rstrip("=")

    assert totp.parse(secret).secret == b"0123456789a"


def test_uri_all_parameters():
    uri = "otpauth://totp/ACME%20Co:john.doe%40email.com?secret=HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ&issuer=ACME%20Co&algorithm=SHA512&digits=8&period=60"

    params = totp.parse(uri)

    assert params.issuer == "ACME Co"
    assert params.account == "john.doe@email.com"
    assert (params.algorithm, params.digits, params.period) == ("SHA512", 8, 60)


def test_uri_lenient_algorithm_names():
    for name in ("sha256", "SHA-256", "Sha_256"):
        uri = f"otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&algorithm={name}"
        assert totp.parse(uri).algorithm == "SHA256"


def test_uri_label_issuer_prefix_used():
    params = totp.parse("otpauth://totp/Example%3Aalice?secret=jbswy3dpehpk3pxp")

    assert params.issuer == "Example"
    assert params.account == "alice"


def test_uri_issuer_parameter_wins():
    params = totp.parse("otpauth://totp/Old:alice?secret=JBSWY3DPEHPK3PXP&issuer=New")

    assert params.issuer == "New"


def test_period_honoured():
    params = totp.parse("otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&period=60")

    assert totp.code(params, 0) == totp.code(params, 59)
    assert totp.seconds_remaining(params, 10) == 50


def test_canonical_uri_round_trip():
    uri = "otpauth://totp/ACME:bob?secret=jbswy3dpehpk3pxp&algorithm=sha-1&digits=7&period=45&issuer=ACME"

    canonical = totp.normalize(uri)

    assert totp.parse(canonical) == totp.parse(uri)
    assert "algorithm=SHA1" in canonical


@pytest.mark.parametrize(
    "value,phrase",
    [
        ("not base32!", "not Base32"),
        ("JBSW", "bits; at least 80"),
        ("JBSWY3DPEHPK3PXPA", "cannot be 17 characters"),
        ("otpauth://hotp/x?secret=JBSWY3DPEHPK3PXP&counter=1", "HOTP"),
        ("otpauth://totp/x?issuer=a", "no secret parameter"),
        ("otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&algorithm=MD5", "algorithm 'MD5' is not supported"),
        ("otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&digits=5", "digits 5 is outside 6..8"),
        ("otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&digits=six", "digits 'six' is not a whole number"),
        ("otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&period=0", "period 0 is outside"),
        ("otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&encoder=steam", "encoder 'steam'"),
        ("otpauth:/totp/Foo?secret=JBSWY3DPEHPK3PXP", "not a valid otpauth:// URI"),
        ("OTPAUTH:totp/Foo?secret=JBSWY3DPEHPK3PXP", "not a valid otpauth:// URI"),
        ("https://example.com/?secret=JBSWY3DPEHPK3PXP", "'https' URI is not a TOTP secret"),
    ],
)
def test_invalid_input_rejected(value, phrase):
    with pytest.raises(EntryValidationError, match=phrase):
        totp.parse(value)


def test_error_never_echoes_secret():
    with pytest.raises(EntryValidationError) as raised:
        totp.parse("JBSWY3DPEHPK3PX1")
    assert "JBSWY3DPEHPK3PX1" not in str(raised.value)


def test_malformed_uri_hides_secret():
    with pytest.raises(EntryValidationError) as raised:
        totp.parse("otpauth:/totp/Foo?secret=JBSWY3DPEHPK3PXP")
    assert "JBSWY3DPEHPK3PXP" not in str(raised.value)


def test_repr_hides_secret():
    assert "secret=" not in repr(totp.parse("JBSWY3DPEHPK3PXP"))


@settings(max_examples=100, deadline=None)
@given(
    secret=st.binary(min_size=totp.SECRET_MIN_BYTES, max_size=64),
    algorithm=st.sampled_from(sorted(totp.ALGORITHMS)),
    digits=st.integers(totp.DIGITS_MIN, totp.DIGITS_MAX),
    period=st.integers(1, 3600),
    issuer=st.one_of(st.none(), st.text(st.characters(blacklist_characters=":", blacklist_categories=("Cs", "Cc")), min_size=1, max_size=20).map(str.strip).filter(bool)),
    account=st.one_of(st.none(), st.text(st.characters(blacklist_characters=":", blacklist_categories=("Cs", "Cc")), min_size=1, max_size=20).map(str.strip).filter(bool)),
)
def test_uri_round_trip(secret, algorithm, digits, period, issuer, account):
    params = totp.TotpParams(secret, algorithm, digits, period, issuer, account)

    assert totp.parse(totp.to_uri(params)) == params
