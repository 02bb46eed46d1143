"""Plaintext export in Bitwarden's unencrypted JSON format.

Logins, notes, cards and identities use Bitwarden's own item types, so Bitwarden
and other managers that read its format import them. Qvault fields that have no
Bitwarden place (tags beyond the folder, a card PIN, a birth date) are written as
custom fields named 'qvault.<field>'. Server, wallet and key entries become
secure notes carrying 'qvault.type' and every field as 'qvault.<field>'.
Qvault's Bitwarden JSON reader maps all of these back.
"""

import json
import uuid

from qvault.entries import is_secret_field
from qvault.exporters.fields import ExportEntry
from qvault.importers.bitwarden_json import OMITTED_FIELD, QVAULT_PREFIX

FIELD_TEXT, FIELD_HIDDEN = 0, 1
ITEM_LOGIN, ITEM_NOTE, ITEM_CARD, ITEM_IDENTITY = 1, 2, 3, 4
CARD_BRANDS = {
    "visa": "Visa",
    "mastercard": "Mastercard",
    "amex": "Amex",
    "discover": "Discover",
    "diners": "Diners Club",
    "jcb": "JCB",
    "maestro": "Maestro",
    "unionpay": "UnionPay",
    "other": "Other",
}


def _custom(name: str, value, hidden: bool) -> dict:
    if isinstance(value, list):
        value = "\n".join(str(item) for item in value)
    elif isinstance(value, bool):
        value = "true" if value else "false"
    return {"name": name, "value": str(value), "type": FIELD_HIDDEN if hidden else FIELD_TEXT, "linkedId": None}


def _login(fields: dict, item: dict) -> None:
    item["login"] = {
        "uris": [{"match": None, "uri": url} for url in fields.pop("urls", [])],
        "username": fields.pop("username", None),
        "password": fields.pop("password", None),
        "totp": fields.pop("totp", None),
    }
    for name, hidden in (("fields", False), ("hidden_fields", True)):
        item["fields"] += [_custom(field["name"], field["value"], hidden) for field in fields.pop(name, [])]


def _card(fields: dict, item: dict, brand: str | None) -> None:
    month, _, year = (fields.pop("expiry", "") or "").partition("/")
    item["card"] = {
        "cardholderName": fields.pop("cardholder", None),
        "brand": CARD_BRANDS.get(brand or "", None),
        "number": fields.pop("number", None),
        "expMonth": str(int(month)) if month.isdigit() else None,
        "expYear": year or None,
        "code": fields.pop("cvv", None),
    }


def _identity(fields: dict, item: dict) -> None:
    # Bitwarden splits names; the last word is the family name, and joining the
    # parts with a space restores Qvault's single name field.
    first, _, last = (fields.pop("name", "") or "").rpartition(" ")
    first, last = (first, last) if first else (last, "")
    item["identity"] = {
        "firstName": first or None,
        "middleName": None,
        "lastName": last or None,
        "email": fields.pop("email", None),
        "phone": fields.pop("phone", None),
        "address1": fields.pop("address", None),
        "ssn": fields.pop("national_id", None),
        "passportNumber": fields.pop("passport", None),
    }


def _item(entry: ExportEntry, folder_ids: dict[str, str]) -> dict:
    fields = dict(entry.fields)
    tags = fields.get("tags", [])
    item = {
        "id": entry.id,
        "organizationId": None,
        "folderId": folder_ids.get(tags[0]) if tags else None,
        "type": ITEM_NOTE,
        "reprompt": 0,
        "name": fields.pop("title", ""),
        "notes": fields.pop("notes", None),
        "favorite": False,
        "fields": [],
        "collectionIds": None,
    }
    if entry.type == "login":
        item["type"] = ITEM_LOGIN
        _login(fields, item)
    elif entry.type == "card":
        item["type"] = ITEM_CARD
        _card(fields, item, entry.metadata.get("brand"))
    elif entry.type == "identity":
        item["type"] = ITEM_IDENTITY
        _identity(fields, item)
    else:
        item["secureNote"] = {"type": 0}
        if entry.type != "note":
            item["fields"].append(_custom(QVAULT_PREFIX + "type", entry.type, False))

    for name, value in fields.items():
        item["fields"].append(_custom(QVAULT_PREFIX + name, value, is_secret_field(entry.type, name)))
    if entry.omitted:
        item["fields"].append(_custom(OMITTED_FIELD, ", ".join(entry.omitted), False))
    return item


def render(entries: list[ExportEntry]) -> bytes:
    """Return the JSON document for entries, as UTF-8 bytes."""
    folder_names = sorted({entry.fields["tags"][0] for entry in entries if entry.fields.get("tags")})
    folder_ids = {name: str(uuid.uuid4()) for name in folder_names}
    document = {
        "encrypted": False,
        "folders": [{"id": folder_ids[name], "name": name} for name in folder_names],
        "items": [_item(entry, folder_ids) for entry in entries],
    }
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")

