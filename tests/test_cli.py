"""The qvault command line: main flows as a subprocess, the rest through main()."""

import io
import json
import os
import pathlib
import sqlite3
import stat
import subprocess
import sys

import pytest

from qvault.cli import clipboard, session
from qvault.cli.io import Console
from qvault.errors import PromptError
from qvault.cli.main import main

PASSWORD = "correct horse battery staple"
KDF_FLOOR = ["--kdf-memory-kib", "65536", "--kdf-iterations", "3", "--kdf-parallelism", "4"]
ABANDON = "abandon " * 11 + "about"
# RFC 6238's SHA-1 seed in Base32; at Unix time 59 its 6-digit code is 287082.
RFC_TOTP_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"


class Result:
    def __init__(self, code: int, stdout: str, stderr: str):
        self.code = code
        self.stdout = stdout
        self.stderr = stderr


def run(vault: pathlib.Path, *argv: str, lines: list[str] = (), clock=lambda: 1_700_000_000.0) -> Result:
    """Call main() in-process with --password-stdin and the given stdin lines."""
    stdout, stderr = io.StringIO(), io.StringIO()
    stdin = io.StringIO("".join(line + "\n" for line in lines))
    code = main(["--vault", str(vault), "--password-stdin", *argv], stdin=stdin, stdout=stdout, stderr=stderr, clock=clock)
    return Result(code, stdout.getvalue(), stderr.getvalue())


def run_process(vault: pathlib.Path, *argv: str, lines: list[str] = (), env_extra=None) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key != "QVAULT_VAULT"}
    env.update(env_extra or {})
    return subprocess.run(
        [sys.executable, "-m", "qvault.cli.main", "--vault", str(vault), *argv],
        input="".join(line + "\n" for line in lines),
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


@pytest.fixture
def vault(tmp_path) -> pathlib.Path:
    path = tmp_path / "test.qvault"
    result = run(path, "init", *KDF_FLOOR, lines=[PASSWORD])
    assert result.code == 0, result.stderr
    return path


def add_login(vault, title="GitHub", password="s3cret pw", extra=()) -> str:
    result = run(vault, "add", "login", "--title", title, "--url", "github.com", "--username", "octo", "--password", *extra, lines=[PASSWORD, password])
    assert result.code == 0, result.stderr
    return result.stdout.strip()


# Subprocess flows


def test_process_main_flow(tmp_path):
    path = tmp_path / "flow.qvault"
    init = run_process(path, "init", "--password-stdin", *KDF_FLOOR, lines=[PASSWORD])
    assert init.returncode == 0, init.stderr
    assert "Recovery code" in init.stdout

    added = run_process(path, "add", "login", "--password-stdin", "--title", "GitHub", "--url", "github.com", "--username", "octo", "--password", lines=[PASSWORD, "hunter2 x"])
    assert added.returncode == 0, added.stderr
    entry_id = added.stdout.strip()

    listed = run_process(path, "list", "--password-stdin", lines=[PASSWORD])
    assert listed.returncode == 0
    assert "GitHub" in listed.stdout
    assert "hunter2" not in listed.stdout

    got = run_process(path, "get", "password", "GitHub", "--password-stdin", lines=[PASSWORD])
    assert got.stdout == "hunter2 x\n"

    edited = run_process(path, "edit", "github", "--password-stdin", "--password", "--username", "octocat", lines=[PASSWORD, "n3w"])
    assert edited.returncode == 0, edited.stderr
    got = run_process(path, "get", "password", entry_id, "--password-stdin", lines=[PASSWORD])
    assert got.stdout == "n3w\n"
    got = run_process(path, "get", "username", entry_id[:8], "--password-stdin", lines=[PASSWORD])
    assert got.stdout == "octocat\n"

    removed = run_process(path, "rm", "GitHub", "--yes", "--password-stdin", lines=[PASSWORD])
    assert removed.returncode == 0, removed.stderr
    listed = run_process(path, "list", "--json", "--password-stdin", lines=[PASSWORD])
    assert json.loads(listed.stdout) == []


def test_process_wrong_password(vault):
    result = run_process(vault, "list", "--password-stdin", lines=["not it"])

    assert result.returncode == 1
    assert result.stderr.startswith("qvault: error: wrong master password\n")
    assert "Traceback" not in result.stderr


def test_process_missing_vault(tmp_path):
    result = run_process(tmp_path / "absent.qvault", "list", "--password-stdin", lines=[PASSWORD])

    assert result.returncode == 1
    assert result.stderr.startswith("qvault: error: ")
    assert "no vault here" in result.stderr
    assert "Traceback" not in result.stderr


def test_vault_option_folder(tmp_path):
    result = run(tmp_path, "list", lines=[PASSWORD])

    assert result.code == 1
    assert "is a folder, not a vault file" in result.stderr
    assert "no vault here" not in result.stderr


class TerminalInput(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_new_secret_mismatch_message(monkeypatch):
    answers = iter(["first", "second"])
    monkeypatch.setattr("getpass.getpass", lambda prompt, stream: next(answers))
    console = Console(TerminalInput(), io.StringIO(), io.StringIO(), lambda: 0.0, password_stdin=False)

    with pytest.raises(PromptError) as raised:
        console.new_secret("New master password: ", "the new master password")

    assert str(raised.value) == "the new master password and its repetition differ; nothing was changed"


def test_list_aligns_titles(vault):
    add_login(vault, "github.com")
    add_login(vault, "GitLab")

    listed = run(vault, "list", lines=[PASSWORD]).stdout.splitlines()

    assert [line.index("octo") for line in listed] == [len("12345678  login     github.com  ")] * 2


def test_process_ambiguous_query(vault):
    first = add_login(vault, "GitHub work")
    second = add_login(vault, "GitHub home")

    result = run_process(vault, "get", "password", "github", "--password-stdin", lines=[PASSWORD])

    assert result.returncode == 1
    assert "2 entries match 'github'" in result.stderr
    assert first in result.stderr
    assert second in result.stderr
    assert result.stdout == ""


def test_process_list_json(vault):
    entry_id = add_login(vault)

    result = run_process(vault, "list", "--json", "--password-stdin", lines=[PASSWORD])

    documents = json.loads(result.stdout)
    assert documents[0]["id"] == entry_id
    assert documents[0]["urls"] == ["https://github.com"]
    assert "password" not in documents[0]


def test_process_no_terminal_without_password_stdin(vault):
    result = run_process(vault, "list")

    assert result.returncode == 1
    assert "pass --password-stdin" in result.stderr


def test_process_default_path_from_environment(vault):
    env = {"QVAULT_VAULT": str(vault)}
    result = subprocess.run(
        [sys.executable, "-m", "qvault.cli.main", "list", "--password-stdin"],
        input=PASSWORD + "\n", capture_output=True, text=True, env={**os.environ, **env}, timeout=120,
    )

    assert result.returncode == 0, result.stderr


# Vault path


def test_vault_path_precedence(tmp_path):
    environ = {"QVAULT_VAULT": str(tmp_path / "env.qvault")}

    assert session.vault_path(str(tmp_path / "opt.qvault"), environ) == tmp_path / "opt.qvault"
    assert session.vault_path(None, environ) == tmp_path / "env.qvault"
    assert session.vault_path(None, {}).name == "vault.qvault"
    assert "qvault" in session.vault_path(None, {}).parent.name


# init, passwd, recover, secret key


def test_init_refuses_existing(vault):
    result = run(vault, "init", *KDF_FLOOR, lines=[PASSWORD])

    assert result.code == 1
    assert "already exists" in result.stderr


def test_init_rejects_weak_kdf(tmp_path):
    result = run(tmp_path / "v.qvault", "init", "--kdf-memory-kib", "1024", lines=[PASSWORD])

    assert result.code == 1
    assert "below the minimum" in result.stderr
    assert not (tmp_path / "v.qvault").exists()


def test_init_short_password_warns(tmp_path):
    result = run(tmp_path / "v.qvault", "init", *KDF_FLOOR, lines=["short"])

    assert result.code == 0
    assert "fewer than 12 characters" in result.stderr


def recovery_code(init_output: str) -> str:
    return init_output.splitlines()[1].strip()


def test_recover_sets_new_password(tmp_path):
    path = tmp_path / "v.qvault"
    code = recovery_code(run(path, "init", *KDF_FLOOR, lines=[PASSWORD]).stdout)

    result = run(path, "recover", lines=[code.lower().replace("-", " "), "brand new password"])

    assert result.code == 0, result.stderr
    assert run(path, "list", lines=[PASSWORD]).code == 1
    assert run(path, "list", lines=["brand new password"]).code == 0


def test_recover_wrong_code(vault):
    result = run(vault, "recover", lines=["AAAA-" * 7 + "AAAA", "x" * 20])

    assert result.code == 1
    assert "wrong recovery code" in result.stderr


def test_passwd_rewraps(vault):
    entry_id = add_login(vault)

    result = run(vault, "passwd", lines=[PASSWORD, "another long password"])

    assert result.code == 0, result.stderr
    assert run(vault, "list", lines=[PASSWORD]).code == 1
    assert run(vault, "get", "password", entry_id, lines=["another long password"]).stdout == "s3cret pw\n"


def test_secret_key_file(tmp_path):
    path = tmp_path / "v.qvault"
    key_file = tmp_path / "secret.key"

    created = run(path, "init", *KDF_FLOOR, "--secret-key-file", str(key_file), lines=[PASSWORD])

    assert created.code == 0, created.stderr
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    without = run(path, "list", lines=[PASSWORD])
    assert without.code == 1
    assert "secret key" in without.stderr
    assert run(path, "--secret-key-file", str(key_file), "list", lines=[PASSWORD]).code == 0


def test_secret_key_file_not_overwritten(tmp_path):
    key_file = tmp_path / "secret.key"
    key_file.write_text("keep me")

    result = run(tmp_path / "v.qvault", "init", *KDF_FLOOR, "--secret-key-file", str(key_file), lines=[PASSWORD])

    assert result.code == 1
    assert key_file.read_text() == "keep me"
    assert not (tmp_path / "v.qvault").exists()


# add, show, get, edit, rm


def test_show_masks_secrets(vault):
    # The TOTP prompt comes after the password prompt.
    result = run(vault, "add", "login", "--title", "Mail", "--password", "--totp", lines=[PASSWORD, "mailpw", RFC_TOTP_SECRET])
    assert result.code == 0, result.stderr
    shown = run(vault, "show", "Mail", lines=[PASSWORD])

    assert "mailpw" not in shown.stdout
    assert "password: ********" in shown.stdout
    assert RFC_TOTP_SECRET not in shown.stdout


def test_show_reveal_and_json(vault):
    add_login(vault)

    revealed = run(vault, "show", "GitHub", "--reveal", lines=[PASSWORD])
    masked = json.loads(run(vault, "show", "GitHub", "--json", lines=[PASSWORD]).stdout)
    unmasked = json.loads(run(vault, "show", "GitHub", "--json", "--reveal", lines=[PASSWORD]).stdout)

    assert "s3cret pw" in revealed.stdout
    assert masked["secret"] == {"password": None}
    assert masked["revealed"] is False
    assert unmasked["secret"] == {"password": "s3cret pw"}


def test_wallet_seed_needs_typed_confirmation(vault):
    added = run(vault, "add", "wallet", "--title", "Cold", "--coin", "BTC", "--derivation-path", "m/84h/0h/0h", "--seed", lines=[PASSWORD, ABANDON.upper()])
    assert added.code == 0, added.stderr

    refused = run(vault, "show", "Cold", "--reveal", lines=[PASSWORD, "yes"])
    shown = run(vault, "show", "Cold", "--reveal", lines=[PASSWORD, "reveal"])
    masked = run(vault, "show", "Cold", lines=[PASSWORD])
    got = run(vault, "get", "seed", "Cold", lines=[PASSWORD, "reveal"])

    assert refused.code == 1
    assert "abandon" not in refused.stdout
    assert "not confirmed" in refused.stderr
    assert ABANDON in shown.stdout
    assert "abandon" not in masked.stdout
    assert "m/84'/0'/0'" in masked.stdout
    assert got.stdout == ABANDON + "\n"


def test_wallet_bad_seed_rejected_before_unlock(vault):
    result = run(vault, "add", "wallet", "--title", "W", "--seed", lines=["wrong password", "abandon " * 11 + "abandn"])

    assert result.code == 1
    assert "word 12 'abandn' is not in any BIP39 wordlist" in result.stderr


@pytest.mark.parametrize(
    "argv,lines,field,expected",
    [
        (["card", "--title", "Visa", "--expiry", "09/27", "--number", "--cvv"], ["4111 1111 1111 1111", "123"], "last4", "1111"),
        (["note", "--title", "Wifi", "--notes"], ["ssid home"], "notes", "ssid home"),
        (["identity", "--name", "Ann Lee", "--email", "ann@example.com"], [], "email", "ann@example.com"),
        (["server", "--host", "db.example.com", "--port", "5432", "--password"], ["dbpw"], "port", "5432"),
        (["key", "--title", "Paper", "--private-key"], ["KwdMAjGmerYanjeui5SHS7JkmpZvVipYvB2LJGU1ZxJwYvP98617"], "key_format", "wif"),
    ],
)
def test_add_other_types(vault, argv, lines, field, expected):
    added = run(vault, "add", *argv, lines=[PASSWORD, *lines])
    assert added.code == 0, added.stderr

    got = run(vault, "get", field, added.stdout.strip(), lines=[PASSWORD])

    assert got.stdout == expected + "\n"


def test_add_generate_password(vault):
    added = run(vault, "add", "login", "--title", "Gen", "--generate", "32", lines=[PASSWORD])

    password = run(vault, "get", "password", "Gen", lines=[PASSWORD]).stdout.strip()
    assert added.code == 0
    assert len(password) == 32
    assert password not in added.stdout + added.stderr


def test_get_totp_code_uses_clock(vault):
    run(vault, "add", "login", "--title", "RFC", "--totp", lines=[PASSWORD, RFC_TOTP_SECRET])

    got = run(vault, "get", "totp", "RFC", lines=[PASSWORD], clock=lambda: 59.0)
    totp = run(vault, "totp", "RFC", lines=[PASSWORD], clock=lambda: 59.0)

    assert got.stdout == "287082\n"
    assert totp.stdout == "287082\n"
    assert "valid for 1 more seconds" in totp.stderr


def test_get_custom_field(vault):
    run(vault, "add", "login", "--title", "Bank", "--field", "branch=042", "--hidden-field", "memorable", lines=[PASSWORD, "blue"])

    assert run(vault, "get", "branch", "Bank", lines=[PASSWORD]).stdout == "042\n"
    assert run(vault, "get", "memorable", "Bank", lines=[PASSWORD]).stdout == "blue\n"


def test_get_missing_field(vault):
    add_login(vault)

    result = run(vault, "get", "pin", "GitHub", lines=[PASSWORD])

    assert result.code == 1
    assert "has no field 'pin'" in result.stderr


def test_get_no_match(vault):
    result = run(vault, "get", "password", "nothing", lines=[PASSWORD])

    assert result.code == 1
    assert "no entry matches 'nothing'" in result.stderr


def test_exact_title_beats_substring(vault):
    add_login(vault, "Git")
    add_login(vault, "GitHub", password="other")

    assert run(vault, "get", "password", "git", lines=[PASSWORD]).stdout == "s3cret pw\n"


def test_edit_clear_and_validation(vault):
    add_login(vault)

    cleared = run(vault, "edit", "GitHub", "--clear", "username", lines=[PASSWORD])
    invalid = run(vault, "edit", "GitHub", "--cvv", lines=[PASSWORD, "123"])
    nothing = run(vault, "edit", "GitHub", lines=[PASSWORD])

    assert cleared.code == 0, cleared.stderr
    assert "username" not in run(vault, "show", "GitHub", lines=[PASSWORD]).stdout
    assert invalid.code == 1
    assert "--cvv does not apply to a login entry" in invalid.stderr
    assert "nothing to change" in nothing.stderr


def test_rm_asks_confirmation(vault):
    add_login(vault)

    declined = run(vault, "rm", "GitHub", lines=[PASSWORD, "n"])
    listed = run(vault, "list", lines=[PASSWORD])
    accepted = run(vault, "rm", "GitHub", lines=[PASSWORD, "y"])

    assert declined.code == 1
    assert "GitHub" in listed.stdout
    assert accepted.code == 0
    assert run(vault, "list", lines=[PASSWORD]).stdout == ""


def test_search_and_filters(vault):
    add_login(vault, "GitHub", extra=("--tag", "work"))
    run(vault, "add", "note", "--title", "Recipes", "--tag", "home", lines=[PASSWORD])

    by_text = run(vault, "search", "octo", "--json", lines=[PASSWORD])
    by_tag = run(vault, "list", "--tag", "home", lines=[PASSWORD])
    by_type = run(vault, "list", "--type", "login", lines=[PASSWORD])

    assert [document["title"] for document in json.loads(by_text.stdout)] == ["GitHub"]
    assert "Recipes" in by_tag.stdout
    assert "GitHub" not in by_tag.stdout
    assert "GitHub" in by_type.stdout
    assert "Recipes" not in by_type.stdout


# generate


def test_generate_password_and_passphrase(tmp_path):
    password = run(tmp_path / "unused", "generate", "--length", "30", "--no-symbols")
    phrase = run(tmp_path / "unused", "generate", "--words", "5", "--separator", " ", "--json")

    assert len(password.stdout.strip()) == 30
    assert password.stdout.strip().isalnum()
    assert "entropy:" in password.stderr
    document = json.loads(phrase.stdout)
    assert len(document["value"].split(" ")) == 5
    assert document["entropy_bits"] == pytest.approx(64.62, abs=0.01)


def test_generate_rejects_bad_length(tmp_path):
    result = run(tmp_path / "unused", "generate", "--length", "2")

    assert result.code == 1
    assert result.stderr.startswith("qvault: error: password length 2 is outside")


# backup, verify


def test_backup_and_verify(vault, tmp_path):
    entry_id = add_login(vault)
    copy = tmp_path / "backup.qvault"

    backed_up = run(vault, "backup", str(copy))
    verified = run(copy, "verify", lines=[PASSWORD])

    assert backed_up.code == 0, backed_up.stderr
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600
    assert verified.code == 0, verified.stderr
    assert verified.stdout.startswith("ok: 1 entry decrypted")
    assert run(copy, "get", "password", entry_id, lines=[PASSWORD]).stdout == "s3cret pw\n"
    again = run(vault, "backup", str(copy))
    assert again.code == 1
    assert "--force" in again.stderr


def test_verify_detects_tampering(vault):
    entry_id = add_login(vault)
    with sqlite3.connect(vault) as connection:
        ciphertext = connection.execute("SELECT secret_ct FROM entries WHERE id = ?", (entry_id,)).fetchone()[0]
        flipped = bytes([ciphertext[0] ^ 1]) + ciphertext[1:]
        connection.execute("UPDATE entries SET secret_ct = ? WHERE id = ?", (flipped, entry_id))
    connection.close()

    result = run(vault, "verify", lines=[PASSWORD])

    assert result.code == 1
    assert "qvault: error" in result.stderr
    assert result.stderr.count(entry_id) == 1
    assert "1 of 1 entry failed to decrypt" in result.stderr


# copy


def test_copy_without_clipboard(vault, monkeypatch):
    add_login(vault)
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)

    result = run(vault, "copy", "password", "GitHub", lines=[PASSWORD])

    assert result.code == 1
    assert "no graphical session" in result.stderr


def test_copy_refuses_seed(vault):
    result = run(vault, "copy", "seed", "anything", lines=[PASSWORD])

    assert result.code == 1
    assert "never copied" in result.stderr


@pytest.fixture
def fake_xsel(tmp_path, monkeypatch) -> pathlib.Path:
    """An xsel stand-in that keeps the clipboard in a file."""
    store = tmp_path / "clipboard.txt"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "xsel"
    script.write_text(
        "#!/bin/sh\n"
        f'store="{store}"\n'
        'case "$2" in\n'
        '  --input) cat > "$store" ;;\n'
        '  --output) cat "$store" 2>/dev/null ;;\n'
        '  --clear) : > "$store" ;;\n'
        "esac\n"
    )
    script.chmod(0o755)
    monkeypatch.setenv("DISPLAY", ":99")
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setattr(clipboard.shutil, "which", lambda name, path=None: str(script) if name == "xsel" else None)
    return store


def test_copy_with_clipboard_tool(vault, fake_xsel):
    add_login(vault)

    result = run(vault, "copy", "password", "GitHub", "--clear-after", "0", lines=[PASSWORD])

    assert result.code == 0, result.stderr
    assert fake_xsel.read_text() == "s3cret pw"
    assert "s3cret pw" not in result.stdout + result.stderr


def test_clipboard_cleared_only_if_unchanged(fake_xsel):
    import hashlib

    fake_xsel.write_text("s3cret pw")
    other = hashlib.sha256(b"something else").hexdigest()
    same = hashlib.sha256(b"s3cret pw").hexdigest()

    assert clipboard.clear_if_unchanged("xsel", 0, other) is False
    assert fake_xsel.read_text() == "s3cret pw"
    assert clipboard.clear_if_unchanged("xsel", 0, same) is True
    assert fake_xsel.read_text() == ""


# errors


def test_usage_error_exit_2(tmp_path):
    result = run(tmp_path / "v", "add", "bank")

    assert result.code == 2
    assert "invalid choice" in result.stderr


def test_keyboard_interrupt_exit_130(vault):
    class InterruptingInput(io.StringIO):
        def readline(self, *args):
            raise KeyboardInterrupt

    stderr = io.StringIO()
    code = main(["--vault", str(vault), "--password-stdin", "list"], stdin=InterruptingInput(), stdout=io.StringIO(), stderr=stderr)

    assert code == 130
    assert stderr.getvalue() == ""


def test_stdin_ends_early(vault):
    result = run(vault, "add", "login", "--title", "x", "--password", lines=[PASSWORD])

    assert result.code == 1
    assert "standard input ended" in result.stderr
