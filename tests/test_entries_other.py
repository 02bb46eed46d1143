"""Secure note, identity and server entries."""

import pytest

from qvault.entries import build_entry, merged_fields
from qvault.errors import EntryValidationError


def test_note_split():
    metadata, secret = build_entry("note", {"title": "Wi-Fi", "notes": "ssid: home\npass: x", "tags": ["home"]})

    assert metadata == {"type": "note", "title": "Wi-Fi", "tags": ["home"]}
    assert secret == {"notes": "ssid: home\npass: x"}


def test_notes_length_limit():
    with pytest.raises(EntryValidationError, match="the maximum is 65536"):
        build_entry("note", {"title": "x", "notes": "a" * 65_537})


def test_identity_split():
    metadata, secret = build_entry(
        "identity",
        {"name": "Ann Lee", "email": "ann@example.com", "phone": "+44 20 7946 0000", "birth_date": "1990-02-03", "passport": "X123"},
    )

    assert metadata == {"type": "identity", "title": "Ann Lee", "name": "Ann Lee", "email": "ann@example.com"}
    assert secret == {"phone": "+44 20 7946 0000", "birth_date": "1990-02-03", "passport": "X123"}


def test_identity_bad_email():
    with pytest.raises(EntryValidationError, match="'ann.example.com' is not an e-mail address"):
        build_entry("identity", {"title": "x", "email": "ann.example.com"})


def test_identity_bad_date():
    with pytest.raises(EntryValidationError, match="expected a date as YYYY-MM-DD"):
        build_entry("identity", {"title": "x", "birth_date": "03/02/1990"})


def test_server_split():
    metadata, secret = build_entry(
        "server", {"host": "DB.Example.com.", "port": "5432", "protocol": "PostgreSQL", "username": "app", "password": "pw", "ssh_key": "-----BEGIN KEY-----\nabc\n"}
    )

    assert metadata == {"type": "server", "title": "db.example.com", "host": "db.example.com", "port": 5432, "protocol": "postgresql", "username": "app"}
    assert secret == {"password": "pw", "ssh_key": "-----BEGIN KEY-----\nabc"}
    assert build_entry("server", merged_fields(metadata, secret)) == (metadata, secret)


@pytest.mark.parametrize("host", ["127.0.0.1", "[::1]", "bücher.example"])
def test_server_hosts_accepted(host):
    metadata, _ = build_entry("server", {"title": "x", "host": host})

    assert metadata["host"]


@pytest.mark.parametrize(
    "fields,phrase",
    [
        ({"host": "bad host"}, "'bad host' is not a host name"),
        ({"host": "-x.com"}, "is not a host name"),
        ({"port": "0"}, "0 is outside 1..65535"),
        ({"port": "ssh"}, "'ssh' is not a number"),
        ({"protocol": "gopher"}, "'gopher' is not one of"),
    ],
)
def test_server_rejected(fields, phrase):
    with pytest.raises(EntryValidationError, match=phrase):
        build_entry("server", {"title": "x", **fields})
