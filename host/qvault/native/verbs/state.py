"""Verbs about the session itself: hello, status, unlock and lock."""

import qvault
from qvault.native.codes import ErrorCode, RequestError
from qvault.native.dispatch import Arg, verb

PROTOCOL_VERSION = 1


@verb("hello", protocol=Arg(int, minimum=0, maximum=1_000_000))
def hello(session, protocol: int) -> dict:
    """Report versions and the vault state; the extension checks them before anything else."""
    if protocol != PROTOCOL_VERSION:
        newer = "the extension is newer than this host; update Qvault" if protocol > PROTOCOL_VERSION else "update the extension"
        raise RequestError(
            ErrorCode.UNSUPPORTED_PROTOCOL,
            f"protocol {protocol} is not supported; this host speaks protocol {PROTOCOL_VERSION}: {newer}",
        )
    return {"protocol": PROTOCOL_VERSION, "host_version": qvault.__version__, "state": session.state()}


@verb("status")
def status(session) -> dict:
    """Report the vault state, the entry count and the background sync's state; no network."""
    state = session.state()
    entries = len(session.vault().entries()) if state == "unlocked" else None
    return {"state": state, "entries": entries, "idle_lock_seconds": int(session.idle_seconds), "sync": session.sync_status()}


@verb("unlock")
def unlock(session) -> dict:
    session.unlock()
    return {"state": session.state()}


@verb("lock")
def lock(session) -> dict:
    session.lock()
    return {"state": session.state()}


