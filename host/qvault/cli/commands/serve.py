"""`qvault serve`: run the sync server with uvicorn.

The server migrates its storage at start. It accepts plain HTTP only from
127.0.0.1 and ::1; remote clients need TLS, either directly (--tls-cert and
--tls-key) or through a TLS reverse proxy (--behind-tls-proxy).
"""

import argparse
import logging
import os
import pathlib
from typing import Callable

from qvault.cli.io import Console
from qvault.errors import QvaultError

log = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
STORAGE_ENV = "QVAULT_SYNC_STORAGE"


class ServeError(QvaultError):
    """The sync server could not start."""


def default_storage() -> str:
    """Return $QVAULT_SYNC_STORAGE, else a SQLite file in the per-user data folder."""
    configured = os.environ.get(STORAGE_ENV)
    if configured:
        return configured
    import platformdirs

    return "sqlite://" + str(pathlib.Path(platformdirs.user_data_dir("qvault", appauthor=False)) / "sync-server.db")


def register(command: Callable[[str, Callable, str], argparse.ArgumentParser]) -> None:
    """Add the serve subcommand through main's command() helper."""
    serve_parser = command("serve", serve, "run the sync server (HTTP API v1)")
    serve_parser.add_argument("--host", default=DEFAULT_HOST, help=f"address to listen on (default {DEFAULT_HOST})")
    serve_parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"TCP port (default {DEFAULT_PORT}; 0 picks a free one)")
    serve_parser.add_argument(
        "--storage", metavar="URL",
        help=f"sqlite:///PATH or postgresql://USER@HOST/DB (default: ${STORAGE_ENV}, else sync-server.db in the data folder)",
    )
    serve_parser.add_argument(
        "--behind-tls-proxy", action="store_true",
        help="trust X-Forwarded-Proto and X-Forwarded-For: only when a TLS reverse proxy is the sole way in",
    )
    serve_parser.add_argument("--tls-cert", metavar="FILE", help="serve HTTPS directly with this PEM certificate chain")
    serve_parser.add_argument("--tls-key", metavar="FILE", help="private key of --tls-cert (PEM)")


def serve(console: Console, args: argparse.Namespace) -> int:
    try:
        import uvicorn
    except ImportError:
        raise ServeError(
            "the sync server's packages are not installed; install them with "
            "\"pip install 'qvault[server]'\" in Qvault's environment, or run install.py with --with-server"
        ) from None

    from qvault.sync.server import ServerConfig, create_app
    from qvault.sync.storage import SyncStorageError, open_storage
    from qvault.sync.storage.postgres import redact

    if bool(args.tls_cert) != bool(args.tls_key):
        raise ServeError("--tls-cert and --tls-key go together; give both or neither")
    if not 0 <= args.port <= 65535:
        raise ServeError(f"--port {args.port} is invalid; use 0 to 65535")
    storage_url = args.storage or default_storage()
    if "://" not in storage_url or storage_url.startswith("sqlite://"):
        sqlite_path = storage_url.removeprefix("sqlite://")
        pathlib.Path(sqlite_path).parent.mkdir(parents=True, exist_ok=True)

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        storage = open_storage(storage_url)
        applied = storage.migrate()
    except (ValueError, SyncStorageError) as error:
        raise ServeError(f"failed to open storage {redact(storage_url)}: {error}") from error
    log.info("storage %s at schema version %d (applied now: %s)", redact(storage_url), storage.schema_version(), applied or "none")

    app = create_app(storage, ServerConfig(behind_tls_proxy=args.behind_tls_proxy))
    config = uvicorn.Config(
        app,
        host=args.host,
        port=args.port,
        # The app logs one line per request with its id; uvicorn's access log would
        # repeat it, and forwarded headers are handled by the app itself.
        access_log=False,
        proxy_headers=False,
        server_header=False,
        ssl_certfile=args.tls_cert,
        ssl_keyfile=args.tls_key,
        log_config=None,
    )
    try:
        uvicorn.Server(config).run()
    finally:
        storage.close()
    return 0
