"""TOTP (RFC 6238) codes from a Base32 secret or an otpauth:// URI.

Accepts what authenticator exports contain: a bare Base32 secret (any case, spaces
or dashes, missing '=' padding) or an otpauth://totp/ URI with the parameters of
Google's Key Uri Format (secret, issuer, algorithm, digits, period) and a label
such as 'Issuer:account', URL-encoded or not. Reading is lenient (algorithm
'sha256' or 'SHA-256'); the stored form is the canonical URI from to_uri().
"""

import base64
import dataclasses
import hashlib
import hmac
import re
import struct
import urllib.parse

from qvault.errors import EntryValidationError

ALGORITHMS = {"SHA1": hashlib.sha1, "SHA256": hashlib.sha256, "SHA512": hashlib.sha512}
DIGITS_MIN, DIGITS_MAX = 6, 8
PERIOD_MIN, PERIOD_MAX = 1, 86_400
# RFC 4226 section 4 requires at least 128 bits, but many services issue 80-bit secrets.
SECRET_MIN_BYTES = 10
SECRET_MAX_BYTES = 256
URI_MAX_CHARS = 2048


@dataclasses.dataclass(frozen=True)
class TotpParams:
    """One TOTP credential; repr hides the secret."""

    secret: bytes = dataclasses.field(repr=False)
    algorithm: str = "SHA1"
    digits: int = 6
    period: int = 30
    issuer: str | None = None
    account: str | None = None


def _error(message: str) -> EntryValidationError:
    return EntryValidationError(f"field 'totp': {message}")


def decode_secret(text: str) -> bytes:
    """Decode a Base32 secret typed or pasted by a person; the error never echoes it."""
    cleaned = re.sub(r"[\s-]", "", text).upper().rstrip("=")
    if not cleaned:
        raise _error("the secret is empty")
    if not re.fullmatch(r"[A-Z2-7]+", cleaned):
        raise _error("the secret is not Base32 (letters A-Z and digits 2-7)")
    if len(cleaned) % 8 in (1, 3, 6):
        raise _error(f"a Base32 secret cannot be {len(cleaned)} characters long; a character is missing or extra")
    secret = base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))
    if len(secret) < SECRET_MIN_BYTES:
        raise _error(f"the secret is {len(secret) * 8} bits; at least {SECRET_MIN_BYTES * 8} are needed")
    if len(secret) > SECRET_MAX_BYTES:
        raise _error(f"the secret is {len(secret)} bytes; the maximum is {SECRET_MAX_BYTES}")
    return secret


def _algorithm(value: str) -> str:
    name = value.upper().replace("-", "").replace("_", "")
    if name not in ALGORITHMS:
        raise _error(f"algorithm {value!r} is not supported; use SHA1, SHA256 or SHA512")
    return name


def _bounded_int(value: str, name: str, minimum: int, maximum: int) -> int:
    try:
        number = int(value.strip())
    except ValueError:
        raise _error(f"{name} {value!r} is not a whole number") from None
    if not minimum <= number <= maximum:
        raise _error(f"{name} {number} is outside {minimum}..{maximum}")
    return number


def _reject_other_uri(text: str) -> None:
    """Raise for a value with a URI scheme, which Base32 never contains, before it is read as a secret.

    A mistyped 'otpauth:/totp/...' would otherwise be reported as 'not Base32'.
    """
    scheme = re.match(r"([A-Za-z][A-Za-z0-9+.-]*):", text)
    if scheme is None:
        return
    if scheme.group(1).lower() == "otpauth":
        raise _error("the value is not a valid otpauth:// URI; expected otpauth://totp/LABEL?secret=BASE32")
    raise _error(f"a {scheme.group(1)!r} URI is not a TOTP secret; expected a Base32 secret or an otpauth://totp/ URI")


def parse(text: str) -> TotpParams:
    """Parse a Base32 secret or an otpauth://totp/ URI; raise EntryValidationError."""
    if not isinstance(text, str):
        raise _error("must be text")
    text = text.strip()
    if len(text) > URI_MAX_CHARS:
        raise _error(f"value is {len(text)} characters long; the maximum is {URI_MAX_CHARS}")
    if not text.lower().startswith("otpauth://"):
        _reject_other_uri(text)
        return TotpParams(secret=decode_secret(text))

    parts = urllib.parse.urlsplit(text)
    kind = parts.netloc.lower()
    if kind == "hotp":
        raise _error("HOTP (counter-based) codes are not supported; only otpauth://totp/")
    if kind != "totp":
        raise _error(f"URI type {parts.netloc!r} is not supported; expected otpauth://totp/")

    query = urllib.parse.parse_qs(parts.query, keep_blank_values=True)
    parameters = {key.lower(): values[-1] for key, values in query.items()}
    if "secret" not in parameters:
        raise _error("the otpauth URI has no secret parameter")
    encoder = parameters.get("encoder", "").lower()
    if encoder and encoder != "base32":
        raise _error(f"encoder {encoder!r} is not supported (Steam Guard codes use their own alphabet)")

    label = urllib.parse.unquote(parts.path.lstrip("/")).strip()
    label_issuer, _, account = label.rpartition(":")
    issuer = parameters.get("issuer", "").strip() or label_issuer.strip() or None
    return TotpParams(
        secret=decode_secret(parameters["secret"]),
        algorithm=_algorithm(parameters.get("algorithm", "SHA1")),
        digits=_bounded_int(parameters.get("digits", "6"), "digits", DIGITS_MIN, DIGITS_MAX),
        period=_bounded_int(parameters.get("period", "30"), "period", PERIOD_MIN, PERIOD_MAX),
        issuer=issuer,
        account=account.strip() or None,
    )


def to_uri(params: TotpParams) -> str:
    """Return the canonical otpauth://totp/ URI with every parameter written out."""
    label = params.account or ""
    if params.issuer:
        label = f"{params.issuer}:{label}"
    query = {
        "secret": base64.b32encode(params.secret).decode("ascii").rstrip("="),
        "algorithm": params.algorithm,
        "digits": str(params.digits),
        "period": str(params.period),
    }
    if params.issuer:
        query["issuer"] = params.issuer
    return f"otpauth://totp/{urllib.parse.quote(label, safe=':@')}?{urllib.parse.urlencode(query, quote_via=urllib.parse.quote)}"


def normalize(text: str) -> str:
    """Validate a secret or URI and return its canonical URI, the form stored in entries."""
    return to_uri(parse(text))


def hotp(secret: bytes, counter: int, digits: int = 6, algorithm: str = "SHA1") -> str:
    """Return the RFC 4226 HOTP value for one counter (dynamic truncation, section 5.3)."""
    digest = hmac.new(secret, struct.pack(">Q", counter), ALGORITHMS[algorithm]).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFF_FFFF
    return str(number % 10**digits).zfill(digits)


def code(params: TotpParams, now: float) -> str:
    """Return the code for Unix time now (seconds; callers inject the clock)."""
    return hotp(params.secret, int(now // params.period), params.digits, params.algorithm)


def seconds_remaining(params: TotpParams, now: float) -> int:
    """Return whole seconds until the code for now expires (1..period)."""
    return params.period - int(now % params.period)
