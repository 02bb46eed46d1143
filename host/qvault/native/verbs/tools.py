"""Verbs that compute rather than store: totp and generate."""

import time

from qvault import limits
from qvault.native.codes import ErrorCode, RequestError
from qvault.native.dispatch import Arg, verb
from qvault.native.verbs.credentials import best_url, login_entry


@verb("totp", entry_id=Arg(str, max_chars=64), url=Arg(str, max_chars=limits.URL_MAX_CHARS))
def totp_code(session, entry_id: str, url: str) -> dict:
    """Return the current TOTP code of a login that matches the page."""
    from qvault.entries import totp

    vault = session.vault()
    entry = login_entry(vault, entry_id)
    best_url(entry, url)
    stored = vault.get_secret(entry_id).get("totp")
    if not stored:
        raise RequestError(ErrorCode.NOT_FOUND, f"entry {entry_id} has no TOTP secret")
    params = totp.parse(stored)
    now = time.time()
    return {"code": totp.code(params, now), "period": params.period, "remaining": totp.seconds_remaining(params, now)}


@verb(
    "generate",
    kind=Arg(str, required=False, max_chars=20),
    length=Arg(int, required=False, minimum=4, maximum=256),
    words=Arg(int, required=False, minimum=3, maximum=20),
    symbols=Arg(bool, required=False),
    exclude_lookalikes=Arg(bool, required=False),
)
def generate(session, kind: str = "password", length: int | None = None, words: int | None = None,
             symbols: bool = True, exclude_lookalikes: bool = False) -> dict:
    """Generate a password or passphrase; works while locked, since nothing is stored."""
    from qvault.entries import generator

    if kind == "password":
        classes = ("lower", "upper", "digits", "symbols") if symbols else ("lower", "upper", "digits")
        result = generator.password(
            length or generator.PASSWORD_LENGTH_DEFAULT, classes=classes, exclude_lookalikes=exclude_lookalikes
        )
    elif kind == "passphrase":
        result = generator.passphrase(words or generator.PASSPHRASE_WORDS_DEFAULT)
    else:
        raise RequestError(ErrorCode.INVALID_ARGUMENT, f"generate: kind {kind[:20]!r} is unknown; use 'password' or 'passphrase'")
    return {"password": result.value, "entropy_bits": result.entropy_bits}
