"""A throwaway PostgreSQL 15 server for tests and benchmarks, and the storage fixtures.

PostgreSQLCluster runs initdb and pg_ctl from Debian's postgresql-15 in a fresh
temporary folder and listens on 127.0.0.1 at a free port. PostgreSQL refuses to run
as root, so as root (CI) every command runs as the postgres user through runuser.

Fixtures (import them into a test module):
- postgres_cluster: one server per test session.
- storage_url: parametrised over "sqlite" and "postgresql"; a fresh SQLite file or
  a fresh PostgreSQL database per test.
- storage: that URL opened and migrated.
"""

import atexit
import os
import pathlib
import shutil
import socket
import subprocess
import tempfile
import uuid

import pytest

PG_BIN = pathlib.Path(os.environ.get("QVAULT_PG_BIN", "/usr/lib/postgresql/15/bin"))
START_ATTEMPTS = 3
# Tests trade crash safety for speed; benchmarks keep PostgreSQL's defaults.
FAST_SETTINGS = ("fsync=off", "synchronous_commit=off", "full_page_writes=off")


class PostgresMissing(RuntimeError):
    """PostgreSQL 15's server binaries are not installed."""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PostgresCluster:
    """One PostgreSQL server in a temporary folder; start() then stop()."""

    def __init__(self, durable: bool = False, max_connections: int = 200):
        self.durable = durable
        self.max_connections = max_connections
        self.port = 0
        self.folder: pathlib.Path | None = None
        self._as_root = os.geteuid() == 0

    def _command(self, *argv: str) -> list[str]:
        return ["runuser", "-u", "postgres", "--", *argv] if self._as_root else list(argv)

    def _run(self, *argv: str) -> subprocess.CompletedProcess:
        return subprocess.run(self._command(*argv), capture_output=True, text=True, timeout=120)

    def start(self) -> "PostgresCluster":
        if not (PG_BIN / "initdb").exists():
            raise PostgresMissing(f"PostgreSQL 15 is not installed ({PG_BIN}/initdb is missing; apt-get install postgresql-15)")
        # Directly under the system temp folder: the postgres user cannot enter a
        # root-only pytest folder.
        self.folder = pathlib.Path(tempfile.mkdtemp(prefix="qvault-pg-"))
        if self._as_root:
            shutil.chown(self.folder, "postgres", "postgres")
        data = self.folder / "data"
        initdb = self._run(str(PG_BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync")
        if initdb.returncode != 0:
            raise RuntimeError(f"initdb failed in {data}: {initdb.stderr.strip()}")

        settings = [f"max_connections={self.max_connections}", "listen_addresses=127.0.0.1"]
        if not self.durable:
            settings.extend(FAST_SETTINGS)
        options = " ".join(f"-c {setting}" for setting in settings)
        for _ in range(START_ATTEMPTS):
            # Another process may take the port between the probe and the start: retry.
            self.port = _free_port()
            started = self._run(
                str(PG_BIN / "pg_ctl"), "-D", str(data), "-o", f"-p {self.port} -k {self.folder} {options}",
                "-l", str(self.folder / "log"), "-w", "start",
            )
            if started.returncode == 0:
                atexit.register(self.stop)
                return self
        log_text = (self.folder / "log").read_text(errors="replace") if (self.folder / "log").exists() else ""
        raise RuntimeError(f"pg_ctl start failed on 127.0.0.1:{self.port}: {started.stderr.strip()} {log_text[-2000:]}")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def execute(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as connection:
            connection.execute(sql)

    def create_database(self) -> str:
        name = "qvault_" + uuid.uuid4().hex[:12]
        self.execute(f"CREATE DATABASE {name}")
        return name

    def drop_database(self, name: str) -> None:
        self.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def stop(self) -> None:
        if self.folder is None:
            return
        folder, self.folder = self.folder, None
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(folder / "data"), "-m", "fast", "-w", "stop")
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_cluster():
    from conftest import skip_or_fail

    cluster = PostgresCluster()
    try:
        cluster.start()
    except PostgresMissing as missing:
        skip_or_fail(str(missing))
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def storage_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite://{tmp_path}/sync.db"
        return
    cluster = request.getfixturevalue("postgres_cluster")
    database = cluster.create_database()
    try:
        yield cluster.url(database)
    finally:
        cluster.drop_database(database)


@pytest.fixture
def storage(storage_url):
    from qvault.sync.storage import open_storage

    opened = open_storage(storage_url)
    opened.migrate()
    try:
        yield opened
    finally:
        opened.close()
