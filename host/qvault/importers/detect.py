"""Guessing the format of a source: `qvault import auto FILE`.

The checks go from the most specific signature to the least: a pass store
folder, the KDBX and SQLite magic numbers, a zip with export.data (1PUX), a JSON
object with an 'items' list (Bitwarden), then the CSV header's column names.
"""

import json
import pathlib
import zipfile

from qvault.importers import (
    bitwarden_csv,
    browsers,
    csvread,
    kdbx,
    keepassxc_csv,
    lastpass,
    onepassword_csv,
    onepux,
    passstore,
    qvault_backup,
)
from qvault.importers.records import SourceError

# The CSV formats in the order they are tried, each with its identifying columns.
# A header that contains the columns of several formats gets the first of them.
CSV_SIGNATURES: list[tuple[str, set[str]]] = [
    ("bitwarden", bitwarden_csv.COLUMNS),
    ("keepassxc", keepassxc_csv.COLUMNS | {"totp", "last modified"}),
    ("lastpass", lastpass.COLUMNS),
    ("1password", onepassword_csv.COLUMNS),
    ("safari", browsers.SAFARI_COLUMNS),
    ("firefox", browsers.FIREFOX_COLUMNS),
    ("keepassxc", keepassxc_csv.COLUMNS),
    ("chrome", browsers.CHROME_COLUMNS),
]
SNIFF_BYTES = 64 * 1024


def detect(path: pathlib.Path, encoding: str | None = None) -> str:
    """Return the format name for path, or raise SourceError saying what was found."""
    if path.is_dir():
        if (path / passstore.MARKER).is_file():
            return "pass"
        raise SourceError(f"{path}: a folder without {passstore.MARKER}; only pass stores are imported from folders")
    try:
        with path.open("rb") as handle:
            head = handle.read(SNIFF_BYTES)
    except FileNotFoundError:
        raise SourceError(f"{path}: file not found") from None
    except OSError as error:
        raise SourceError(f"{path}: cannot read the file ({error.strerror})") from None

    if head.startswith(kdbx.MAGIC):
        return "kdbx"
    if head.startswith(qvault_backup.SQLITE_MAGIC):
        return "qvault"
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as archive:
                if onepux.DATA_MEMBER in archive.namelist():
                    return "1pux"
        except zipfile.BadZipFile:
            pass
        raise SourceError(f"{path}: a zip archive without {onepux.DATA_MEMBER}; only 1Password 1PUX archives are supported")
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
        return _json_format(path)
    return _csv_format(path, encoding)


def _json_format(path: pathlib.Path) -> str:
    try:
        document = json.loads(csvread.read_bytes(path).decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise SourceError(f"{path}: starts like JSON but is not valid JSON ({error})") from None
    if isinstance(document, dict) and isinstance(document.get("items"), list):
        return "bitwarden-json"
    raise SourceError(f"{path}: a JSON file, but not a Bitwarden export (no 'items' list)")


def _csv_format(path: pathlib.Path, encoding: str | None) -> str:
    text = csvread.decode(csvread.read_bytes(path), path, encoding, [])
    header = csvread.header_of(text, path)
    if header is None:
        raise SourceError(f"{path}: the file is empty; expected a CSV header line")
    for name, columns in CSV_SIGNATURES:
        if columns <= set(header.names):
            return name
    known = set().union(*(columns for _, columns in CSV_SIGNATURES))
    description = csvread.describe_known(header, known, "known")
    raise SourceError(f"{path}: cannot tell the format from the header ({description}); name the format instead of 'auto'")
