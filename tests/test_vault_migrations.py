"""Schema migrations: old files are upgraded on open after a backup, newer files are refused."""

import pytest
from vault_helpers import PASSWORD, add_sample_entries, create_vault, execute

from qvault.errors import UnsupportedFormat
from qvault.vault import Vault, container, format, migrations


def downgrade_to_schema_0(path):
    """Rewrite a current vault into schema 0: the layout without entries.seq."""
    execute(path, "DROP INDEX entries_seq")
    execute(path, "ALTER TABLE entries DROP COLUMN seq")
    execute(path, "PRAGMA user_version = 0")


def columns(path, table):
    return [row[1] for row in execute(path, f"PRAGMA table_info({table})")]


@pytest.fixture
def schema0(tmp_path):
    path = tmp_path / "old.qvault"
    vault, _ = create_vault(path)
    expected = add_sample_entries(vault)
    vault.close()
    downgrade_to_schema_0(path)
    return path, expected


def test_schema0_fixture_shape(schema0):
    path, _ = schema0
    assert "seq" not in columns(path, "entries")
    assert execute(path, "PRAGMA user_version") == [(0,)]


def test_open_upgrades_schema0(schema0):
    path, expected = schema0
    vault = Vault.open(path)

    assert execute(path, "PRAGMA user_version") == [(format.SCHEMA_VERSION,)]
    assert "seq" in columns(path, "entries")
    assert execute(path, "SELECT name FROM sqlite_master WHERE type = 'index' AND name = 'entries_seq'") == [("entries_seq",)]
    # Existing rows count as written at the current counter.
    assert {row[0] for row in execute(path, "SELECT seq FROM entries")} == {4}

    vault.unlock(PASSWORD)
    for entry_id, (metadata, secret) in expected.items():
        assert vault.entry(entry_id).metadata == metadata
        assert vault.get_secret(entry_id) == secret


def test_upgraded_vault_writes_and_refreshes(schema0):
    path, expected = schema0
    writer = Vault.open(path)
    writer.unlock(PASSWORD)
    reader = Vault.open(path)
    reader.unlock(PASSWORD)
    entry = writer.add_entry({"title": "after upgrade"}, {"password": "p"})
    assert reader.refresh()
    assert reader.get_secret(entry.id) == {"password": "p"}
    assert len(reader.entries()) == len(expected) + 1


def test_upgrade_writes_backup(schema0):
    path, _ = schema0
    Vault.open(path).close()

    backups = list(path.parent.glob("old.qvault.schema-0-*.backup"))
    assert len(backups) == 1
    assert backups[0].stat().st_mode & 0o777 == 0o600
    assert execute(backups[0], "PRAGMA user_version") == [(0,)]
    assert "seq" not in columns(backups[0], "entries")
    assert execute(backups[0], "SELECT count(*) FROM entries") == [(3,)]
    assert not list(path.parent.glob("*.partial"))


def test_current_vault_not_backed_up(tmp_path):
    vault, _ = create_vault(tmp_path / "v.qvault")
    vault.close()
    Vault.open(tmp_path / "v.qvault").close()
    assert not list(tmp_path.glob("*.backup"))


def test_upgrade_readonly_refused(schema0, monkeypatch):
    # Root may write any file, so the read-only case is simulated at the access check.
    path, _ = schema0
    monkeypatch.setattr(migrations.os, "access", lambda *arguments: False)
    with pytest.raises(UnsupportedFormat, match="open it once with write access"):
        Vault.open(path)
    assert execute(path, "PRAGMA user_version") == [(0,)]


def test_newer_schema_refused(tmp_path):
    vault, _ = create_vault(tmp_path / "v.qvault")
    vault.close()
    execute(tmp_path / "v.qvault", f"PRAGMA user_version = {format.SCHEMA_VERSION + 1}")
    with pytest.raises(UnsupportedFormat, match="newer than this Qvault supports .*; upgrade Qvault"):
        Vault.open(tmp_path / "v.qvault")


def test_failed_step_rolls_back(schema0):
    path, _ = schema0

    def half_done(connection):
        connection.execute("ALTER TABLE entries ADD COLUMN half INTEGER")
        raise RuntimeError("step failed midway")

    connection = container.connect(path, create=False)
    with pytest.raises(RuntimeError, match="midway"):
        migrations.upgrade(path, connection, 0, steps={0: ("test step", half_done)})
    connection.close()
    assert execute(path, "PRAGMA user_version") == [(0,)]
    assert "half" not in columns(path, "entries")
    # The real step still applies afterwards.
    Vault.open(path).close()
    assert execute(path, "PRAGMA user_version") == [(1,)]


def test_registered_step_runs(schema0):
    path, _ = schema0

    def add_notes_table(connection):
        connection.execute("CREATE TABLE notes (x)")

    steps = {**migrations.STEPS, 1: ("add a notes table", add_notes_table)}
    connection = container.connect(path, create=False)
    migrations.upgrade(path, connection, 0, target_version=2, steps=steps)
    connection.close()
    assert execute(path, "PRAGMA user_version") == [(2,)]
    assert execute(path, "SELECT name FROM sqlite_master WHERE name = 'notes'") == [("notes",)]
    assert len(list(path.parent.glob("*.backup"))) == 1


def test_missing_step_refused(schema0):
    path, _ = schema0
    connection = container.connect(path, create=False)
    with pytest.raises(UnsupportedFormat, match="no migration from version 1"):
        migrations.upgrade(path, connection, 0, target_version=2)
    connection.close()
    assert execute(path, "PRAGMA user_version") == [(0,)]


def test_concurrent_upgrade_runs_once(schema0):
    # Two openers both saw schema 0; the second finds the step done under the lock.
    path, _ = schema0
    first = container.connect(path, create=False)
    second = container.connect(path, create=False)
    migrations.upgrade(path, first, 0)
    migrations.upgrade(path, second, 0)
    first.close()
    second.close()
    assert execute(path, "PRAGMA user_version") == [(1,)]


def test_register_duplicate_raises():
    with pytest.raises(ValueError, match="already registered"):
        migrations.register(0, "again")(lambda connection: None)


def test_steps_cover_every_version():
    assert sorted(migrations.STEPS) == list(range(format.SCHEMA_VERSION))


def test_step_is_one_transaction(schema0):
    path, _ = schema0
    statements = []
    connection = container.connect(path, create=False)
    connection.set_trace_callback(statements.append)
    migrations.upgrade(path, connection, 0)
    connection.close()
    begin = statements.index("BEGIN IMMEDIATE")
    commit = statements.index("COMMIT")
    assert begin < statements.index("PRAGMA user_version = 1") < commit
