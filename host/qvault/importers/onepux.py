"""1Password 1PUX export: a zip archive whose export.data contains every item as JSON.

Shape: accounts[].vaults[].items[] with categoryUuid, state ('active' or
'archived'), trashed, overview {title, url, urls[{label, url}], tags} and details
{loginFields[{designation, value}], notesPlain, sections[{title, fields[{title,
id, value: {string | concealed | totp | creditCardNumber | monthYear | date |
phone | url | email | address | sshKey ...}}]}]}.

Categories: 001 login and 005 password become logins, 002 credit card a card,
003 secure note a note, 004 identity an identity, 110 server and 114 SSH key
server entries. Other categories become secure notes holding every field as a
'Title: value' line. Documents (006) and trashed items are not imported.
"""

import datetime
import json
import pathlib
import zipfile

from qvault.errors import EntryValidationError
from qvault.importers.records import Draft, ParsedSource, ReadOptions, SourceError, present

DATA_MEMBER = "export.data"
DATA_MAX_BYTES = 256 * 1024 * 1024
ARCHIVED_TAG = "archived"
CATEGORY_TYPES = {"001": "login", "005": "login", "002": "card", "003": "note", "004": "identity", "110": "server", "114": "server"}
CATEGORY_DOCUMENT = "006"
# 1Password field ids mapped to Qvault fields, per entry type.
FIELD_IDS = {
    "card": {"cardholder": "cardholder", "ccnum": "number", "cvv": "cvv", "expiry": "expiry", "pin": "pin"},
    "identity": {"email": "email", "birthdate": "birth_date", "defphone": "phone", "cellphone": "phone", "address": "address"},
    "server": {"url": "host", "username": "username", "password": "password", "private_key": "ssh_key"},
}
_NAME_IDS = ("firstname", "initial", "lastname")


def _object(value) -> dict:
    return value if isinstance(value, dict) else {}


def _list(value) -> list:
    return value if isinstance(value, list) else []


def load(path: pathlib.Path) -> dict:
    """Read export.data from the archive, checking its size before decompressing."""
    try:
        with zipfile.ZipFile(path) as archive:
            try:
                info = archive.getinfo(DATA_MEMBER)
            except KeyError:
                raise SourceError(f"{path}: not a 1PUX export: the archive has no {DATA_MEMBER}") from None
            if info.file_size > DATA_MAX_BYTES:
                raise SourceError(f"{path}: {DATA_MEMBER} is {info.file_size} bytes; the maximum is {DATA_MAX_BYTES}")
            data = archive.read(info)
    except FileNotFoundError:
        raise SourceError(f"{path}: file not found") from None
    except (zipfile.BadZipFile, OSError) as error:
        raise SourceError(f"{path}: not a readable zip archive ({error})") from None
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise SourceError(f"{path}: {DATA_MEMBER} is not JSON ({error})") from None
    if not isinstance(document, dict) or not isinstance(document.get("accounts"), list):
        raise SourceError(f"{path}: not a 1PUX export: {DATA_MEMBER} has no 'accounts' list")
    return document


def field_text(value: dict) -> tuple[str | None, bool]:
    """Return a section field's value as text and whether 1Password conceals it."""
    if "concealed" in value:
        return present(value["concealed"]), True
    if "monthYear" in value:
        number = str(value["monthYear"])
        return (f"{number[4:6]}/{number[:4]}" if len(number) == 6 else None), False
    if "date" in value and isinstance(value["date"], (int, float)):
        return datetime.datetime.fromtimestamp(value["date"], datetime.timezone.utc).date().isoformat(), False
    if "address" in value:
        address = _object(value["address"])
        parts = [present(address.get(key)) for key in ("street", "city", "state", "zip", "country")]
        return "\n".join(part for part in parts if part) or None, False
    if "sshKey" in value:
        return present(_object(value["sshKey"]).get("privateKey")), True
    for content in value.values():
        if isinstance(content, (str, int, float)) and not isinstance(content, bool):
            return present(content), False
    return None, False


def _login_fields(draft: Draft, details: dict) -> None:
    for field in _list(details.get("loginFields")):
        field = _object(field)
        designation = field.get("designation")
        if designation == "username":
            draft.set("username", present(field.get("value")))
        elif designation == "password":
            value = field.get("value")
            draft.set("password", value if isinstance(value, str) else None)
        elif field.get("fieldType") not in ("C", "B", "I"):
            # Checkboxes, buttons and hidden inputs of the saved form carry no credentials.
            draft.add_field(present(field.get("name")) or "Field", present(field.get("value")), hidden=field.get("fieldType") == "P")


def _sections(draft: Draft, details: dict, mapping: dict[str, str]) -> None:
    names: dict[str, str] = {}
    for section in _list(details.get("sections")):
        for field in _list(_object(section).get("fields")):
            field = _object(field)
            value = _object(field.get("value"))
            field_id = str(field.get("id") or "")
            title = present(field.get("title")) or field_id or "Field"
            if "totp" in value and draft.entry_type == "login" and "totp" not in draft.fields:
                draft.set_totp(value["totp"])
                continue
            text, concealed = field_text(value)
            if text is None:
                continue
            if field_id in _NAME_IDS and draft.entry_type == "identity":
                names[field_id] = text
            elif field_id in mapping and mapping[field_id] not in draft.fields:
                draft.set(mapping[field_id], text)
            else:
                draft.add_field(title, text, hidden=concealed)
    if names:
        draft.set("name", " ".join(names[key] for key in _NAME_IDS if key in names))


def _build(item: dict, location: str):
    category = str(item.get("categoryUuid", ""))
    if category == CATEGORY_DOCUMENT:
        raise EntryValidationError("documents (files) are not imported; save the file from 1Password instead")
    entry_type = CATEGORY_TYPES.get(category, "note")
    overview, details = _object(item.get("overview")), _object(item.get("details"))
    draft = Draft(entry_type, location)
    draft.set("title", present(overview.get("title")))
    draft.set("notes", details.get("notesPlain") if isinstance(details.get("notesPlain"), str) else None)
    for tag in _list(overview.get("tags")):
        draft.add_tag(tag if isinstance(tag, str) else None)
    if item.get("state") == "archived":
        draft.add_tag(ARCHIVED_TAG)

    if entry_type == "login":
        urls = [present(_object(entry).get("url")) for entry in _list(overview.get("urls"))]
        for url in urls or [present(overview.get("url"))]:
            draft.add_url(url)
        _login_fields(draft, details)
    _sections(draft, details, FIELD_IDS.get(entry_type, {}))
    if entry_type == "server" and "host" in draft.fields:
        # 1Password stores a URL; a server entry keeps the host name.
        host = draft.fields["host"].split("://")[-1].split("/")[0]
        draft.fields["host"] = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    return draft.record()


def read(path: pathlib.Path, options: ReadOptions) -> ParsedSource:
    parsed = ParsedSource("1pux")
    document = load(path)
    number = 0
    trashed = 0
    for account in _list(document.get("accounts")):
        for vault in _list(_object(account).get("vaults")):
            for item in _list(_object(vault).get("items")):
                number += 1
                item = _object(item)
                if item.get("trashed") is True or item.get("state") == "trashed":
                    trashed += 1
                    continue
                title = present(_object(item.get("overview")).get("title"))
                location = f"item {number} ({title})" if title else f"item {number}"
                parsed.add(location, lambda item=item, location=location: _build(item, location))
    if trashed:
        parsed.notices.append(f"left out {trashed} trashed item(s)")
    return parsed
