"""KeePass databases (KDBX 3.1 and 4), read with pykeepass.

Each entry becomes a login with title, username, password, URL, notes and tags.
KeePassXC's additional URLs ('KP2A_URL*') become further URLs, and the group path
below the root becomes a tag. The TOTP comes from KeePassXC's 'otp' attribute,
KeePass 2.47's 'TimeOtp-*' fields or the KeeOtp plugin's 'TOTP Seed'/'TOTP Settings'. Other string fields become
custom fields, hidden when KeePass protects them. Entries in the recycle bin,
history, attachments, icons and expiry times are not imported.
"""

import logging
import pathlib
import urllib.parse

from qvault.errors import EntryValidationError
from qvault.importers.records import Draft, ParsedSource, ReadOptions, SourceError, WrongSourcePassword

log = logging.getLogger(__name__)

MAGIC = bytes.fromhex("03d9a29a67fb4bb5")
_TIMEOTP_ALGORITHMS = {"HMAC-SHA-1": "SHA1", "HMAC-SHA-256": "SHA256", "HMAC-SHA-512": "SHA512"}
_OTP_FIELDS = {"TimeOtp-Secret-Base32", "TimeOtp-Length", "TimeOtp-Period", "TimeOtp-Algorithm", "TOTP Seed", "TOTP Settings"}


def _otp_uri(properties: dict[str, str]) -> str | None:
    """Build an otpauth URI from KeePass 2.47 or KeeOtp fields, or return None."""
    secret = properties.get("TimeOtp-Secret-Base32") or properties.get("TOTP Seed")
    if not secret:
        return None
    query = {"secret": secret}
    if "TimeOtp-Secret-Base32" in properties:
        query["digits"] = properties.get("TimeOtp-Length") or "6"
        query["period"] = properties.get("TimeOtp-Period") or "30"
        algorithm = properties.get("TimeOtp-Algorithm")
        if algorithm:
            if algorithm not in _TIMEOTP_ALGORITHMS:
                raise EntryValidationError(f"field 'totp': TimeOtp-Algorithm {algorithm!r} is not supported")
            query["algorithm"] = _TIMEOTP_ALGORITHMS[algorithm]
    else:
        # KeeOtp writes 'period;digits', for example '30;6'.
        period, _, digits = (properties.get("TOTP Settings") or "30;6").partition(";")
        query.update(period=period.strip() or "30", digits=digits.strip() or "6")
    return f"otpauth://totp/?{urllib.parse.urlencode(query)}"


def _build(entry, location: str):
    draft = Draft("login", location)
    draft.set("title", entry.title)
    draft.add_url(entry.url)
    draft.set("username", entry.username)
    draft.set("password", entry.password)
    draft.set("notes", entry.notes)
    for tag in entry.tags or []:
        draft.add_tag(tag)
    group_path = [part for part in (entry.group.path if entry.group else []) if part]
    if group_path:
        draft.add_tag("/".join(group_path))

    properties = entry.custom_properties
    draft.set_totp(entry.otp or _otp_uri(properties))
    for name, value in properties.items():
        if name in _OTP_FIELDS:
            continue
        if name.startswith("KP2A_URL"):
            draft.add_url(value)
            continue
        draft.add_field(name, value, hidden=entry.is_custom_property_protected(name))
    if entry.attachments:
        draft.warnings.append(f"{len(entry.attachments)} attachment(s) not imported")
    return draft.record()


def read(path: pathlib.Path, options: ReadOptions) -> ParsedSource:
    """Open the database with the password (asked through options) and the optional --keyfile."""
    try:
        import pykeepass
        from pykeepass.exceptions import CredentialsError, HeaderChecksumError, PayloadChecksumError
    except ImportError:
        raise SourceError("reading KDBX files needs pykeepass; install it with 'pip install pykeepass'") from None
    if not path.is_file():
        raise SourceError(f"{path}: file not found")
    if options.ask_password is None:
        raise SourceError(f"{path}: a KDBX database needs its password, and no prompt is available")
    password = options.ask_password("KeePass database password: ", "the KeePass database password")
    try:
        database = pykeepass.PyKeePass(str(path), password=password or None, keyfile=options.keyfile)
    except CredentialsError:
        raise WrongSourcePassword(f"{path}: wrong password or key file for this KeePass database") from None
    except (HeaderChecksumError, PayloadChecksumError):
        raise SourceError(f"{path}: the KeePass database is damaged (checksum mismatch)") from None
    except FileNotFoundError as error:
        raise SourceError(f"key file not found: {error.filename}") from None
    except Exception as error:
        # pykeepass raises construct's parsing errors for files that are not KDBX 3.1 or 4.
        log.debug("pykeepass failed on %s: %s", path, type(error).__name__)
        raise SourceError(f"{path}: not a KDBX 3.1 or 4 database pykeepass can read ({type(error).__name__})") from None
    if getattr(database.kdbx, "body", None) is None:
        raise SourceError(f"{path}: not a KDBX 3.1 or 4 database pykeepass can read (no body)")

    parsed = ParsedSource("kdbx")
    version = ".".join(str(part) for part in database.version)
    parsed.notices.append(f"opened KDBX {version} database {path.name}")
    recycle_bin = database.recyclebin_group
    skipped = 0
    for number, entry in enumerate(database.entries, start=1):
        if recycle_bin is not None and _inside(entry.group, recycle_bin):
            skipped += 1
            continue
        where = "/".join((entry.group.path if entry.group else []) + [entry.title or ""])
        location = f"entry {number} ({where})"
        parsed.add(location, lambda entry=entry, location=location: _build(entry, location))
    if skipped:
        parsed.notices.append(f"left out {skipped} entr{'y' if skipped == 1 else 'ies'} in the recycle bin")
    return parsed


def _inside(group, ancestor) -> bool:
    while group is not None:
        if group.uuid == ancestor.uuid:
            return True
        group = group.parentgroup
    return False
