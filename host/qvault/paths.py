"""Default locations, shared by the CLI and the native host so both open the same vault."""

import os
import pathlib

APP_NAME = "qvault"
VAULT_FILE_NAME = "vault.qvault"


def default_vault_path() -> pathlib.Path:
    """Return $QVAULT_VAULT if set, else the per-user data folder's vault.qvault."""
    configured = os.environ.get("QVAULT_VAULT")
    if configured:
        return pathlib.Path(configured).expanduser()
    import platformdirs

    return pathlib.Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / VAULT_FILE_NAME


def log_dir() -> pathlib.Path:
    import platformdirs

    return pathlib.Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))


def secret_key_path() -> pathlib.Path:
    """Return the path of the secret key file the host reads when the vault needs one."""
    configured = os.environ.get("QVAULT_SECRET_KEY_FILE")
    if configured:
        return pathlib.Path(configured).expanduser()
    import platformdirs

    return pathlib.Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)) / "secret-key"
