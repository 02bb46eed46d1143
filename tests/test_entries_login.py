"""Login entries: URLs, custom fields, TOTP, the metadata and secret split."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qvault.entries import build_entry, merged_fields
from qvault.errors import EntryValidationError


def test_login_split():
    metadata, secret = build_entry(
        "login",
        {
            "title": " GitHub ",
            "urls": ["github.com", "https://gist.github.com/"],
            "username": "octo",
            "password": " pa ss ",
            "totp": "jbswy3dpehpk3pxp",
            "notes": "line one\r\nline two\n",
            "tags": ["#Work", "work", "Code"],
            "fields": [{"name": "account", "value": "42"}],
            "hidden_fields": {"recovery": "alpha beta"},
        },
    )

    assert metadata == {
        "type": "login",
        "title": "GitHub",
        "urls": ["https://github.com", "https://gist.github.com/"],
        "username": "octo",
        "tags": ["work", "code"],
        "fields": [{"name": "account", "value": "42"}],
    }
    assert secret["password"] == " pa ss "
    assert secret["totp"].startswith("otpauth://totp/?secret=JBSWY3DPEHPK3PXP")
    assert secret["notes"] == "line one\nline two"
    assert secret["hidden_fields"] == [{"name": "recovery", "value": "alpha beta"}]


def test_title_from_first_url():
    metadata, _ = build_entry("login", {"urls": ["https://accounts.example.org/login"]})

    assert metadata["title"] == "accounts.example.org"


def test_title_required_without_url():
    with pytest.raises(EntryValidationError, match="field 'title' is required"):
        build_entry("login", {"username": "x"})


def test_unknown_field_rejected():
    with pytest.raises(EntryValidationError, match="field 'cvv' does not apply to a login entry"):
        build_entry("login", {"title": "x", "cvv": "123"})


def test_url_with_space_rejected():
    with pytest.raises(EntryValidationError, match="contains whitespace"):
        build_entry("login", {"title": "x", "urls": ["exa mple.com"]})


def test_url_bad_port_rejected():
    with pytest.raises(EntryValidationError, match="is invalid"):
        build_entry("login", {"title": "x", "urls": ["https://example.com:99999/"]})


def test_control_character_rejected():
    with pytest.raises(EntryValidationError, match="control character U\\+0007 at position 2"):
        build_entry("login", {"title": "a\x07b"})


def test_password_control_character_not_echoed():
    with pytest.raises(EntryValidationError, match="field 'password' contains control character") as raised:
        build_entry("login", {"title": "x", "password": "hunter2\n"})
    assert "hunter2" not in str(raised.value)


def test_duplicate_custom_field_rejected():
    with pytest.raises(EntryValidationError, match="'PIN' appears twice"):
        build_entry("login", {"title": "x", "fields": [{"name": "pin", "value": "1"}, {"name": "PIN", "value": "2"}]})


def test_bad_totp_rejected():
    with pytest.raises(EntryValidationError, match="field 'totp'"):
        build_entry("login", {"title": "x", "totp": "otpauth://hotp/x?secret=JBSWY3DPEHPK3PXP"})


def test_type_mismatch_rejected():
    with pytest.raises(EntryValidationError, match="field 'type' is 'card'"):
        build_entry("login", {"type": "card", "title": "x"})


def test_unknown_type_rejected():
    with pytest.raises(EntryValidationError, match="entry type 'bank' is unknown"):
        build_entry("bank", {"title": "x"})


_text = st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=40).filter(str.strip)


@settings(max_examples=100, deadline=None)
@given(
    title=_text,
    username=st.one_of(st.none(), _text),
    password=st.one_of(st.none(), _text),
    tags=st.lists(_text, max_size=4),
    hosts=st.lists(st.from_regex(r"[a-z][a-z0-9]{0,10}\.(com|org|io)", fullmatch=True), max_size=3),
)
def test_build_is_idempotent(title, username, password, tags, hosts):
    fields = {"title": title, "username": username, "password": password, "tags": tags, "urls": hosts}

    metadata, secret = build_entry("login", fields)

    assert build_entry("login", merged_fields(metadata, secret)) == (metadata, secret)
