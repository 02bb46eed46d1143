"""Paper backups: QR files with the right modes, no silent overwrite, a self-contained HTML sheet."""

import io
import stat
import xml.etree.ElementTree as ElementTree

import pytest

from qvault.crypto import paper
from qvault.crypto.errors import CryptoError

CODE = "5BXHEFQ27WELPWE6ZTD273N5R6R7IHBI"


def mode(path):
    return stat.S_IMODE(path.stat().st_mode)


def test_private_svg_mode_0600(tmp_path):
    target = tmp_path / "code.svg"
    paper.write_qr(target, CODE, "svg", private=True)
    assert mode(target) == 0o600
    root = ElementTree.fromstring(target.read_bytes())
    assert root.tag.endswith("svg")


def test_public_png_mode_0644(tmp_path):
    target = tmp_path / "xpub.png"
    paper.write_qr(target, "zpub-example", "png", private=False)
    assert mode(target) == 0o644
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_existing_file_kept(tmp_path):
    target = tmp_path / "code.svg"
    target.write_text("keep me")
    with pytest.raises(CryptoError, match="a file already exists; choose another name or pass --force"):
        paper.write_qr(target, CODE, "svg", private=True)
    assert target.read_text() == "keep me"


def test_force_replaces_with_private_mode(tmp_path):
    target = tmp_path / "code.svg"
    target.write_text("old")
    target.chmod(0o644)
    paper.write_qr(target, CODE, "svg", private=True, force=True)
    assert mode(target) == 0o600
    assert target.read_text().lstrip().startswith("<?xml") or "<svg" in target.read_text()
    assert [path.name for path in tmp_path.iterdir()] == ["code.svg"]


def test_folder_target_rejected(tmp_path):
    with pytest.raises(CryptoError, match="is a folder"):
        paper.write_qr(tmp_path, CODE, "svg", private=True)


def test_unknown_format_rejected(tmp_path):
    with pytest.raises(CryptoError, match="format 'pdf' is unknown"):
        paper.write_qr(tmp_path / "x.pdf", CODE, "pdf", private=True)


def test_missing_folder_reported(tmp_path):
    with pytest.raises(CryptoError, match="cannot create"):
        paper.write_qr(tmp_path / "missing" / "x.svg", CODE, "svg", private=True)


def test_html_sheet_self_contained():
    items = [paper.Item("Share 1 of 2", "academic acid acne", "note <b>", words=True)]
    document = paper.html_sheet("Title & <x>", [items, [paper.Item("Code", CODE)]], warning="Keep it safe")
    assert document.startswith("<!DOCTYPE html>")
    lowered = document.lower()
    for external in ("http://", "https://", "<script", "<link", "src=", "@import", "url("):
        assert external not in lowered
    assert "Title &amp; &lt;x&gt; (1 of 2)" in document
    assert "note &lt;b&gt;" in document
    assert document.count('class="sheet"') == 2
    assert "<li>academic</li><li>acid</li><li>acne</li>" in document
    assert CODE in document
    assert document.count("<svg") == 2
    assert "@page" in document
    assert "break-after: page" in document


def test_write_html_private(tmp_path):
    target = tmp_path / "sheet.html"
    paper.write_html(target, paper.html_sheet("T", [[paper.Item("Code", CODE)]]), private=True)
    assert mode(target) == 0o600
    assert "<!DOCTYPE html>" in target.read_text(encoding="utf-8")


def test_terminal_qr_drawn():
    out = io.StringIO()
    paper.print_terminal(CODE, out)
    lines = out.getvalue().splitlines()
    assert len(lines) > 10
    assert "█" in out.getvalue()
    assert CODE not in out.getvalue()
