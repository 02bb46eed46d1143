"""Payment card entries: number (Luhn-checked), expiry, CVV and PIN are secret.

The metadata keeps only what a listing needs: brand, last four digits and the
cardholder name.
"""

import re

from qvault.entries import common
from qvault.errors import EntryValidationError

METADATA_FIELDS = {"title", "cardholder", "tags"}
SECRET_FIELDS = {"number", "expiry", "cvv", "pin", "notes"}
FIELDS = METADATA_FIELDS | SECRET_FIELDS
DERIVED_FIELDS = {"brand", "last4"}

# (brand, number prefix ranges) from the issuer identification numbers that the
# networks publish; the first match wins.
_BRANDS = [
    ("amex", [(34, 34), (37, 37)]),
    ("visa", [(4, 4)]),
    ("mastercard", [(51, 55), (2221, 2720)]),
    ("discover", [(6011, 6011), (644, 649), (65, 65)]),
    ("unionpay", [(62, 62)]),
    ("jcb", [(3528, 3589)]),
    ("diners", [(300, 305), (36, 36), (38, 39)]),
    ("maestro", [(50, 50), (56, 69)]),
]


def luhn_ok(digits: str) -> bool:
    total = 0
    for position, digit in enumerate(reversed(digits)):
        value = int(digit)
        if position % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def brand_of(digits: str) -> str:
    for brand, ranges in _BRANDS:
        for low, high in ranges:
            prefix = int(digits[: len(str(low))])
            if low <= prefix <= high:
                return brand
    return "other"


def _number(fields: dict) -> str | None:
    value = common.text(fields, "number")
    if value is None:
        return None
    digits = re.sub(r"[\s-]", "", value)
    if not digits.isascii() or not digits.isdigit() or not 12 <= len(digits) <= 19:
        raise EntryValidationError("field 'number': a card number has 12 to 19 digits (spaces and dashes allowed)")
    if not luhn_ok(digits):
        raise EntryValidationError("field 'number': the Luhn check digit is wrong; a digit is mistyped")
    return digits


def _expiry(fields: dict) -> str | None:
    """Return MM/YYYY from MM/YY, MM/YYYY, MM-YY or YYYY-MM."""
    value = common.text(fields, "expiry")
    if value is None:
        return None
    match = re.fullmatch(r"(\d{1,2})\s*[/-]\s*(\d{2}|\d{4})", value)
    iso = re.fullmatch(r"(\d{4})-(\d{1,2})", value)
    if iso:
        year, month = int(iso.group(1)), int(iso.group(2))
    elif match:
        month, year = int(match.group(1)), int(match.group(2))
        year = year + 2000 if year < 100 else year
    else:
        raise EntryValidationError("field 'expiry': the value is not a date like 09/27 or 09/2027")
    if not 1 <= month <= 12:
        raise EntryValidationError(f"field 'expiry': month {month} is not between 1 and 12")
    return f"{month:02d}/{year}"


def build(fields: dict) -> tuple[dict, dict]:
    """Validate a card and split it into (metadata, secret)."""
    common.reject_unknown("card", fields, FIELDS)
    number = _number(fields)
    metadata: dict = {"type": "card", "title": common.text(fields, "title", required=True)}
    if number is not None:
        metadata["brand"] = brand_of(number)
        metadata["last4"] = number[-4:]
    common.put(metadata, "cardholder", common.text(fields, "cardholder"))
    common.put(metadata, "tags", common.tags(fields))

    secret: dict = {}
    common.put(secret, "number", number)
    common.put(secret, "expiry", _expiry(fields))
    cvv = common.text(fields, "cvv")
    if cvv is not None:
        expected = (4,) if metadata.get("brand") == "amex" else (3, 4)
        if not cvv.isascii() or not cvv.isdigit() or len(cvv) not in expected:
            raise EntryValidationError(f"field 'cvv': expected {' or '.join(map(str, expected))} digits")
        secret["cvv"] = cvv
    pin = common.text(fields, "pin")
    if pin is not None:
        if not pin.isascii() or not pin.isdigit() or not 4 <= len(pin) <= 12:
            raise EntryValidationError("field 'pin': expected 4 to 12 digits")
        secret["pin"] = pin
    common.put(secret, "notes", common.text(fields, "notes", multiline=True))
    return metadata, secret
