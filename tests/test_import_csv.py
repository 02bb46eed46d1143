"""CSV importers: column mapping, RFC 4180 quoting, line numbers, encodings."""

import pathlib

import pytest
from import_helpers import DATA

from qvault import importers
from qvault.importers import csvread, detect, engine
from qvault.importers.records import ReadOptions, SourceError


def plan(format_name: str, path: pathlib.Path, **options):
    parsed = importers.read_source(format_name, path, ReadOptions(**options))
    planned, report = engine.plan(parsed, [])
    return {item.metadata["title"]: item for item in planned}, report, parsed


def locations(items) -> list[str]:
    return [item.location for item in items]


def test_chrome_quoted_fields():
    entries, report, _ = plan("chrome", DATA / "chrome.csv")
    assert entries["example.com"].secret["password"] == 'pa,ss"word'
    assert entries["Bänk 🏦"].secret["notes"] == 'line one\nline two, with comma\nline "three"'
    assert entries["Bänk 🏦"].metadata["urls"] == ["https://bank.example/"]


def test_chrome_title_fallbacks():
    entries, _, _ = plan("chrome", DATA / "chrome.csv")
    assert "nameless.example" in entries
    assert entries["no url"].metadata["username"] == "carol"


def test_chrome_line_numbers():
    _, report, _ = plan("chrome", DATA / "chrome.csv")
    # The note on line 3 spans three physical lines, so the short row starts on line 7.
    assert locations(report.problems) == ["line 7"]
    assert "3 values but the header has 5" in report.problems[0].reason
    assert locations(report.duplicates) == ["line 10"]
    assert "duplicates line 2" in report.duplicates[0].reason


def test_chrome_counts():
    _, report, _ = plan("chrome", DATA / "chrome.csv")
    assert dict(report.counts) == {"login": 4}


def test_firefox_fields():
    entries, report, _ = plan("firefox", DATA / "firefox.csv")
    assert sorted(entries) == ["accounts.example.org", "intranet.example.org", "shop.example.org"]
    assert entries["intranet.example.org"].metadata["fields"] == [{"name": "HTTP realm", "value": "Staff Only"}]
    assert entries["shop.example.org"].metadata["fields"] == [{"name": "Form action origin", "value": "https://pay.example.net"}]
    assert "fields" not in entries["accounts.example.org"].metadata
    assert not report.problems


def test_safari_totp_parsed():
    entries, _, _ = plan("safari", DATA / "safari.csv")
    uri = entries["GitHub (ana)"].secret["totp"]
    assert "algorithm=SHA256" in uri
    assert "digits=8" in uri
    assert "period=60" in uri
    assert "secret=JBSWY3DPEHPK3PXP" in uri


def test_safari_invalid_totp_reported():
    entries, report, _ = plan("safari", DATA / "safari.csv")
    assert "Broken 2FA" not in entries
    assert locations(report.problems) == ["line 5"]
    assert "not Base32" in report.problems[0].reason


def test_bitwarden_csv_mapping():
    entries, report, _ = plan("bitwarden", DATA / "bitwarden.csv")
    twitter = entries["Twitter"]
    assert twitter.metadata["urls"] == ["https://twitter.com", "https://x.com"]
    assert twitter.metadata["tags"] == ["social"]
    assert twitter.metadata["fields"] == [{"name": "recovery email", "value": "ana@example.com"}, {"name": "PIN", "value": "1234"}]
    assert twitter.secret["totp"].startswith("otpauth://totp/")
    assert entries["Wi-Fi at home"].metadata["type"] == "note"
    assert entries["Wi-Fi at home"].secret["notes"] == 'SSID: home 📶\nkey: "correct horse"'
    assert entries["Jira"].secret["password"] == "j,ira"


def test_bitwarden_csv_card_rejected():
    _, report, _ = plan("bitwarden", DATA / "bitwarden.csv")
    assert locations(report.problems) == ["line 8"]
    assert "type 'card' is not supported" in report.problems[0].reason


def test_lastpass_types():
    entries, report, _ = plan("lastpass", DATA / "lastpass.csv")
    assert entries["Example"].metadata["tags"] == ["personal/web"]
    assert entries["Example"].secret["notes"] == "some, notes"
    assert entries["Door codes"].secret["notes"] == "My secret note\nsecond line"
    card = entries["Visa backup"]
    assert card.metadata["type"] == "card"
    assert card.secret["expiry"] == "09/2027"
    assert card.secret["cvv"] == "123"
    assert card.secret["notes"].startswith("Backup card\nkept at home")
    assert "Start Date: January,2020" in card.secret["notes"]
    assert entries["Database"].metadata == {
        "type": "server",
        "title": "Database",
        "host": "db.example.com",
        "username": "admin",
    }
    assert "Account Number:12345678" in entries["Checking"].secret["notes"]
    assert not report.problems


def test_onepassword_csv_tags():
    entries, _, _ = plan("1password", DATA / "1password.csv")
    assert entries["Dropbox"].metadata["tags"] == ["cloud", "work"]
    assert entries["Old forum"].metadata["tags"] == ["archived"]
    assert entries['Emoji 🎉 "quoted"'].secret["notes"] == "note with, comma"


def test_keepassxc_groups():
    entries, _, _ = plan("keepassxc", DATA / "keepassxc.csv")
    assert "tags" not in entries["Router"].metadata
    assert entries["Work mail"].metadata["tags"] == ["email/work"]
    assert entries["Work mail"].secret["notes"] == "Line 1\nLine 2"
    assert entries["Bank"].metadata["urls"] == ["https://bank.example"]


def test_bom_stripped():
    entries, _, parsed = plan("chrome", DATA / "chrome-bom.csv")
    assert list(entries) == ["Café"]
    assert parsed.notices == []


def test_cp1252_fallback_notice():
    entries, _, parsed = plan("chrome", DATA / "chrome-cp1252.csv")
    assert entries["Café"].metadata["username"] == "zoë"
    assert entries["Café"].secret["notes"] == "€ 5"
    assert len(parsed.notices) == 1
    assert "read it as cp1252" in parsed.notices[0]


def test_explicit_encoding(tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes("name,url,username,password\nÅse,https://a.example/,åse,pw\n".encode("iso-8859-1"))
    entries, _, parsed = plan("chrome", path, encoding="iso-8859-1")
    assert entries["Åse"].metadata["username"] == "åse"
    assert parsed.notices == []


def test_unknown_encoding_rejected(tmp_path):
    with pytest.raises(SourceError, match="unknown encoding"):
        plan("chrome", DATA / "chrome.csv", encoding="no-such-codec")


def test_undecodable_file_rejected(tmp_path):
    path = tmp_path / "binary.csv"
    # 0x81 is undefined in cp1252 and invalid as a UTF-8 start byte.
    path.write_bytes(b"name,url,username,password\n\x81,x,y,z\n")
    with pytest.raises(SourceError, match="neither UTF-8"):
        plan("chrome", path)


def test_missing_columns_rejected():
    with pytest.raises(SourceError, match="missing column") as raised:
        plan("firefox", DATA / "chrome.csv")
    assert "header on line 1 has 5 columns, including password, url, username" in str(raised.value)


def test_header_stray_quote_rejected(tmp_path):
    path = tmp_path / "quote.csv"
    path.write_text('name,url,"username,password,note\nA,https://a.example,u,hunter2-secret,\n')
    with pytest.raises(SourceError, match="line 1: invalid CSV header: a quote") as raised:
        plan("chrome", path)
    assert "hunter2-secret" not in str(raised.value)
    assert "missing column" not in str(raised.value)


def test_header_line_after_blank_lines(tmp_path):
    path = tmp_path / "quote.csv"
    path.write_text('\n\nname,"url,username,password\nA,https://a.example,u,hunter2-secret\n')
    with pytest.raises(SourceError, match="line 3: invalid CSV header"):
        plan("chrome", path)


def test_headerless_file_hides_values(tmp_path):
    path = tmp_path / "noheader.csv"
    path.write_text("GitHub,https://github.com,ann,hunter2-secret\n")
    with pytest.raises(SourceError, match="missing column") as raised:
        plan("chrome", path)
    assert "hunter2-secret" not in str(raised.value)
    assert "none of them a Chrome column" in str(raised.value)


def test_empty_file_rejected(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("")
    with pytest.raises(SourceError, match="empty"):
        plan("chrome", path)


def test_long_note_kept(tmp_path):
    note = ("🔐 long note line, with comma and \"quotes\"\n" * 1500).strip()
    assert 60_000 < len(note) < 65_536
    path = tmp_path / "long.csv"
    escaped = note.replace('"', '""')
    path.write_text(f'name,url,username,password,note\nLong,https://l.example/,u,p,"{escaped}"\n', encoding="utf-8")
    entries, report, _ = plan("chrome", path)
    assert entries["Long"].secret["notes"] == note
    assert not report.problems


def test_oversized_note_reported(tmp_path):
    path = tmp_path / "huge.csv"
    # Longer than csv's default 128 KiB field limit and the 64 Ki-character notes cap.
    path.write_text(f"name,url,username,password,note\nHuge,https://h.example/,u,p,{'x' * 200_000}\nSmall,https://s.example/,u,p,ok\n")
    entries, report, _ = plan("chrome", path)
    assert list(entries) == ["Small"]
    assert locations(report.problems) == ["line 2"]
    assert "maximum is 65536" in report.problems[0].reason


def test_invalid_url_kept_as_field(tmp_path):
    path = tmp_path / "url.csv"
    path.write_text("name,url,username,password\nOdd,not a url,u,p\n")
    entries, report, _ = plan("chrome", path)
    assert entries["Odd"].metadata["fields"] == [{"name": "URL", "value": "not a url"}]
    assert "contains whitespace" in report.warnings[0].reason


def test_steam_totp_kept_hidden(tmp_path):
    path = tmp_path / "steam.csv"
    path.write_text("folder,favorite,type,name,notes,fields,reprompt,login_uri,login_username,login_password,login_totp\n,,login,Steam,,,0,https://store.steampowered.com,gamer,pw,steam://ABCDEFGHIJ\n")
    entries, report, _ = plan("bitwarden", path)
    assert entries["Steam"].secret["hidden_fields"] == [{"name": "Steam TOTP", "value": "steam://ABCDEFGHIJ"}]
    assert "totp" not in entries["Steam"].secret
    assert "Steam Guard" in report.warnings[0].reason


def test_password_spaces_kept(tmp_path):
    path = tmp_path / "spaces.csv"
    path.write_text("name,url,username,password\nS,https://s.example/,u, pass word \n")
    entries, _, _ = plan("chrome", path)
    assert entries["S"].secret["password"] == " pass word "


def test_unterminated_quote_reported(tmp_path):
    path = tmp_path / "open.csv"
    path.write_text('name,url,username,password\nA,https://a.example/,u,p\nB,https://b.example/,u,"open\nC,https://c.example/,u,p\n')
    entries, report, _ = plan("chrome", path)
    # The open quote swallows the rest of the file into one field, so the record is short.
    assert list(entries) == ["A"]
    assert locations(report.problems) == ["line 3"]


def test_nul_byte_reported(tmp_path):
    path = tmp_path / "nul.csv"
    path.write_bytes(b"name,url,username,password\nA,https://a.example/,u,p\x00\nB,https://b.example/,u,p\n")
    entries, report, _ = plan("chrome", path)
    assert list(entries) == ["B"]
    assert locations(report.problems) == ["line 2"]
    assert "control character U+0000" in report.problems[0].reason


@pytest.mark.parametrize(
    "name, expected",
    [
        ("chrome.csv", "chrome"),
        ("firefox.csv", "firefox"),
        ("safari.csv", "safari"),
        ("bitwarden.csv", "bitwarden"),
        ("lastpass.csv", "lastpass"),
        ("1password.csv", "1password"),
        ("keepassxc.csv", "keepassxc"),
        ("chrome-cp1252.csv", "chrome"),
        ("bitwarden.json", "bitwarden-json"),
    ],
)
def test_detect_format(name, expected):
    assert detect.detect(DATA / name) == expected


def test_detect_unknown_header(tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("a,b,c\n1,2,3\n")
    with pytest.raises(SourceError, match="cannot tell the format"):
        detect.detect(path)


def test_detect_headerless_hides_values(tmp_path):
    path = tmp_path / "noheader.csv"
    path.write_text("GitHub,https://github.com,ann,hunter2-secret\n")
    with pytest.raises(SourceError, match="cannot tell the format") as raised:
        detect.detect(path)
    assert "hunter2-secret" not in str(raised.value)


def test_detect_stray_quote_rejected(tmp_path):
    path = tmp_path / "quote.csv"
    path.write_text('name,url,"username,password,note\nA,https://a.example,u,hunter2-secret,\n')
    with pytest.raises(SourceError, match="line 1: invalid CSV header") as raised:
        detect.detect(path)
    assert "hunter2-secret" not in str(raised.value)


def test_file_size_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(csvread, "FILE_MAX_BYTES", 10)
    with pytest.raises(SourceError, match="the maximum is 10"):
        plan("chrome", DATA / "chrome.csv")
