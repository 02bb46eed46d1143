"""Paper backups: QR codes (segno) in the terminal, as SVG or PNG files, and an HTML sheet.

Files are created new (an existing file is replaced only with force=True, through
a temporary file and a rename) and, when they contain a secret, with mode 0600
from the start, so no other local user can read them even for a moment. The
HTML sheet is self-contained: inline SVG and CSS, no scripts, fonts or links, so
printing it makes no network request.
"""

import dataclasses
import datetime
import html
import io
import logging
import os
import pathlib
from typing import TextIO

import segno

from qvault.crypto.errors import CryptoError

log = logging.getLogger(__name__)

PRIVATE_MODE = 0o600
PUBLIC_MODE = 0o644
# Error correction level M recovers about 15% of damaged codewords, which covers
# a crease or a stain, and the code stays smaller than at levels Q or H.
QR_ERROR = "m"
# Pixels per QR module in PNG files, and user units per module in SVG files.
PNG_SCALE = 8
SVG_SCALE = 4
FORMATS = ("svg", "png", "html")


@dataclasses.dataclass(frozen=True)
class Item:
    """One thing on paper: a heading, its text (printed and in the QR code) and a note."""

    heading: str
    text: str
    note: str = ""
    # Mnemonics are printed as numbered words, so a reader copies them in order.
    words: bool = False


def qr_code(text: str) -> segno.QRCode:
    """Return the QR code of text; upper-case Base32 codes fit the denser alphanumeric mode."""
    return segno.make(text, error=QR_ERROR, micro=False)


def print_terminal(text: str, out: TextIO) -> None:
    """Draw the QR code of text with block characters (two rows per line)."""
    qr_code(text).terminal(out=out, compact=True)


def _write_new(path: pathlib.Path, data: bytes, mode: int, force: bool) -> None:
    """Create path with mode and write data; with force, replace an existing file atomically."""
    if path.is_dir():
        raise CryptoError(f"{path} is a folder; pass a file name")
    target = path
    if force and path.exists():
        target = path.with_name(f".{path.name}.partial-{os.getpid()}")
        target.unlink(missing_ok=True)
    try:
        descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except FileExistsError:
        raise CryptoError(f"{path}: a file already exists; choose another name or pass --force") from None
    except OSError as error:
        raise CryptoError(f"cannot create {path}: {error.strerror}") from None
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        # The umask may have cleared bits of a public file's mode; set it exactly.
        os.chmod(target, mode)
        if target != path:
            os.replace(target, path)
    except OSError as error:
        target.unlink(missing_ok=True)
        raise CryptoError(f"cannot write {path}: {error.strerror}") from None


def write_qr(path: pathlib.Path, text: str, kind: str, *, private: bool, force: bool = False) -> None:
    """Write the QR code of text as an SVG or PNG file."""
    buffer = io.BytesIO()
    if kind == "svg":
        qr_code(text).save(buffer, kind="svg", scale=SVG_SCALE, border=4, title="Qvault paper backup")
    elif kind == "png":
        qr_code(text).save(buffer, kind="png", scale=PNG_SCALE, border=4)
    else:
        raise CryptoError(f"QR file format {kind!r} is unknown; use svg or png")
    _write_new(path, buffer.getvalue(), PRIVATE_MODE if private else PUBLIC_MODE, force)
    log.info("wrote a %s QR code file (%s)", kind, "private" if private else "public")


_STYLE = """
@page { size: A4; margin: 15mm; }
* { box-sizing: border-box; }
body { font-family: "DejaVu Sans", Arial, sans-serif; color: #000; background: #fff; margin: 0; }
.sheet { page-break-after: always; break-after: page; padding: 8mm 0; }
.sheet:last-child { page-break-after: auto; break-after: auto; }
h1 { font-size: 18pt; margin: 0 0 2mm; }
.meta { font-size: 9pt; color: #333; margin-bottom: 6mm; }
.item { display: flex; gap: 8mm; align-items: flex-start; border: 0.4mm solid #000; padding: 5mm; margin-bottom: 6mm; break-inside: avoid; page-break-inside: avoid; }
.item h2 { font-size: 12pt; margin: 0 0 3mm; }
.qr svg { width: 55mm; height: 55mm; }
.text { font-family: "DejaVu Sans Mono", "Courier New", monospace; font-size: 11pt; word-break: break-all; }
ol.words { columns: 3; column-gap: 6mm; margin: 0; padding-left: 8mm; font-family: "DejaVu Sans Mono", "Courier New", monospace; font-size: 11pt; }
.note { font-size: 9pt; margin-top: 3mm; }
.warning { font-size: 10pt; border-left: 1.5mm solid #000; padding-left: 3mm; margin-bottom: 6mm; }
.fill { font-size: 10pt; margin-top: 4mm; }
@media screen { body { max-width: 210mm; margin: 0 auto; padding: 0 10mm; } .sheet { border-bottom: 1px dashed #999; } }
"""


def _item_html(item: Item) -> str:
    svg = qr_code(item.text).svg_inline(scale=SVG_SCALE, border=2)
    if item.words:
        body = '<ol class="words">' + "".join(f"<li>{html.escape(word)}</li>" for word in item.text.split()) + "</ol>"
    else:
        body = f'<div class="text">{html.escape(item.text)}</div>'
    note = f'<div class="note">{html.escape(item.note)}</div>' if item.note else ""
    return (
        f'<section class="item"><div class="qr">{svg}</div>'
        f"<div><h2>{html.escape(item.heading)}</h2>{body}{note}</div></section>"
    )


def html_sheet(title: str, sheets: list[list[Item]], *, warning: str = "", now: datetime.datetime | None = None) -> str:
    """Return a printable HTML document: one printed page per inner list of items."""
    moment = (now or datetime.datetime.now(datetime.timezone.utc)).strftime("%Y-%m-%d")
    pages = []
    for number, items in enumerate(sheets, start=1):
        counter = f" ({number} of {len(sheets)})" if len(sheets) > 1 else ""
        warning_html = f'<div class="warning">{html.escape(warning)}</div>' if warning else ""
        pages.append(
            f'<div class="sheet"><h1>{html.escape(title)}{counter}</h1>'
            f'<div class="meta">Printed {moment} by Qvault</div>{warning_html}'
            + "".join(_item_html(item) for item in items)
            + '<div class="fill">Kept by: ______________________ &nbsp; Place: ______________________</div></div>'
        )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; style-src \'unsafe-inline\'; img-src data:">'
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body>{''.join(pages)}</body></html>\n"
    )


def write_html(path: pathlib.Path, document: str, *, private: bool, force: bool = False) -> None:
    _write_new(path, document.encode("utf-8"), PRIVATE_MODE if private else PUBLIC_MODE, force)
    log.info("wrote an HTML paper sheet (%s)", "private" if private else "public")
