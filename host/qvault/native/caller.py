"""Identification of the extension that started the host, from the command line.

Chromium-family browsers pass the caller's origin, `chrome-extension://<id>/`, as
the first argument (on Windows a `--parent-window=<handle>` follows). Firefox passes
the path of the host manifest, then the add-on id.
"""

from qvault import extension_ids


def identify_caller(arguments: list[str]) -> str | None:
    """Return the calling extension's origin or add-on id, or None if absent."""
    positional = [argument for argument in arguments if not argument.startswith("--")]
    if positional and positional[0].startswith("chrome-extension://"):
        return positional[0]
    if len(positional) >= 2:
        return positional[1]
    return None


def default_allowed_callers() -> list[str]:
    origins = [f"chrome-extension://{extension_id}/" for extension_id in extension_ids.CHROMIUM_EXTENSION_IDS]
    return origins + list(extension_ids.GECKO_EXTENSION_IDS)
