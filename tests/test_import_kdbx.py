"""KeePass KDBX importer, on databases created at test time with pykeepass."""

import os

import pytest
from conftest import skip_or_fail

from qvault import importers
from qvault.importers import detect, engine
from qvault.importers.records import ReadOptions, SourceError

try:
    import pykeepass
except ImportError:
    pykeepass = None

KDBX_PASSWORD = "kdbx pässword"


def build_database(path, version: int = 4):
    """Create a KDBX file with groups, tags, TOTP, custom fields and a recycled entry."""
    database = pykeepass.create_database(str(path), password=KDBX_PASSWORD)
    # pykeepass's template uses Argon2 with 64 MiB and 14 passes, which makes each open take seconds.
    kdf = database.kdbx.header.value.dynamic_header.kdf_parameters.data.dict
    kdf.I.value, kdf.M.value = 1, 1024 * 1024
    email = database.add_group(database.root_group, "Email")
    work = database.add_group(email, "Work")
    entry = database.add_entry(
        work, "Work mail 📧", "ana@work.example", "w0rk, \"pass\"", url="https://mail.work.example",
        notes="line 1\nline 2", tags=["Important", "Mail"], otp="otpauth://totp/Work:ana?secret=JBSWY3DPEHPK3PXP&issuer=Work",
    )
    entry.set_custom_property("Recovery code", "R-123", protect=True)
    entry.set_custom_property("Department", "Finance")
    entry.set_custom_property("KP2A_URL_1", "https://webmail.work.example")
    legacy = database.add_entry(database.root_group, "Legacy OTP", "bob", "pw")
    legacy.set_custom_property("TimeOtp-Secret-Base32", "JBSWY3DPEHPK3PXP")
    legacy.set_custom_property("TimeOtp-Algorithm", "HMAC-SHA-256")
    legacy.set_custom_property("TimeOtp-Length", "8")
    database.add_entry(database.root_group, "", "", "", url="https://untitled.example")
    trashed = database.add_entry(database.root_group, "Trashed", "carol", "gone")
    database.trash_entry(trashed)
    database.save()
    if version == 3:
        _convert_to_kdbx3(database, path)
    return path


def _convert_to_kdbx3(database, path):
    """Rewrite the header as KDBX 3.1 (AES-KDF, Salsa20 stream) and save again.

    pykeepass writes whatever header version it holds; it has no public switch, so
    this replaces the parsed header's fields with those KDBX 3.1 requires.
    """
    from construct import Container

    header = database.kdbx.header.value
    old = header.dynamic_header

    def item(name, data):
        return Container(id=name, data=data)

    header.dynamic_header = Container(
        cipher_id=item("cipher_id", old.cipher_id.data),
        compression_flags=item("compression_flags", old.compression_flags.data),
        master_seed=item("master_seed", os.urandom(32)),
        transform_seed=item("transform_seed", os.urandom(32)),
        transform_rounds=item("transform_rounds", 6000),
        encryption_iv=item("encryption_iv", os.urandom(16)),
        protected_stream_key=item("protected_stream_key", os.urandom(32)),
        stream_start_bytes=item("stream_start_bytes", os.urandom(32)),
        protected_stream_id=item("protected_stream_id", "salsa20"),
        end=item("end", b"\r\n\r\n"),
    )
    header.major_version, header.minor_version = 3, 1
    database.kdbx.header = Container(value=header)
    database.save(str(path))


def read(path, password=KDBX_PASSWORD):
    options = ReadOptions(ask_password=lambda prompt, what: password)
    parsed = importers.read_source("kdbx", path, options)
    planned, report = engine.plan(parsed, [])
    return {item.metadata["title"]: item for item in planned}, report, parsed


@pytest.fixture(scope="module", params=[4, 3], ids=["kdbx4", "kdbx3"])
def database_path(request, tmp_path_factory):
    if pykeepass is None:
        skip_or_fail("pykeepass is not installed (pip install pykeepass)")
    path = build_database(tmp_path_factory.mktemp("kdbx") / f"test{request.param}.kdbx", request.param)
    version = pykeepass.PyKeePass(str(path), password=KDBX_PASSWORD).version
    if version[0] != request.param:
        skip_or_fail(f"pykeepass wrote KDBX {version}, not KDBX {request.param}")
    return path


def test_kdbx_login_fields(database_path):
    entries, report, parsed = read(database_path)
    login = entries["Work mail 📧"]
    assert login.metadata["urls"] == ["https://mail.work.example", "https://webmail.work.example"]
    assert login.metadata["username"] == "ana@work.example"
    assert login.metadata["tags"] == ["important", "mail", "email/work"]
    assert login.metadata["fields"] == [{"name": "Department", "value": "Finance"}]
    assert login.secret["hidden_fields"] == [{"name": "Recovery code", "value": "R-123"}]
    assert login.secret["password"] == 'w0rk, "pass"'
    assert login.secret["notes"] == "line 1\nline 2"
    assert "issuer=Work" in login.secret["totp"]


def test_kdbx_version_notice(database_path):
    _, _, parsed = read(database_path)
    assert any(notice.startswith("opened KDBX") for notice in parsed.notices)
    assert "left out 1 entry in the recycle bin" in parsed.notices


def test_kdbx_timeotp_fields(database_path):
    entries, _, _ = read(database_path)
    totp = entries["Legacy OTP"].secret["totp"]
    assert "algorithm=SHA256" in totp
    assert "digits=8" in totp
    assert "fields" not in entries["Legacy OTP"].metadata


def test_kdbx_untitled_uses_host(database_path):
    entries, _, _ = read(database_path)
    assert "untitled.example" in entries
    assert "Trashed" not in entries


def test_kdbx_wrong_password(database_path):
    with pytest.raises(SourceError, match="wrong password or key file"):
        read(database_path, password="nope")


def test_kdbx_detected(database_path):
    assert detect.detect(database_path) == "kdbx"


def test_kdbx_not_a_database(tmp_path):
    path = tmp_path / "fake.kdbx"
    path.write_bytes(bytes.fromhex("03d9a29a67fb4bb5") + b"\x00" * 40)
    with pytest.raises(SourceError, match="not a KDBX"):
        read(path)
