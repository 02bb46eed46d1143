"""pass (the standard Unix password manager) stores: a folder of GPG-encrypted files.

Each NAME.gpg file is decrypted with `gpg --decrypt --batch` under the user's own
GnuPG setup (GNUPGHOME and gpg-agent decide which keys and prompts are used). Its
first line is the password. Later 'key: value' lines with the keys below set the
username, URL or TOTP, and so does a line starting with otpauth://. Every other
line is kept in the notes. The path below the store, without '.gpg', is the title. As
browserpass does, a last path part that looks like a domain becomes the URL.
"""

import logging
import os
import pathlib
import re
import shutil
import subprocess

from qvault.importers.progress import progress_bar
from qvault.importers.records import Draft, ParsedSource, Problem, ReadOptions, SourceError

log = logging.getLogger(__name__)

MARKER = ".gpg-id"
FILE_MAX_BYTES = 1024 * 1024
USERNAME_KEYS = {"login", "username", "user", "email"}
URL_KEYS = {"url", "website", "site", "link"}
TOTP_KEYS = {"otp", "totp", "otpauth"}
_DOMAIN = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}$", re.IGNORECASE)


def _files(root: pathlib.Path) -> list[pathlib.Path]:
    """Return the .gpg files below root in sorted order, skipping hidden folders like .git."""
    found = []
    for folder, subfolders, names in os.walk(root):
        subfolders[:] = sorted(name for name in subfolders if not name.startswith("."))
        found += [pathlib.Path(folder, name) for name in sorted(names) if name.endswith(".gpg")]
    return found


def decrypt(gpg: str, path: pathlib.Path) -> str:
    """Return the decrypted text; raise SourceError with gpg's last message line on failure."""
    if path.stat().st_size > FILE_MAX_BYTES:
        raise SourceError(f"the file is over {FILE_MAX_BYTES} bytes")
    result = subprocess.run(
        [gpg, "--decrypt", "--batch", "--quiet", "--", str(path)],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        check=False,
    )
    if result.returncode != 0:
        lines = [line for line in result.stderr.decode("utf-8", "replace").splitlines() if line.strip()]
        raise SourceError(f"gpg --decrypt failed (exit status {result.returncode}): {lines[-1] if lines else 'no message'}")
    try:
        return result.stdout.decode("utf-8")
    except UnicodeDecodeError:
        raise SourceError("the decrypted text is not UTF-8") from None


def _build(text: str, name: str):
    draft = Draft("login", name)
    lines = text.replace("\r\n", "\n").split("\n")
    draft.set("title", name)
    draft.set("password", lines[0])
    notes = []
    for line in lines[1:]:
        key, separator, value = line.partition(":")
        key = key.strip().lower()
        if line.strip().lower().startswith("otpauth://") and "totp" not in draft.fields:
            draft.set_totp(line)
        elif separator and key in USERNAME_KEYS and "username" not in draft.fields:
            draft.set("username", value)
        elif separator and key in URL_KEYS:
            draft.add_url(value)
        elif separator and key in TOTP_KEYS and "totp" not in draft.fields:
            draft.set_totp(value)
        else:
            notes.append(line)
    draft.set("notes", "\n".join(notes))
    last = name.rsplit("/", 1)[-1]
    if not draft.has_urls and _DOMAIN.match(last):
        draft.add_url(last)
    return draft.record()


def read(path: pathlib.Path, options: ReadOptions) -> ParsedSource:
    if not path.is_dir():
        raise SourceError(f"{path}: a pass store is a folder; pass the store folder (usually ~/.password-store)")
    if not (path / MARKER).is_file():
        raise SourceError(f"{path}: no {MARKER} file here; this is not the top folder of a pass store")
    gpg = shutil.which("gpg")
    if gpg is None:
        raise SourceError("gpg was not found on PATH; install GnuPG (Debian: apt-get install gnupg)")
    parsed = ParsedSource("pass")
    files = _files(path)
    with progress_bar(options.progress_stream, len(files), "decrypting") as bar:
        for file in files:
            name = file.relative_to(path).as_posix().removesuffix(".gpg")
            bar.advance()
            try:
                text = decrypt(gpg, file)
            except SourceError as error:
                parsed.problems.append(Problem(name, str(error)))
                continue
            parsed.add(name, lambda text=text, name=name: _build(text, name))
    return parsed

