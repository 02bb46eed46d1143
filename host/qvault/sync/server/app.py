"""The sync server's ASGI app (Starlette): routes, request ids, TLS check, errors.

create_app() binds the endpoint functions of accounts.py and entries.py to routes.
The same app runs under uvicorn (`qvault serve`) and under AWS Lambda through
Mangum (qvault.sync.lambda_handler).
"""

import json
import logging
import re
import time
import uuid
from typing import Any, Callable

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from qvault.sync.server import accounts, auth, entries, transport
from qvault.sync.server.auth import AuthHasher
from qvault.sync.server.config import ServerConfig
from qvault.sync.server.context import Call, Reply, Services
from qvault.sync.server.errors import ApiError, invalid, too_large
from qvault.sync.server.ratelimit import LoginLimiter
from qvault.sync.storage.base import AccountNotFound, Storage

log = logging.getLogger(__name__)

REQUEST_ID_HEADER = "X-Request-Id"
# A request id from the client is echoed only if it looks like one; otherwise a new one is made.
_REQUEST_ID_PATTERN = re.compile(r"[A-Za-z0-9._:-]{1,128}")

Handler = Callable[[Call], Reply]


def _error_response(error: ApiError) -> JSONResponse:
    return JSONResponse(error.body(), status_code=error.status, headers=error.headers)


async def _read_json(request: Request, max_bytes: int) -> Any:
    """Read the body with the size cap applied before and while reading, then parse it."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise invalid("Content-Length header must be a number of bytes")
        if int(declared) > max_bytes:
            raise too_large(f"request body of {declared} bytes is over the limit of {max_bytes} bytes")
    chunks = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise too_large(f"request body is over the limit of {max_bytes} bytes")
        chunks.append(chunk)
    raw = b"".join(chunks)
    if not raw:
        raise invalid("request body is missing; send a JSON object")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise invalid("request body is not UTF-8") from None
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as error:
        # The JSON error message gives a position, never the content.
        raise invalid(f"request body is not valid JSON: {error}") from None


def _run(services: Services, handler: Handler, call: Call, authorization: str | None, authenticated: bool) -> Reply:
    """Authenticate if needed, then run the endpoint (in a worker thread: storage blocks)."""
    if authenticated:
        token_hash = auth.token_hash(auth.bearer_token(authorization))
        account_id = services.storage.token_account(token_hash, call.now)
        if account_id is None:
            raise auth.invalid_token()
        call.account_id = account_id
        call.token_hash = token_hash
    try:
        return handler(call)
    except AccountNotFound:
        # The account was deleted while this request ran.
        raise auth.invalid_token() from None


def _endpoint(services: Services, handler: Handler, authenticated: bool, has_body: bool):
    async def endpoint(request: Request) -> Response:
        state = request.scope["state"]
        request_id = state["request_id"]
        try:
            body = await _read_json(request, services.config.body_max_bytes) if has_body else None
            call = Call(
                services=services,
                request_id=request_id,
                client_address=state["client_address"],
                now=int(services.config.clock()),
                body=body,
                query=dict(request.query_params),
            )
            reply = await run_in_threadpool(
                _run, services, handler, call, request.headers.get("authorization"), authenticated
            )
        except ApiError as error:
            if error.status >= 500:
                log.error("request %s: %s", request_id, error.code)
            return _error_response(error)
        except Exception:
            log.exception("request %s: internal error in %s", request_id, handler.__name__)
            return _error_response(ApiError(500, "internal_error", f"the server failed; request id {request_id}"))
        if reply.body is None:
            return Response(status_code=reply.status)
        return JSONResponse(reply.body, status_code=reply.status)

    endpoint.__name__ = handler.__name__
    return endpoint


class RequestMiddleware:
    """Assigns the request id, refuses plain HTTP from other hosts, logs one line per request.

    The log line contains the method, path, status and duration: never headers,
    query strings or bodies, which carry tokens, auth keys and ciphertexts.
    """

    def __init__(self, app: ASGIApp, behind_tls_proxy: bool):
        self.app = app
        self.behind_tls_proxy = behind_tls_proxy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        request_id = None
        for key, value in scope.get("headers", []):
            if key.lower() == b"x-request-id":
                candidate = value.decode("latin-1")
                if _REQUEST_ID_PATTERN.fullmatch(candidate):
                    request_id = candidate
        request_id = request_id or uuid.uuid4().hex
        address, secure = transport.resolve(scope, self.behind_tls_proxy)
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        state["client_address"] = address

        status = 0

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        started = time.perf_counter()
        try:
            if not secure and scope["path"] not in transport.PLAIN_HTTP_PATHS:
                message = (
                    "plain HTTP is accepted only from 127.0.0.1 and ::1; connect over HTTPS "
                    "(a server behind a TLS proxy must be started with --behind-tls-proxy)"
                )
                await _error_response(ApiError(403, "tls_required", message))(scope, receive, send_with_id)
            else:
                await self.app(scope, receive, send_with_id)
        except Exception:
            log.exception("request %s: unhandled error", request_id)
            if status == 0:
                response = _error_response(ApiError(500, "internal_error", f"the server failed; request id {request_id}"))
                await response(scope, receive, send_with_id)
        finally:
            elapsed_ms = (time.perf_counter() - started) * 1000
            log.info("request %s: %s %s -> %d in %.1f ms", request_id, scope["method"], scope["path"], status, elapsed_ms)


async def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    codes = {404: "not_found", 405: "method_not_allowed"}
    code = codes.get(error.status_code, "http_error")
    message = {404: f"no endpoint at {request.url.path}", 405: f"{request.method} is not allowed on {request.url.path}"}
    return _error_response(ApiError(error.status_code, code, message.get(error.status_code, str(error.detail)), headers=error.headers))


def create_app(storage: Storage, config: ServerConfig | None = None) -> Starlette:
    """Return the ASGI app over storage, which must be migrated already."""
    config = config or ServerConfig()
    services = Services(
        storage=storage,
        config=config,
        hasher=AuthHasher(config.auth_hash, config.hash_concurrency),
        limiter=LoginLimiter(storage, config.account_backoff, config.ip_backoff),
    )

    def route(path: str, method: str, handler: Handler, authenticated: bool = False, has_body: bool = False) -> Route:
        return Route(path, _endpoint(services, handler, authenticated, has_body), methods=[method])

    routes = [
        route("/v1/health", "GET", accounts.health),
        route("/v1/prelogin", "POST", accounts.prelogin, has_body=True),
        route("/v1/register", "POST", accounts.register, has_body=True),
        route("/v1/login", "POST", accounts.login, has_body=True),
        route("/v1/logout", "POST", accounts.logout, authenticated=True),
        route("/v1/account", "DELETE", accounts.delete_account, authenticated=True, has_body=True),
        route("/v1/password", "POST", accounts.change_password, authenticated=True, has_body=True),
        route("/v1/keyslots", "GET", accounts.key_slots, authenticated=True),
        route("/v1/changes", "GET", entries.changes, authenticated=True),
        route("/v1/push", "POST", entries.push, authenticated=True, has_body=True),
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(RequestMiddleware, behind_tls_proxy=config.behind_tls_proxy)],
        exception_handlers={HTTPException: _http_error},
    )
    app.state.services = services
    return app
