"""The sync server's Lambda handler, driven by API Gateway HTTP API (v2) events."""

import base64
import json
import os

import pytest

from pg import postgres_cluster, storage_url  # noqa: F401 (fixtures)
from qvault.sync import lambda_handler
from sync_server_support import CHEAP_HASH, registration


class FakeLambdaContext:
    function_name = "qvault-sync"
    aws_request_id = "lambda-request-1"


def http_event(method: str, path: str, body: dict | None = None, headers: dict | None = None, query: str = "") -> dict:
    """Return an API Gateway HTTP API payload format 2.0 event."""
    source_ip = "198.51.100.20"
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": query,
        "headers": {
            "host": "abc123.execute-api.eu-west-1.amazonaws.com",
            "content-type": "application/json",
            "x-forwarded-proto": "https",
            "x-forwarded-for": source_ip,
            "x-forwarded-port": "443",
            **(headers or {}),
        },
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abc123",
            "domainName": "abc123.execute-api.eu-west-1.amazonaws.com",
            "domainPrefix": "abc123",
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": source_ip, "userAgent": "pytest"},
            "requestId": "gateway-request-1",
            "routeKey": "$default",
            "stage": "$default",
            "time": "04/Dec/2025:20:00:00 +0000",
            "timeEpoch": 1764878400000,
        },
        "body": None if body is None else base64.b64encode(json.dumps(body).encode()).decode(),
        "isBase64Encoded": body is not None,
    }


def answer(response: dict) -> dict:
    text = base64.b64decode(response["body"]).decode() if response.get("isBase64Encoded") else response["body"]
    return json.loads(text) if text else {}


@pytest.fixture
def handler(storage_url, monkeypatch):
    monkeypatch.setenv(lambda_handler.STORAGE_ENV, storage_url)
    monkeypatch.setattr(lambda_handler, "_handler", None)
    original = lambda_handler.build_handler

    def cheap_build(url, config=None):
        from qvault.sync.server import ServerConfig

        return original(url, ServerConfig(auth_hash=CHEAP_HASH))

    monkeypatch.setattr(lambda_handler, "build_handler", cheap_build)
    yield lambda_handler.handler
    if lambda_handler._handler is not None:
        lambda_handler._handler.app.state.services.storage.close()


def test_lambda_health(handler):
    response = handler(http_event("GET", "/v1/health"), FakeLambdaContext())
    assert response["statusCode"] == 200
    assert answer(response)["status"] == "ok"


def test_lambda_prelogin(handler):
    response = handler(http_event("POST", "/v1/prelogin", {"email": "nobody@example.org"}), FakeLambdaContext())
    assert response["statusCode"] == 200
    assert answer(response)["kdf"]["memory_kib"] == 65536


def test_lambda_login_round_trip(handler):
    body = registration()
    created = handler(http_event("POST", "/v1/register", body), FakeLambdaContext())
    assert created.get("statusCode") == 201
    logged_in = handler(http_event("POST", "/v1/login", {"email": body["email"], "auth_key": body["auth_key"]}), FakeLambdaContext())
    assert logged_in["statusCode"] == 200
    token = answer(logged_in)["token"]
    slots = handler(http_event("GET", "/v1/keyslots", headers={"authorization": f"Bearer {token}"}), FakeLambdaContext())
    assert slots["statusCode"] == 200
    assert answer(slots)["key_slots"] == body["key_slots"]
    assert slots["headers"]["x-request-id"]


def test_lambda_plain_http_refused(handler):
    event = http_event("POST", "/v1/prelogin", {"email": "a@example.org"}, headers={"x-forwarded-proto": "http"})
    response = handler(event, FakeLambdaContext())
    assert response["statusCode"] == 403


def test_lambda_storage_unset(monkeypatch):
    monkeypatch.delenv(lambda_handler.STORAGE_ENV, raising=False)
    monkeypatch.setattr(lambda_handler, "_handler", None)
    with pytest.raises(RuntimeError, match="QVAULT_SYNC_STORAGE is not set"):
        lambda_handler.handler(http_event("GET", "/v1/health"), FakeLambdaContext())
    assert os.environ.get(lambda_handler.STORAGE_ENV) is None
