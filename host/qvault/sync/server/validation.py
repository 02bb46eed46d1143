"""Schema checks of request bodies, with 400 errors that name the failing field.

Unknown fields are ignored, so a newer client can add optional fields. Lengths are
checked before decoding. Messages name the field and the rule. They never contain a
string or base64 value, because such values may be auth keys or ciphertexts.
"""

import base64
import binascii
import uuid
from typing import Any

from qvault.errors import KdfParametersRejected
from qvault.sync.server import config
from qvault.sync.server.errors import invalid
from qvault.sync.storage.base import Kdf
from qvault.vault.kdf import KdfParams

INT64_MAX = 2**63 - 1


class Fields:
    """Typed access to the fields of one JSON object; path prefixes error messages."""

    def __init__(self, data: Any, path: str = ""):
        if not isinstance(data, dict):
            where = f"field '{path}'" if path else "request body"
            raise invalid(f"{where} must be a JSON object")
        self._data = data
        self._path = path

    def field_path(self, name: str) -> str:
        return f"{self._path}.{name}" if self._path else name

    def _get(self, name: str) -> Any:
        if name not in self._data or self._data[name] is None:
            raise invalid(f"field '{self.field_path(name)}' is missing")
        return self._data[name]

    def text(self, name: str, max_chars: int) -> str:
        value = self._get(name)
        if not isinstance(value, str):
            raise invalid(f"field '{self.field_path(name)}' must be a string")
        if len(value) > max_chars:
            raise invalid(f"field '{self.field_path(name)}' is longer than {max_chars} characters")
        return value

    def integer(self, name: str, minimum: int = 0, maximum: int = INT64_MAX) -> int:
        value = self._get(name)
        if not isinstance(value, int) or isinstance(value, bool):
            raise invalid(f"field '{self.field_path(name)}' must be an integer")
        if not minimum <= value <= maximum:
            raise invalid(f"field '{self.field_path(name)}' must be between {minimum} and {maximum}")
        return value

    def boolean(self, name: str) -> bool:
        value = self._get(name)
        if not isinstance(value, bool):
            raise invalid(f"field '{self.field_path(name)}' must be true or false")
        return value

    def b64(self, name: str, max_bytes: int, exact: int | None = None, allowed: tuple[int, ...] = ()) -> bytes:
        """Decode standard base64 with padding; exact or allowed fix the decoded length."""
        return decode_b64(self._get(name), self.field_path(name), max_bytes, exact, allowed)

    def array(self, name: str, max_items: int, min_items: int = 0) -> list[Any]:
        value = self._get(name)
        if not isinstance(value, list):
            raise invalid(f"field '{self.field_path(name)}' must be an array")
        if len(value) > max_items:
            raise invalid(f"field '{self.field_path(name)}' has {len(value)} items; the maximum is {max_items}")
        if len(value) < min_items:
            raise invalid(f"field '{self.field_path(name)}' needs at least {min_items} items")
        return value

    def object(self, name: str) -> "Fields":
        return Fields(self._get(name), self.field_path(name))

    def item(self, name: str, index: int, value: Any) -> "Fields":
        return Fields(value, f"{self.field_path(name)}[{index}]")


def decode_b64(value: Any, name: str, max_bytes: int, exact: int | None = None, allowed: tuple[int, ...] = ()) -> bytes:
    if not isinstance(value, str):
        raise invalid(f"field '{name}' must be a base64 string")
    # 4 characters per 3 bytes, checked before decoding.
    if len(value) > 4 * ((max_bytes + 2) // 3):
        raise invalid(f"field '{name}' is longer than {max_bytes} bytes")
    try:
        decoded = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise invalid(f"field '{name}' is not valid base64 (standard alphabet, with padding)") from None
    if exact is not None and len(decoded) != exact:
        raise invalid(f"field '{name}' must decode to {exact} bytes, not {len(decoded)}")
    if allowed and len(decoded) not in allowed:
        expected = " or ".join(str(size) for size in allowed)
        raise invalid(f"field '{name}' must decode to {expected} bytes, not {len(decoded)}")
    if len(decoded) > max_bytes:
        raise invalid(f"field '{name}' is longer than {max_bytes} bytes")
    return decoded


def email(fields: Fields) -> str:
    """Return the email, trimmed and lower-cased so one mailbox is one account."""
    value = fields.text("email", config.EMAIL_MAX_CHARS).strip().lower()
    local, at, domain = value.partition("@")
    if not at or not local or not domain or any(char.isspace() or ord(char) < 0x20 for char in value):
        raise invalid("field 'email' must be an email address such as name@example.org")
    return value


def kdf(fields: Fields) -> Kdf:
    """Return the KDF parameters after checking Qvault's floor and ceiling."""
    kdf_fields = fields.object("kdf")
    params = KdfParams(
        memory_kib=kdf_fields.integer("memory_kib"),
        iterations=kdf_fields.integer("iterations"),
        parallelism=kdf_fields.integer("parallelism"),
    )
    try:
        params.check()
    except KdfParametersRejected as error:
        raise invalid(f"field 'kdf': {error}") from None
    return Kdf(params.memory_kib, params.iterations, params.parallelism)


def key_slots(fields: Fields) -> list[bytes]:
    items = fields.array("key_slots", config.KEY_SLOTS_MAX, min_items=1)
    return [decode_b64(item, f"key_slots[{index}]", config.KEY_SLOT_MAX_BYTES) for index, item in enumerate(items)]


def entry_id(fields: Fields) -> str:
    value = fields.text("id", 36)
    try:
        canonical = str(uuid.UUID(value))
    except ValueError:
        canonical = None
    if canonical != value:
        raise invalid(f"field '{fields.field_path('id')}' must be a lowercase UUID such as 123e4567-e89b-12d3-a456-426614174000")
    return value
