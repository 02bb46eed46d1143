"""The crypto commands through main(): shamir, paper, wallet verify and wallet new."""

import io
import json
import pathlib
import stat

import pytest

from qvault.cli.main import main
from qvault.vault import Vault, keyslots
from qvault.vault.kdf import FLOOR

PASSWORD = "correct horse battery staple"
ABANDON = "abandon " * 11 + "about"
ZPUB = "zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r1ADqtfSdVCToUG868RvUUkgDKf31mGDtKsAYz2oz2AGutZYs"
FIRST_BIP84 = "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu"


class Result:
    def __init__(self, code: int, stdout: str, stderr: str):
        self.code = code
        self.stdout = stdout
        self.stderr = stderr


def run(vault: pathlib.Path, *argv: str, lines: list[str] = ()) -> Result:
    """Call main() in-process with --password-stdin and the given stdin lines."""
    stdout, stderr = io.StringIO(), io.StringIO()
    stdin = io.StringIO("".join(line + "\n" for line in lines))
    code = main(["--vault", str(vault), "--password-stdin", *argv], stdin=stdin, stdout=stdout, stderr=stderr)
    return Result(code, stdout.getvalue(), stderr.getvalue())


@pytest.fixture
def created(tmp_path):
    """A vault with the 'abandon ... about' wallet; returns (path, printed recovery code)."""
    path = tmp_path / "test.qvault"
    vault, code = Vault.create(path, PASSWORD, params=FLOOR)
    vault.add_entry(
        {"type": "wallet", "title": "Abandon", "xpub": ZPUB, "xpub_kind": "zpub", "network": "mainnet",
         "derivation_path": "m/84'/0'/0'", "addresses": [FIRST_BIP84], "seed_language": "english", "word_count": 12},
        {"seed": ABANDON},
    )
    vault.close()
    return path, keyslots.encode_code(code)


def share_lines(stdout: str) -> list[str]:
    lines = stdout.splitlines()
    return [lines[index + 1].strip() for index, line in enumerate(lines) if line.startswith("SLIP-39 share")]


def mode(path: pathlib.Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_recovery_code_split_combine(created, tmp_path):
    vault, code = created
    sheet = tmp_path / "shares.html"
    split = run(vault, "shamir", "split", "--recovery-code", "-m", "2", "-n", "3", "--html", str(sheet), lines=[code.lower()])
    assert split.code == 0, split.stderr
    shares = share_lines(split.stdout)
    assert len(shares) == 3
    assert mode(sheet) == 0o600
    assert "contains a secret" in split.stderr
    document = sheet.read_text(encoding="utf-8")
    for share in shares:
        assert "".join(f"<li>{word}</li>" for word in share.split()) in document

    combined = run(vault, "shamir", "combine", "--recovery-code", lines=[shares[2], shares[0]])
    assert combined.code == 0, combined.stderr
    assert combined.stdout.strip() == code
    assert "opens" in combined.stderr


def test_recovery_code_with_passphrase(created):
    vault, code = created
    split = run(vault, "shamir", "split", "--recovery-code", "--group", "2-of-2", "--group", "1-of-1",
                "--group-threshold", "1", "--passphrase", lines=[code, "pass phrase"])
    assert split.code == 0, split.stderr
    shares = share_lines(split.stdout)
    assert len(shares) == 3
    right = run(vault, "shamir", "combine", "--recovery-code", "--passphrase", lines=[shares[2], "pass phrase"])
    assert right.stdout.strip() == code
    wrong = run(vault, "shamir", "combine", "--recovery-code", "--passphrase", lines=[shares[2], "wrong"])
    assert wrong.code == 1
    assert "does not open this vault; check the SLIP-39 passphrase" in wrong.stderr
    assert wrong.stdout == ""


def test_split_wrong_recovery_code(created):
    vault, code = created
    other = keyslots.encode_code(bytes(20))
    result = run(vault, "shamir", "split", "--recovery-code", "-m", "2", "-n", "3", lines=[other])
    assert result.code == 1
    assert "wrong recovery code" in result.stderr
    assert result.stdout == ""


def test_split_bad_scheme(created):
    vault, code = created
    result = run(vault, "shamir", "split", "--recovery-code", "-m", "1", "-n", "3", lines=[code])
    assert result.code == 1
    assert "threshold of 1 with several shares is not allowed" in result.stderr


def test_wallet_split_needs_confirmation(created):
    vault, _ = created
    result = run(vault, "shamir", "split", "--wallet", "Abandon", "-m", "2", "-n", "3", lines=[PASSWORD, "no"])
    assert result.code == 1
    assert "not confirmed" in result.stderr
    assert result.stdout == ""


def test_wallet_split_combine_store(created):
    vault, _ = created
    split = run(vault, "shamir", "split", "--wallet", "Abandon", "-m", "2", "-n", "3", lines=[PASSWORD, "reveal"])
    assert split.code == 0, split.stderr
    shares = share_lines(split.stdout)
    assert "abandon" not in split.stdout

    shown = run(vault, "shamir", "combine", "--wallet", lines=shares[:2])
    assert shown.code == 0
    assert "abandon" not in shown.stdout
    assert FIRST_BIP84 in shown.stderr

    revealed = run(vault, "shamir", "combine", "--wallet", "--reveal", lines=shares[1:] + ["reveal"])
    assert revealed.stdout.strip() == ABANDON

    stored = run(vault, "shamir", "combine", "--wallet", "--title", "Restored", lines=[PASSWORD] + shares[:2])
    assert stored.code == 0, stored.stderr
    assert "abandon" not in stored.stdout
    verified = run(vault, "wallet", "verify", "Restored", "--store", lines=[PASSWORD])
    assert verified.code == 0, verified.stderr
    assert ZPUB in verified.stdout


def test_combine_bad_share_stdin_fails(created):
    vault, _ = created
    result = run(vault, "shamir", "combine", "--wallet", lines=["academic " * 20])
    assert result.code == 1
    assert "share 1 is invalid" in result.stderr


def test_verify_match_and_json(created):
    vault, _ = created
    result = run(vault, "wallet", "verify", "Abandon", "--count", "2", lines=[PASSWORD])
    assert result.code == 0, result.stderr
    assert ZPUB in result.stdout
    assert FIRST_BIP84 in result.stdout
    assert "MISMATCH" not in result.stdout
    assert "abandon" not in result.stdout

    document = json.loads(run(vault, "wallet", "verify", "Abandon", "--json", lines=[PASSWORD]).stdout)
    assert document["ok"] is True
    assert document["accounts"][0]["xpub"] == ZPUB


def test_verify_mismatch_exit_1(created):
    vault, _ = created
    run(vault, "edit", "Abandon", "--address", "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", lines=[PASSWORD])
    result = run(vault, "wallet", "verify", "Abandon", lines=[PASSWORD])
    assert result.code == 1
    assert "MISMATCH" in result.stdout
    assert "do not come from this seed" in result.stderr


def test_verify_not_wallet(created):
    vault, _ = created
    run(vault, "add", "note", "--title", "Plain", lines=[PASSWORD])
    result = run(vault, "wallet", "verify", "Plain", lines=[PASSWORD])
    assert result.code == 1
    assert "is a note, not a wallet" in result.stderr


def test_wallet_new_hides_seed(created):
    vault, _ = created
    result = run(vault, "wallet", "new", "--title", "Fresh", "--words", "12", lines=[PASSWORD])
    assert result.code == 0, result.stderr
    entry_id, path_line, xpub_line, address_line = result.stdout.splitlines()
    assert path_line == "BIP84 P2WPKH mainnet m/84'/0'/0'"
    assert xpub_line.strip().startswith("zpub")
    assert address_line.split()[1].startswith("bc1q")
    assert len(result.stdout.split()) < 12

    verified = run(vault, "wallet", "verify", entry_id, lines=[PASSWORD])
    assert verified.code == 0, verified.stdout
    assert "MISMATCH" not in verified.stdout


def test_wallet_new_reveal(created):
    vault, _ = created
    result = run(vault, "wallet", "new", "--title", "Shown", "--words", "24", "--language", "spanish",
                 "--passphrase", "--reveal", lines=[PASSWORD, "extra", "reveal"])
    assert result.code == 0, result.stderr
    phrase = result.stdout.splitlines()[-1]
    assert len(phrase.split()) == 24
    show = run(vault, "show", "Shown", "--json", lines=[PASSWORD])
    assert json.loads(show.stdout)["seed_language"] == "spanish"


def test_wallet_new_reveal_refused_keeps_entry(created):
    vault, _ = created
    result = run(vault, "wallet", "new", "--title", "Kept", "--reveal", lines=[PASSWORD, "nope"])
    assert result.code == 1
    assert "not confirmed" in result.stderr
    assert len(result.stdout.splitlines()) == 4
    assert run(vault, "show", "Kept", lines=[PASSWORD]).code == 0


def test_paper_recovery_code_files(created, tmp_path):
    vault, code = created
    svg, png, html = tmp_path / "code.svg", tmp_path / "code.png", tmp_path / "code.html"
    result = run(vault, "paper", "recovery-code", "--no-qr", "--svg", str(svg), "--png", str(png), "--html", str(html), lines=[code])
    assert result.code == 0, result.stderr
    assert result.stdout.strip() == code
    for path in (svg, png, html):
        assert mode(path) == 0o600
    assert result.stderr.count("mode 0600") == 3
    again = run(vault, "paper", "recovery-code", "--no-qr", "--svg", str(svg), lines=[code])
    assert again.code == 1
    assert "pass --force" in again.stderr


def test_paper_recovery_code_terminal_qr(created):
    vault, code = created
    result = run(vault, "paper", "recovery-code", lines=[code])
    assert result.code == 0
    assert "█" in result.stdout


def test_paper_xpub_and_addresses_public(created, tmp_path):
    vault, _ = created
    sheet = tmp_path / "xpub.html"
    result = run(vault, "paper", "xpub", "Abandon", "--no-qr", "--html", str(sheet), lines=[PASSWORD])
    assert result.code == 0, result.stderr
    assert ZPUB in result.stdout
    assert mode(sheet) == 0o644
    assert ZPUB in sheet.read_text(encoding="utf-8")

    svg = tmp_path / "addr.svg"
    addresses = run(vault, "paper", "addresses", "Abandon", "--scheme", "eth", "--count", "2", "--no-qr", "--svg", str(svg), lines=[PASSWORD])
    assert addresses.code == 0, addresses.stderr
    assert "0x9858EfFD232B4033E47d90003D41EC34EcaEda94" in addresses.stdout
    assert sorted(path.name for path in tmp_path.glob("addr-*.svg")) == ["addr-1.svg", "addr-2.svg"]


def test_spanish_wallet_round_trip(created):
    vault, _ = created
    made = run(vault, "wallet", "new", "--title", "Spanish", "--words", "12", "--language", "spanish", "--reveal", lines=[PASSWORD, "reveal"])
    phrase = made.stdout.splitlines()[-1]
    split = run(vault, "shamir", "split", "--wallet", "Spanish", "-m", "2", "-n", "2", lines=[PASSWORD, "reveal"])
    assert "restore it with 'qvault shamir combine --wallet --language spanish'" in split.stderr
    shares = share_lines(split.stdout)
    combined = run(vault, "shamir", "combine", "--wallet", "--language", "spanish", "--reveal", lines=shares + ["reveal"])
    assert combined.stdout.strip() == phrase
