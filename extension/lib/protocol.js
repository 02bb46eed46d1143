/**
 * Native messaging protocol constants shared by the background script and node tests.
 *
 * Error codes mirror host/qvault/native/codes.py and are append-only: a code is never
 * renumbered or reused. Names after INTERNAL are local to the extension and never
 * come from the host.
 */
(function (root) {
  "use strict";

  const HOST_NAME = "dev.qvault.host";
  const PROTOCOL_VERSION = 1;

  const HOST_ERROR_CODES = Object.freeze({
    INVALID_FRAME: 1,
    FRAME_TOO_LARGE: 2,
    INVALID_JSON: 3,
    INVALID_REQUEST: 4,
    UNKNOWN_VERB: 5,
    INVALID_ARGUMENT: 6,
    UNSUPPORTED_PROTOCOL: 7,
    CALLER_NOT_ALLOWED: 8,
    NO_VAULT: 9,
    LOCKED: 10,
    WRONG_PASSWORD: 11,
    CANCELLED: 12,
    PROMPT_UNAVAILABLE: 13,
    NOT_FOUND: 14,
    ORIGIN_MISMATCH: 15,
    FORBIDDEN: 16,
    CONFLICT: 17,
    VAULT_ERROR: 18,
    INTERNAL: 19,
  });

  // Failures the extension detects itself; they reuse the host's error envelope
  // so the popup handles every failure the same way.
  const EXTENSION_ERROR_NAMES = Object.freeze([
    "HOST_MISSING",
    "HOST_FORBIDDEN",
    "HOST_EXITED",
    "HOST_TOO_OLD",
    "EXTENSION_TOO_OLD",
    "TIMEOUT",
    "BAD_REPLY",
    "NO_PAGE_ACCESS",
    "PAGE_NOT_FILLABLE",
    "INSECURE_PAGE",
    "ORIGIN_CHANGED",
    "NO_FIELDS",
    "FILL_FAILED",
    "BAD_MESSAGE",
    "CROSS_ORIGIN_ACTION",
    "CROSS_ORIGIN_FRAME",
    "NEW_PASSWORD_FORM",
    "NO_FOCUSED_FIELD",
    "NO_TOTP",
    "NO_PENDING_SAVE",
    "NO_MATCH",
  ]);

  // Milliseconds to wait for a reply. Unlock waits for a person typing the master
  // password into the host's prompt; the host's own pinentry timeout is 300 s.
  const TIMEOUT_MS = Object.freeze({
    default: 15000,
    hello: 10000,
    unlock: 330000,
  });

  const api = { HOST_NAME, PROTOCOL_VERSION, HOST_ERROR_CODES, EXTENSION_ERROR_NAMES, TIMEOUT_MS };
  if (typeof module === "object" && module.exports) {
    module.exports = api;
  } else {
    root.QvaultProtocol = api;
  }
})(globalThis);
