"""`qvault serve` as a real uvicorn process on 127.0.0.1, on SQLite and PostgreSQL."""

import signal
import socket
import subprocess
import sys
import time

import httpx2
import pytest

from pg import postgres_cluster, storage_url  # noqa: F401 (fixtures)
from qvault.cli.main import main
from sync_server_support import registration

START_TIMEOUT_SECONDS = 30


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RunningServer:
    """`qvault serve` in a subprocess; the log is complete after stop()."""

    def __init__(self, storage_url: str):
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log = ""
        self.process = subprocess.Popen(
            [sys.executable, "-m", "qvault.cli.main", "serve", "--port", str(self.port), "--storage", storage_url],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while True:
            try:
                httpx2.get(f"{self.base_url}/v1/health", timeout=1)
                return
            except httpx2.TransportError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    pytest.fail(f"qvault serve did not start on port {self.port}: {self.log}")
                time.sleep(0.1)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            self.log = self.process.communicate(timeout=20)[0]
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.log = self.process.communicate()[0]


@pytest.fixture
def server(storage_url):
    running = RunningServer(storage_url)
    yield running
    running.stop()


def test_serve_register_and_login(server):
    with httpx2.Client(base_url=server.base_url) as client:
        body = registration()
        assert client.post("/v1/register", json=body).status_code == 201
        login = client.post("/v1/login", json={"email": body["email"], "auth_key": body["auth_key"]}, headers={"X-Request-Id": "cli-1"})
        assert login.status_code == 200
        assert login.headers["X-Request-Id"] == "cli-1"


def test_serve_logs_requests(server):
    httpx2.get(f"{server.base_url}/v1/health", headers={"X-Request-Id": "probe-9"})
    server.stop()
    assert "applied sync schema migration 2" in server.log
    assert "request probe-9: GET /v1/health -> 200" in server.log


def test_serve_rejects_bad_storage(capsys):
    status = main(["serve", "--storage", "mysql://db.invalid/qvault"])
    assert status == 1
    assert "storage URL scheme 'mysql' is not supported" in capsys.readouterr().err


def test_serve_rejects_lone_tls_cert(capsys):
    status = main(["serve", "--tls-cert", "cert.pem"])
    assert status == 1
    assert "--tls-cert and --tls-key go together" in capsys.readouterr().err


def test_serve_without_server_extra(monkeypatch, capsys):
    # None in sys.modules makes "import uvicorn" raise ImportError, as when the
    # 'server' extra was never installed.
    monkeypatch.setitem(sys.modules, "uvicorn", None)
    assert main(["serve", "--port", "0"]) == 1
    error = capsys.readouterr().err
    assert "qvault: error: the sync server's packages are not installed" in error
    assert "qvault[server]" in error
    assert "Traceback" not in error
