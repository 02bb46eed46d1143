"""AWS Lambda entry point for the sync server (API Gateway HTTP API, through Mangum).

Set the function's handler to `qvault.sync.lambda_handler.handler` and the
environment variable QVAULT_SYNC_STORAGE to a postgresql:// URL (a sqlite:// path
works only for a trial: a Lambda's disk is neither shared nor kept). The first
request of each instance opens the storage and runs pending migrations.

API Gateway terminates TLS and sets X-Forwarded-Proto and X-Forwarded-For, so the
app runs as if behind a TLS proxy.
"""

import dataclasses
import logging
import os
from typing import Any

from mangum import Mangum

from qvault.sync.server import ServerConfig, create_app
from qvault.sync.storage import open_storage

log = logging.getLogger(__name__)

STORAGE_ENV = "QVAULT_SYNC_STORAGE"

_handler: Mangum | None = None


def build_handler(storage_url: str, config: ServerConfig | None = None) -> Mangum:
    """Open and migrate the storage, then wrap the app for Lambda events."""
    storage = open_storage(storage_url)
    storage.migrate()
    config = dataclasses.replace(config or ServerConfig(), behind_tls_proxy=True)
    return Mangum(create_app(storage, config), lifespan="off")


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Handle one API Gateway event, opening the storage on the first call of this Lambda instance."""
    global _handler
    if _handler is None:
        storage_url = os.environ.get(STORAGE_ENV)
        if not storage_url:
            raise RuntimeError(f"environment variable {STORAGE_ENV} is not set; set it to the postgresql:// URL of the sync database")
        _handler = build_handler(storage_url)
        log.info("sync server ready in this Lambda instance")
    return _handler(event, context)
