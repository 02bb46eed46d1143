"""Field helpers shared by the entry types: text, tags, URLs and custom fields.

Every entry builder takes one flat dict of user input (the union of its metadata
and secret fields, as the CLI or the host collects them) and returns the pair
(metadata, secret) that Vault.add_entry stores. Values are normalised here so the
same input always produces the same stored entry: Unicode NFC, surrounding
whitespace removed, empty values dropped.
"""

import unicodedata
import urllib.parse

from qvault import limits
from qvault.errors import EntryValidationError

NOTES_MAX_CHARS = 65_536
TAGS_MAX = 64
URLS_MAX = 64
CUSTOM_FIELDS_MAX = 64

# Characters allowed in multi-line values (notes, SSH keys); other control
# characters are rejected everywhere.
_MULTILINE_CONTROLS = {"\n", "\t"}


def reject_unknown(entry_type: str, fields: dict, allowed: set[str]) -> None:
    """Raise EntryValidationError naming the first field that the type does not have."""
    for name in fields:
        if name not in allowed and name != "type":
            known = ", ".join(sorted(allowed))
            raise EntryValidationError(f"field '{name}' does not apply to a {entry_type} entry (fields: {known})")


def text(fields: dict, name: str, *, required: bool = False, multiline: bool = False, max_chars: int | None = None) -> str | None:
    """Return the normalised text of one field, or None when it is absent or blank.

    The error names the field but never its value, because callers pass secrets
    through here too.
    """
    value = fields.get(name)
    if value is None:
        if required:
            raise EntryValidationError(f"field '{name}' is required")
        return None
    if not isinstance(value, str):
        raise EntryValidationError(f"field '{name}' must be text, not {type(value).__name__}")
    value = unicodedata.normalize("NFC", value)
    if multiline:
        value = value.replace("\r\n", "\n").replace("\r", "\n").strip("\n ")
    else:
        value = value.strip()
    if not value:
        if required:
            raise EntryValidationError(f"field '{name}' is required and may not be blank")
        return None
    limit = max_chars or (NOTES_MAX_CHARS if multiline else limits.FIELD_TEXT_MAX_CHARS)
    if len(value) > limit:
        raise EntryValidationError(f"field '{name}' is {len(value)} characters long; the maximum is {limit}")
    for position, character in enumerate(value, start=1):
        if unicodedata.category(character) == "Cc" and not (multiline and character in _MULTILINE_CONTROLS):
            raise EntryValidationError(
                f"field '{name}' contains control character U+{ord(character):04X} at position {position}"
            )
    return value


def text_list(fields: dict, name: str, max_items: int) -> list[str]:
    """Return a list field as normalised, de-duplicated text values, in input order."""
    values = fields.get(name)
    if values is None:
        return []
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, (list, tuple)):
        raise EntryValidationError(f"field '{name}' must be a list of text values")
    if len(values) > max_items:
        raise EntryValidationError(f"field '{name}' has {len(values)} values; the maximum is {max_items}")
    result = []
    for value in values:
        normalised = text({name: value}, name)
        if normalised is not None and normalised not in result:
            result.append(normalised)
    return result


def tags(fields: dict) -> list[str]:
    """Return the tags: lower-cased, without surrounding '#', de-duplicated."""
    result: list[str] = []
    for tag in text_list(fields, "tags", TAGS_MAX):
        cleaned = tag.lstrip("#").strip().casefold()
        if cleaned and cleaned not in result:
            result.append(cleaned)
    return result


def url(value: str, name: str = "urls") -> str:
    """Return a URL with a scheme; a bare host such as 'example.com' gets https://.

    Only the syntax is checked here; matching normalises hosts (IDNA, ports) itself.
    """
    if len(value) > limits.URL_MAX_CHARS:
        raise EntryValidationError(f"{name}: URL is {len(value)} characters long; the maximum is {limits.URL_MAX_CHARS}")
    if any(character.isspace() for character in value):
        raise EntryValidationError(f"{name}: URL {value!r} contains whitespace")
    candidate = value if "://" in value else f"https://{value}"
    try:
        parts = urllib.parse.urlsplit(candidate)
        _ = parts.port
    except ValueError as error:
        raise EntryValidationError(f"{name}: URL {value!r} is invalid ({error})") from None
    if not parts.scheme.isascii() or not parts.scheme.replace("+", "").replace("-", "").replace(".", "").isalnum():
        raise EntryValidationError(f"{name}: URL {value!r} has an invalid scheme")
    if parts.scheme in ("http", "https") and not parts.hostname:
        raise EntryValidationError(f"{name}: URL {value!r} has no host name")
    return candidate


def urls(fields: dict) -> list[str]:
    return [url(value) for value in text_list(fields, "urls", URLS_MAX)]


def custom_fields(fields: dict, name: str) -> list[dict]:
    """Return custom fields as [{'name': ..., 'value': ...}], names unique, in input order.

    Accepts a list of {'name', 'value'} dicts or a {name: value} dict.
    """
    raw = fields.get(name)
    if raw is None:
        return []
    if isinstance(raw, dict):
        raw = [{"name": key, "value": value} for key, value in raw.items()]
    if not isinstance(raw, (list, tuple)):
        raise EntryValidationError(f"field '{name}' must be a list of name and value pairs")
    if len(raw) > CUSTOM_FIELDS_MAX:
        raise EntryValidationError(f"field '{name}' has {len(raw)} items; the maximum is {CUSTOM_FIELDS_MAX}")
    result: list[dict] = []
    seen: set[str] = set()
    for item in raw:
        if not isinstance(item, dict) or set(item) - {"name", "value"}:
            raise EntryValidationError(f"field '{name}': each item needs exactly 'name' and 'value'")
        field_name = text(item, "name", required=True)
        value = text(item, "value", multiline=True)
        if field_name.casefold() in seen:
            raise EntryValidationError(f"field '{name}': custom field name {field_name!r} appears twice")
        seen.add(field_name.casefold())
        if value is not None:
            result.append({"name": field_name, "value": value})
    return result


def put(target: dict, name: str, value) -> None:
    """Store value under name unless it is empty, so absent and blank read the same."""
    if value is None or value == [] or value == "":
        return
    target[name] = value


def password(fields: dict, name: str = "password") -> str | None:
    """Return a password exactly as typed (surrounding spaces may belong to it).

    Only the type, length and control characters are checked; the error never
    includes the value.
    """
    value = fields.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise EntryValidationError(f"field '{name}' must be text, not {type(value).__name__}")
    if len(value) > limits.FIELD_TEXT_MAX_CHARS:
        raise EntryValidationError(f"field '{name}' is {len(value)} characters long; the maximum is {limits.FIELD_TEXT_MAX_CHARS}")
    for position, character in enumerate(value, start=1):
        if unicodedata.category(character) == "Cc":
            raise EntryValidationError(f"field '{name}' contains control character U+{ord(character):04X} at position {position}")
    return value
