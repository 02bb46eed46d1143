"""Verb registry, argument validation and error mapping.

Each verb is one function in qvault.native.verbs, registered with the exact
arguments it accepts. Unknown arguments are rejected so a typo in the extension
fails loudly instead of being ignored.
"""

from __future__ import annotations

import logging

from qvault import limits
from qvault.native.codes import ErrorCode, RequestError

log = logging.getLogger(__name__)

_REQUEST_ID_MAX_CHARS = 128


# Plain classes rather than dataclasses: importing dataclasses (and inspect) costs
# several milliseconds of the host's start-up, which the browser waits for.
class Arg:
    """One argument of a verb: its JSON type, whether required, and a size cap."""

    __slots__ = ("kind", "required", "max_chars", "minimum", "maximum")

    def __init__(self, kind, required: bool = True, max_chars: int = limits.FIELD_TEXT_MAX_CHARS,
                 minimum: int | None = None, maximum: int | None = None):
        self.kind = kind
        self.required = required
        self.max_chars = max_chars
        self.minimum = minimum
        self.maximum = maximum


class Verb:
    __slots__ = ("name", "function", "arguments")

    def __init__(self, name: str, function, arguments: dict[str, Arg]):
        self.name = name
        self.function = function
        self.arguments = arguments


VERBS: dict[str, Verb] = {}


def verb(name: str, **arguments: Arg):
    def register(function):
        VERBS[name] = Verb(name, function, arguments)
        return function

    return register


def _check_argument(verb_name: str, name: str, spec: Arg, value):
    kinds = spec.kind if isinstance(spec.kind, tuple) else (spec.kind,)
    # bool is an int subclass in Python, but true is not a length.
    if isinstance(value, bool) and bool not in kinds:
        raise RequestError(ErrorCode.INVALID_ARGUMENT, f"{verb_name}: argument {name!r} must be {_kind_name(kinds)}")
    if not isinstance(value, kinds):
        raise RequestError(ErrorCode.INVALID_ARGUMENT, f"{verb_name}: argument {name!r} must be {_kind_name(kinds)}")
    if isinstance(value, str) and len(value) > spec.max_chars:
        raise RequestError(
            ErrorCode.INVALID_ARGUMENT, f"{verb_name}: argument {name!r} is {len(value)} characters; the maximum is {spec.max_chars}"
        )
    if isinstance(value, int) and not isinstance(value, bool):
        if spec.minimum is not None and value < spec.minimum:
            raise RequestError(ErrorCode.INVALID_ARGUMENT, f"{verb_name}: argument {name!r} must be at least {spec.minimum}")
        if spec.maximum is not None and value > spec.maximum:
            raise RequestError(ErrorCode.INVALID_ARGUMENT, f"{verb_name}: argument {name!r} must be at most {spec.maximum}")
    return value


def _kind_name(kinds: tuple[type, ...]) -> str:
    names = {str: "a string", int: "an integer", bool: "true or false", list: "an array", dict: "an object", type(None): "null"}
    return " or ".join(names.get(kind, kind.__name__) for kind in kinds)


def request_id_of(message: dict) -> str | int | None:
    request_id = message.get("id")
    if isinstance(request_id, bool) or not isinstance(request_id, (str, int, type(None))):
        return None
    if isinstance(request_id, str) and len(request_id) > _REQUEST_ID_MAX_CHARS:
        return None
    return request_id


def handle(session, message: dict) -> dict:
    """Run one request and return its reply object (never raises for bad input)."""
    request_id = request_id_of(message)
    verb_name = message.get("type")
    try:
        if "id" in message and request_id is None and message.get("id") is not None:
            raise RequestError(ErrorCode.INVALID_REQUEST, f"'id' must be a string of at most {_REQUEST_ID_MAX_CHARS} characters or an integer")
        if not isinstance(verb_name, str):
            raise RequestError(ErrorCode.INVALID_REQUEST, "the request has no 'type' string naming the verb")
        spec = VERBS.get(verb_name)
        if spec is None:
            shown = verb_name[:40]
            raise RequestError(ErrorCode.UNKNOWN_VERB, f"unknown verb {shown!r}; this host supports {', '.join(sorted(VERBS))}")
        arguments = {}
        for name, value in message.items():
            if name in ("id", "type"):
                continue
            if name not in spec.arguments:
                raise RequestError(ErrorCode.INVALID_ARGUMENT, f"{verb_name}: unknown argument {name[:40]!r}")
            arguments[name] = _check_argument(verb_name, name, spec.arguments[name], value)
        for name, argument in spec.arguments.items():
            if argument.required and name not in arguments:
                raise RequestError(ErrorCode.INVALID_ARGUMENT, f"{verb_name}: missing argument {name!r}")
        session.touch()
        result = spec.function(session, **arguments)
        session.touch()
        # The envelope's fields must never be overwritten by a verb's result.
        assert "id" not in result, verb_name
        assert "ok" not in result, verb_name
        return {"id": request_id, "ok": True, **result}
    except RequestError as error:
        log.info("request %r (%s) failed: %s", request_id, verb_name if isinstance(verb_name, str) else "?", error.code.name)
        return error_reply(request_id, error.code, error.message)
    except Exception as error:
        code, message_text = _map_exception(error)
        if code is ErrorCode.INTERNAL:
            log.exception("request %r (%s) raised an unexpected %s", request_id, verb_name, type(error).__name__)
        else:
            log.info("request %r (%s) failed: %s", request_id, verb_name, code.name)
        return error_reply(request_id, code, message_text)


def _map_exception(error: Exception) -> tuple[ErrorCode, str]:
    from qvault import errors

    mapping = [
        (errors.VaultNotFound, ErrorCode.NO_VAULT),
        (errors.WrongPassword, ErrorCode.WRONG_PASSWORD),
        (errors.PromptCancelled, ErrorCode.CANCELLED),
        (errors.PromptError, ErrorCode.PROMPT_UNAVAILABLE),
        (errors.EntryNotFound, ErrorCode.NOT_FOUND),
        (errors.RevisionConflict, ErrorCode.CONFLICT),
        (errors.EntryValidationError, ErrorCode.INVALID_ARGUMENT),
        (errors.QvaultError, ErrorCode.VAULT_ERROR),
    ]
    for kind, code in mapping:
        if isinstance(error, kind):
            return code, str(error)
    return ErrorCode.INTERNAL, f"internal error ({type(error).__name__}); see the host log"


def error_reply(request_id, code: ErrorCode, message: str) -> dict:
    return {"id": request_id, "ok": False, "error": {"code": int(code), "name": code.name, "message": message}}
