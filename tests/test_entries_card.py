"""Card entries: Luhn, brand, expiry, CVV."""

import pytest

from qvault.entries import build_entry, card, merged_fields
from qvault.errors import EntryValidationError


@pytest.mark.parametrize(
    "number,brand",
    [
        ("4111 1111 1111 1111", "visa"),
        ("5555-5555-5555-4444", "mastercard"),
        ("2223003122003222", "mastercard"),
        ("378282246310005", "amex"),
        ("6011111111111117", "discover"),
        ("3530111333300000", "jcb"),
        ("36227206271667", "diners"),
    ],
)
def test_brand_and_last4(number, brand):
    metadata, secret = build_entry("card", {"title": "Card", "number": number})

    assert metadata["brand"] == brand
    assert metadata["last4"] == number[-4:]
    assert secret["number"] == number.replace(" ", "").replace("-", "")


def test_card_split():
    metadata, secret = build_entry(
        "card", {"title": "Visa", "cardholder": "Ann Lee", "number": "4111111111111111", "expiry": "9/27", "cvv": "123", "pin": "0000"}
    )

    assert metadata == {"type": "card", "title": "Visa", "brand": "visa", "last4": "1111", "cardholder": "Ann Lee"}
    assert secret == {"number": "4111111111111111", "expiry": "09/2027", "cvv": "123", "pin": "0000"}
    assert build_entry("card", merged_fields(metadata, secret)) == (metadata, secret)


def test_luhn_failure_not_echoed():
    with pytest.raises(EntryValidationError, match="Luhn check digit is wrong") as raised:
        build_entry("card", {"title": "x", "number": "4111111111111112"})
    assert "4111" not in str(raised.value)


@pytest.mark.parametrize("expiry,stored", [("09/27", "09/2027"), ("9-2031", "09/2031"), ("2030-01", "01/2030")])
def test_expiry_formats(expiry, stored):
    _, secret = build_entry("card", {"title": "x", "expiry": expiry})

    assert secret["expiry"] == stored


def test_expiry_month_rejected():
    with pytest.raises(EntryValidationError, match="month 13"):
        build_entry("card", {"title": "x", "expiry": "13/27"})


def test_expiry_error_hides_value():
    with pytest.raises(EntryValidationError, match="the value is not a date") as raised:
        build_entry("card", {"title": "x", "expiry": "sept 2027"})
    assert "sept 2027" not in str(raised.value)


def test_amex_cvv_needs_four_digits():
    with pytest.raises(EntryValidationError, match="expected 4 digits"):
        build_entry("card", {"title": "x", "number": "378282246310005", "cvv": "123"})


def test_luhn_helper():
    assert card.luhn_ok("79927398713")
    assert not card.luhn_ok("79927398710")
