"""Exporting the vault: `qvault export`.

- encrypted.py writes a new Qvault vault file under an export password, which
  `qvault import qvault FILE` reads back;
- bitwarden_json.py and bitwarden_csv.py write plaintext files in Bitwarden's
  formats, created with mode 0600 by plainfile.py.
docs/import-export.md lists what each format keeps.
"""

from qvault.errors import QvaultError


class ExportError(QvaultError):
    """The export was not written: a missing confirmation, an existing file, a write failure."""
