"""Bitwarden unencrypted JSON export: logins, secure notes, cards, identities, SSH keys.

Shape: {"encrypted": false, "folders": [{"id", "name"}], "items": [{"type", "name",
"notes", "folderId", "fields": [{"name", "value", "type"}], "login": {...} |
"card": {...} | "identity": {...} | "sshKey": {...}}]}. Item types: 1 login,
2 secure note, 3 card, 4 identity, 5 SSH key. Custom field types: 0 text,
1 hidden, 2 boolean, 3 linked (a reference without a value, dropped).

Qvault's own JSON export writes fields Bitwarden has no place for as custom
fields named 'qvault.<field>' (and 'qvault.type' for server, wallet and key
entries); this reader maps them back, so an export re-imports without loss.
"""

import json
import pathlib

from qvault.entries import TYPES
from qvault.errors import EntryValidationError
from qvault.importers import csvread
from qvault.importers.records import Draft, ParsedSource, Problem, ReadOptions, SourceError, present

QVAULT_PREFIX = "qvault."
# Qvault fields exported as one custom field with one value per line.
LIST_FIELDS = {"urls", "tags", "addresses"}
# Custom field naming the secrets an export left out on purpose.
OMITTED_FIELD = QVAULT_PREFIX + "omitted"
ITEM_TYPES = {1: "login", 2: "note", 3: "card", 4: "identity", 5: "server"}
FIELD_HIDDEN, FIELD_BOOLEAN, FIELD_LINKED = 1, 2, 3
_IDENTITY_EXTRA = (
    ("title", "Title"),
    ("company", "Company"),
    ("username", "Username"),
    ("licenseNumber", "License number"),
)


def _text(value) -> str | None:
    return present(value) if isinstance(value, (str, int, float)) else None


def _object(value) -> dict:
    return value if isinstance(value, dict) else {}


def _list(value) -> list:
    return value if isinstance(value, list) else []


def load(path: pathlib.Path) -> dict:
    """Parse the file and reject encrypted exports, which need Bitwarden's own keys."""
    try:
        document = json.loads(csvread.read_bytes(path).decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise SourceError(f"{path}: not a JSON file ({error})") from None
    if not isinstance(document, dict) or not isinstance(document.get("items"), list):
        raise SourceError(f"{path}: not a Bitwarden JSON export: no 'items' list")
    if document.get("encrypted") is True or document.get("passwordProtected") is True:
        raise SourceError(f"{path}: an encrypted Bitwarden export cannot be read; export again as 'JSON' (unencrypted)")
    return document


def _qvault_fields(item: dict) -> tuple[str | None, dict, list[str]]:
    """Return (qvault.type, {field: value} from qvault.* custom fields, omitted field names)."""
    entry_type, values, omitted = None, {}, []
    for field in _list(item.get("fields")):
        name = _text(_object(field).get("name")) or ""
        if not name.startswith(QVAULT_PREFIX):
            continue
        value = field.get("value")
        if value is None:
            value = ""
        elif not isinstance(value, str):
            value = str(value)
        key = name[len(QVAULT_PREFIX):]
        if key == "type":
            entry_type = value.strip()
        elif name == OMITTED_FIELD:
            omitted = [part.strip() for part in value.split(",") if part.strip()]
        elif key in LIST_FIELDS:
            values[key] = [line for line in value.splitlines() if line.strip()]
        else:
            values[key] = value
    return entry_type, values, omitted


def _custom_fields(draft: Draft, item: dict) -> None:
    for field in _list(item.get("fields")):
        field = _object(field)
        name = _text(field.get("name")) or "Field"
        if name.startswith(QVAULT_PREFIX) or field.get("type") == FIELD_LINKED:
            continue
        value = field.get("value")
        if field.get("type") == FIELD_BOOLEAN:
            value = "true" if str(value).lower() == "true" else "false"
        draft.add_field(name, value, hidden=field.get("type") == FIELD_HIDDEN)


def _login(draft: Draft, login: dict) -> None:
    for uri in _list(login.get("uris")):
        draft.add_url(_object(uri).get("uri"))
    draft.set("username", _text(login.get("username")))
    password = login.get("password")
    draft.set("password", password if isinstance(password, str) else None)
    draft.set_totp(_text(login.get("totp")))


def _card(draft: Draft, card: dict) -> None:
    draft.set("cardholder", _text(card.get("cardholderName")))
    draft.set("number", _text(card.get("number")))
    draft.set("cvv", _text(card.get("code")))
    month, year = _text(card.get("expMonth")), _text(card.get("expYear"))
    if month and year:
        draft.set("expiry", f"{month}/{year}")
    elif month or year:
        draft.add_note_line(f"Expiry: {month or year}")


def _identity(draft: Draft, identity: dict) -> None:
    names = [_text(identity.get(key)) for key in ("firstName", "middleName", "lastName")]
    draft.set("name", " ".join(name for name in names if name))
    draft.set("email", _text(identity.get("email")))
    draft.set("phone", _text(identity.get("phone")))
    keys = ("address1", "address2", "address3", "city", "state", "postalCode", "country")
    lines = [_text(identity.get(key)) for key in keys]
    draft.set("address", "\n".join(line for line in lines if line))
    draft.set("national_id", _text(identity.get("ssn")))
    draft.set("passport", _text(identity.get("passportNumber")))
    for key, label in _IDENTITY_EXTRA:
        value = _text(identity.get(key))
        if value:
            draft.add_note_line(f"{label}: {value}")


def _ssh_key(draft: Draft, ssh_key: dict) -> None:
    draft.set("ssh_key", _text(ssh_key.get("privateKey")))
    draft.add_field("Public key", _text(ssh_key.get("publicKey")))
    draft.add_field("Fingerprint", _text(ssh_key.get("keyFingerprint")))


def _build(item: dict, location: str, folders: dict[str, str]):
    qvault_type, qvault_values, omitted = _qvault_fields(item)
    if omitted:
        raise EntryValidationError(
            f"the export left out {', '.join(omitted)} (it was written without --include-crypto-secrets)"
        )
    if qvault_type is not None and qvault_type not in TYPES:
        raise EntryValidationError(f"qvault.type {qvault_type!r} is not an entry type")
    item_type = item.get("type")
    entry_type = qvault_type or ITEM_TYPES.get(item_type)
    if entry_type is None:
        raise EntryValidationError(f"item type {item_type!r} is not supported (1 login, 2 note, 3 card, 4 identity, 5 SSH key)")

    draft = Draft(entry_type, location)
    draft.set("title", _text(item.get("name")))
    draft.set("notes", item.get("notes") if isinstance(item.get("notes"), str) else None)
    draft.add_tag(folders.get(item.get("folderId")))
    if qvault_type is None or qvault_type in ("login", "note", "card", "identity"):
        handler = {1: _login, 3: _card, 4: _identity, 5: _ssh_key}.get(item_type)
        section = {1: "login", 3: "card", 4: "identity", 5: "sshKey"}.get(item_type)
        if handler:
            handler(draft, _object(item.get(section)))
    _custom_fields(draft, item)
    record = draft.record()
    # qvault.* fields are exact copies of Qvault fields, so they override the mapping.
    if "tags" in qvault_values:
        record.fields.pop("tags", None)
    record.fields.update({key: value for key, value in qvault_values.items() if value not in ("", [])})
    return record


def read(path: pathlib.Path, options: ReadOptions) -> ParsedSource:
    parsed = ParsedSource("bitwarden-json")
    document = load(path)
    folders = {
        folder.get("id"): _text(folder.get("name"))
        for folder in _list(document.get("folders"))
        if isinstance(folder, dict)
    }
    for number, item in enumerate(document["items"], start=1):
        location = f"item {number}"
        if not isinstance(item, dict):
            parsed.problems.append(Problem(location, "the item is not a JSON object"))
            continue
        name = _text(item.get("name"))
        if name:
            location = f"item {number} ({name})"
        parsed.add(location, lambda item=item, location=location: _build(item, location, folders))
    return parsed

