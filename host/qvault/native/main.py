"""Entry point of the native-messaging host process (`qvault-host`).

Start-up keeps the real stdout for frames and points file descriptor 1 at stderr,
so a stray print from any library cannot corrupt the channel: the browser would
read its first four bytes as a length. stdin is moved off fd 0 too, so child
processes (the pinentry) cannot read browser frames.
"""

from __future__ import annotations

import logging
import os
import signal
import sys

from qvault import limits

log = logging.getLogger("qvault.native")

_LOG_FILE_BYTES = 1024 * 1024
_LOG_FILE_BACKUPS = 3


def _claim_stdio():
    frames_in = os.fdopen(os.dup(0), "rb")
    frames_out = os.fdopen(os.dup(1), "wb")
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return frames_in, frames_out


_FORMAT = "%(asctime)s %(process)d %(name)s %(levelname)s %(message)s"


def _configure_stderr_logging() -> None:
    root = logging.getLogger("qvault")
    root.setLevel(logging.INFO)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(_FORMAT))
    root.addHandler(handler)


def _add_log_file() -> None:
    """Add the rotating log file. Called after the first reply, because importing
    logging.handlers and platformdirs costs milliseconds the browser would wait for."""
    import logging.handlers

    from qvault.paths import log_dir

    try:
        directory = log_dir()
        directory.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(
            directory / "host.log", maxBytes=_LOG_FILE_BYTES, backupCount=_LOG_FILE_BACKUPS, encoding="utf-8"
        )
    except OSError as error:
        log.warning("could not open the log file: %s", error)
        return
    handler.setFormatter(logging.Formatter(_FORMAT))
    logging.getLogger("qvault").addHandler(handler)


def _positive_seconds(variable: str, default: float) -> float:
    """Return the environment variable as a positive number of seconds, else default."""
    configured = os.environ.get(variable)
    if configured:
        try:
            value = float(configured)
            if value > 0:
                return value
        except ValueError:
            pass
        log.warning("%s=%r is not a positive number; using %d", variable, configured, default)
    return default


def serve(session, frames_in, frames_out, caller: str | None, allowed_callers: list[str], after_first_reply=None) -> int:
    """Read requests and write replies until end of input; return the exit status.

    after_first_reply, if given, runs once after the first reply is flushed: the
    place for start-up work the browser should not wait for.
    """
    from qvault.native import dispatch, framing
    from qvault.native import verbs  # noqa: F401  (registers the verbs)
    from qvault.native.codes import ErrorCode

    caller_allowed = caller in allowed_callers
    if not caller_allowed:
        log.warning("caller %r is not in the allowed list; every request will be rejected", caller)

    while True:
        try:
            body = framing.read_frame(frames_in)
        except framing.EndOfStream:
            log.info("input closed; exiting")
            return 0
        except framing.StreamBroken as broken:
            # The next bytes cannot be trusted to start a frame, so stop here.
            log.warning("stream broken: %s", broken.message)
            framing.write_frame(frames_out, dispatch.error_reply(None, broken.code, broken.message))
            return 1

        try:
            message = framing.decode_message(body)
        except dispatch.RequestError as error:
            reply = dispatch.error_reply(None, error.code, error.message)
        else:
            if caller_allowed:
                reply = dispatch.handle(session, message)
            else:
                reply = dispatch.error_reply(
                    dispatch.request_id_of(message),
                    ErrorCode.CALLER_NOT_ALLOWED,
                    f"caller {str(caller)[:100]!r} is not allowed to use this host; run install.py for this browser",
                )
        try:
            frames_out.write(framing.encode_frame(reply))
        except ValueError:
            log.exception("reply to request %r was too large", reply.get("id"))
            frames_out.write(framing.encode_frame(dispatch.error_reply(reply.get("id"), ErrorCode.INTERNAL, "reply too large")))
        frames_out.flush()
        if after_first_reply is not None:
            after_first_reply()
            after_first_reply = None


def main(argv: list[str] | None = None, *, allowed_callers: list[str] | None = None,
         vault_path: str | os.PathLike | None = None) -> int:
    """Run the host. Launchers written by install.py call this with their settings."""
    arguments = sys.argv[1:] if argv is None else argv
    if arguments[:1] == ["--version"]:
        import qvault

        print(f"qvault-host {qvault.__version__}")
        return 0

    frames_in, frames_out = _claim_stdio()
    _configure_stderr_logging()

    from qvault.native.caller import default_allowed_callers, identify_caller
    from qvault.native.session import Session
    if vault_path:
        path = os.fspath(vault_path)
    elif os.environ.get("QVAULT_VAULT"):
        path = os.path.expanduser(os.environ["QVAULT_VAULT"])
    else:
        from qvault.paths import default_vault_path

        path = os.fspath(default_vault_path())
    from qvault.native.background_sync import SYNC_INTERVAL_SECONDS_DEFAULT

    session = Session(
        path,
        idle_seconds=_positive_seconds("QVAULT_IDLE_LOCK_SECONDS", limits.IDLE_LOCK_SECONDS_DEFAULT),
        sync_interval_seconds=_positive_seconds("QVAULT_SYNC_INTERVAL_SECONDS", SYNC_INTERVAL_SECONDS_DEFAULT),
    )

    def stop(signal_number, _frame):
        log.info("signal %d received; locking and exiting", signal_number)
        session.close()
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    caller = identify_caller(arguments)

    def finish_start_up():
        _add_log_file()
        log.info("host started for caller %r, vault %s", caller, path)

    try:
        return serve(session, frames_in, frames_out, caller, allowed_callers or default_allowed_callers(), finish_start_up)
    finally:
        session.close()


if __name__ == "__main__":
    sys.exit(main())
