#!/usr/bin/env python3
"""A pinentry program for tests: speaks the Assuan protocol and replies from files.

Environment:
- SCRIPTED_PINENTRY_PASSWORD_FILE: a UTF-8 file with one password per line. Each
  GETPIN returns the next line; after the last line, GETPIN returns it again. The
  position is kept in "<file>.position", so successive runs (one per attempt, as
  hosts start pinentry anew for each try) walk through the lines.
- SCRIPTED_PINENTRY_CANCEL=1: answer GETPIN as if the person pressed Cancel.
- SCRIPTED_PINENTRY_LOG: append each command received to this file, one per line,
  so tests can check for SETERROR after a wrong password. GETPIN replies are not logged.

The protocol follows GnuPG's pinentry documentation: greet with OK, answer each
command with OK or ERR, send data as "D <percent-encoded text>" before OK.
"""

import os
import sys
import urllib.parse

# GPG_ERR_CANCELED (99) from GPG_ERR_SOURCE_PINENTRY (5): (5 << 24) | 99.
ERR_CANCELLED = "ERR 83886179 Operation cancelled"
ERR_UNKNOWN_COMMAND = "ERR 536871187 Unknown IPC command"

SETTERS = {
    "OPTION", "SETTITLE", "SETDESC", "SETPROMPT", "SETERROR", "SETOK", "SETCANCEL",
    "SETNOTOK", "SETQUALITYBAR", "SETQUALITYBAR_TT", "SETREPEAT", "SETREPEATERROR",
    "SETTIMEOUT", "SETKEYINFO", "RESET", "NOP", "CONFIRM", "MESSAGE",
}


def reply(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def log_command(line: str) -> None:
    path = os.environ.get("SCRIPTED_PINENTRY_LOG")
    if path:
        with open(path, "a", encoding="utf-8") as stream:
            stream.write(line + "\n")


def next_password() -> str | None:
    """Return the next scripted password, or None when no file is configured."""
    path = os.environ.get("SCRIPTED_PINENTRY_PASSWORD_FILE")
    if not path:
        return None
    with open(path, encoding="utf-8") as stream:
        passwords = stream.read().splitlines()
    if not passwords:
        return None

    position_path = path + ".position"
    try:
        with open(position_path, encoding="utf-8") as stream:
            position = int(stream.read().strip() or 0)
    except FileNotFoundError:
        position = 0
    with open(position_path, "w", encoding="utf-8") as stream:
        stream.write(str(position + 1))
    return passwords[min(position, len(passwords) - 1)]


def encode_data(text: str) -> str:
    # Assuan data lines percent-encode "%", CR and LF; quote() encodes more, which is allowed.
    return urllib.parse.quote(text, safe="")


def main() -> int:
    reply("OK Pleased to meet you")
    for raw in sys.stdin:
        line = raw.rstrip("\r\n")
        command = line.split(" ", 1)[0].upper()
        log_command(line)

        if command in SETTERS:
            reply("OK")
        elif command == "GETINFO":
            argument = line.split(" ", 1)[1] if " " in line else ""
            if argument == "pid":
                reply(f"D {os.getpid()}")
            elif argument == "version":
                reply("D 1.2.1")
            reply("OK")
        elif command == "GETPIN":
            if os.environ.get("SCRIPTED_PINENTRY_CANCEL") == "1":
                reply(ERR_CANCELLED)
                continue
            password = next_password()
            if password is None:
                reply(ERR_CANCELLED)
                continue
            reply(f"D {encode_data(password)}")
            reply("OK")
        elif command == "BYE":
            reply("OK closing connection")
            return 0
        else:
            reply(ERR_UNKNOWN_COMMAND)
    return 0


if __name__ == "__main__":
    sys.exit(main())
