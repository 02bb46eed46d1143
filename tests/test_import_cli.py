"""`qvault import` end to end: prompts, auto detection, dry run, strict, duplicates, one batch."""

import io
import json

import pytest
from import_helpers import DATA, new_vault, open_entries, run
from vault_helpers import PASSWORD

from qvault.importers.progress import PROGRESS_MIN_ITEMS, progress_bar
from qvault.vault import Vault


def test_import_chrome(tmp_path):
    vault = new_vault(tmp_path)
    result = run(vault, "import", "chrome", str(DATA / "chrome.csv"))
    assert result.status == 0
    assert "Imported 4 entries from chrome" in result.stdout
    assert "line 7: the record has 3 values" in result.stdout
    assert "line 10: login 'example.com' duplicates line 2" in result.stdout
    assert "1 record(s) were not imported" in result.stderr
    entries = open_entries(vault)
    assert sorted(entries) == ["Bänk 🏦", "example.com", "nameless.example", "no url"]
    assert entries["example.com"][1]["password"] == 'pa,ss"word'


def test_import_auto_notice(tmp_path):
    vault = new_vault(tmp_path)
    result = run(vault, "import", "auto", str(DATA / "lastpass.csv"))
    assert result.status == 0
    assert "detected format lastpass" in result.stderr
    assert "Imported 5 entries from lastpass" in result.stdout


def test_import_dry_run(tmp_path):
    vault = new_vault(tmp_path)
    result = run(vault, "import", "firefox", str(DATA / "firefox.csv"), "--dry-run")
    assert result.status == 0
    assert "Would import 3 entries" in result.stdout
    assert open_entries(vault) == {}


def test_import_strict_writes_nothing(tmp_path):
    vault = new_vault(tmp_path)
    result = run(vault, "import", "safari", str(DATA / "safari.csv"), "--strict")
    assert result.status == 1
    assert "--strict is set; nothing was written" in result.stderr
    assert "line 5:" in result.stdout
    assert open_entries(vault) == {}


def test_import_one_batch(tmp_path):
    vault = new_vault(tmp_path)
    with Vault.open(vault) as opened:
        opened.unlock(PASSWORD)
        before = opened.counter
    run(vault, "import", "keepassxc", str(DATA / "keepassxc.csv"))
    with Vault.open(vault) as opened:
        opened.unlock(PASSWORD)
        assert opened.counter == before + 1
        assert len(opened.entries()) == 3


def test_import_twice_skips_duplicates(tmp_path):
    vault = new_vault(tmp_path)
    run(vault, "import", "1password", str(DATA / "1password.csv"))
    again = run(vault, "import", "1password", str(DATA / "1password.csv"))
    assert "Imported 0 entries" in again.stdout
    assert "Skipped 3 duplicate(s)" in again.stdout
    allowed = run(vault, "import", "1password", str(DATA / "1password.csv"), "--allow-duplicates")
    assert "Imported 3 entries" in allowed.stdout
    assert len(open_entries(vault)) == 3  # titles repeat, so the dict keeps 3 keys


def test_import_json_report(tmp_path):
    vault = new_vault(tmp_path)
    result = run(vault, "import", "bitwarden-json", str(DATA / "bitwarden.json"), "--json")
    report = json.loads(result.stdout)
    assert report["counts"] == {"card": 1, "identity": 1, "login": 1, "note": 1, "server": 1}
    assert [problem["location"] for problem in report["problems"]] == ["item 6 (Mistyped card)", "item 7 (Future type)"]
    assert report["written"] is True


def test_import_missing_file(tmp_path):
    vault = new_vault(tmp_path)
    result = run(vault, "import", "chrome", str(tmp_path / "nope.csv"))
    assert result.status == 1
    assert "nope.csv: file not found" in result.stderr


def test_import_wrong_format(tmp_path):
    vault = new_vault(tmp_path)
    result = run(vault, "import", "firefox", str(DATA / "chrome.csv"))
    assert result.status == 1
    assert "not a Firefox CSV export: missing column(s)" in result.stderr


def test_import_header_quote_hides_password(tmp_path):
    vault = new_vault(tmp_path)
    source = tmp_path / "badq.csv"
    source.write_text('name,url,"username,password,note\nA,https://a.example,u,hunter2-secret,\n')
    result = run(vault, "import", "chrome", str(source))
    assert result.status == 1
    assert "badq.csv line 1: invalid CSV header" in result.stderr
    assert "hunter2-secret" not in result.stderr
    assert open_entries(vault) == {}


def test_import_report_singular(tmp_path):
    vault = new_vault(tmp_path)
    source = tmp_path / "one.csv"
    source.write_text("name,url,username,password\nA,https://a.example,u,p\n")
    result = run(vault, "import", "chrome", str(source))
    assert result.status == 0, result.stderr
    assert "Imported 1 entry from chrome" in result.stdout


def test_import_report_hides_passwords(tmp_path):
    vault = new_vault(tmp_path)
    result = run(vault, "import", "chrome", str(DATA / "chrome.csv"))
    for secret in ("pa,ss", "s3cret", "hunter2", "pw-carol"):
        assert secret not in result.stdout
        assert secret not in result.stderr


def test_import_no_bar_when_piped(tmp_path):
    rows = "".join(f"site{number},https://site{number}.example/,user,pw{number}\n" for number in range(400))
    source = tmp_path / "many.csv"
    source.write_text("name,url,username,password\n" + rows)
    vault = new_vault(tmp_path)
    result = run(vault, "import", "chrome", str(source))
    assert "Imported 400 entries" in result.stdout
    assert "\x1b[" not in result.stderr
    assert len(open_entries(vault)) == 400


def test_replace_needs_qvault_format(tmp_path):
    vault = new_vault(tmp_path)
    result = run(vault, "import", "chrome", str(DATA / "chrome.csv"), "--replace")
    assert result.status == 1
    assert "--replace applies only to the qvault format" in result.stderr


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_threshold():
    pytest.importorskip("rich")
    with progress_bar(FakeTerminal(), PROGRESS_MIN_ITEMS - 1, "importing") as bar:
        assert type(bar).__name__ == "_NoBar"
    with progress_bar(io.StringIO(), PROGRESS_MIN_ITEMS, "importing") as bar:
        assert type(bar).__name__ == "_NoBar"
    terminal = FakeTerminal()
    with progress_bar(terminal, PROGRESS_MIN_ITEMS, "importing") as bar:
        assert type(bar).__name__ == "_RichBar"
        bar.advance(PROGRESS_MIN_ITEMS)
