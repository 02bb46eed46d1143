/**
 * The one place that turns an error name (from the host or from the extension)
 * into text for the person using the popup.
 */
(function (root) {
  "use strict";

  const USER_TEXT = Object.freeze({
    // Host protocol errors.
    INVALID_FRAME: "The Qvault host could not read a message from the extension. Reinstall the extension and the host.",
    FRAME_TOO_LARGE: "A message to the Qvault host was too large.",
    INVALID_JSON: "The Qvault host could not read a message from the extension. Reinstall the extension and the host.",
    INVALID_REQUEST: "The Qvault host rejected a request from the extension. Update the extension and the host together.",
    UNKNOWN_VERB: "The Qvault host does not know this request. Update the host (run install.py again).",
    INVALID_ARGUMENT: "The Qvault host rejected a request from the extension as invalid.",
    UNSUPPORTED_PROTOCOL: "The Qvault host and this extension speak different protocol versions. Update both.",
    CALLER_NOT_ALLOWED: "The Qvault host does not accept this extension. Run install.py again for this browser.",
    NO_VAULT: "No vault found. Create one with \"qvault init\", then try again.",
    LOCKED: "The vault is locked. Unlock it to see your logins.",
    WRONG_PASSWORD: "Wrong master password. Click Unlock to try again.",
    CANCELLED: "Unlock cancelled.",
    PROMPT_UNAVAILABLE: "The Qvault host could not open its password prompt. Install pinentry (for example pinentry-gnome3) or set QVAULT_PINENTRY.",
    NOT_FOUND: "That login no longer exists in the vault.",
    ORIGIN_MISMATCH: "That login is not saved for this site, so Qvault did not fill it.",
    FORBIDDEN: "The Qvault host does not send this kind of secret to the browser.",
    CONFLICT: "This login changed elsewhere (for example with the qvault command) after the popup showed it. Nothing was saved and nothing was lost; check the new version below, then save again.",
    VAULT_ERROR: "The Qvault host could not read the vault. Check the host log.",
    INTERNAL: "The Qvault host failed unexpectedly. Check the host log.",

    // Extension-side errors.
    HOST_MISSING: "The Qvault host is not installed for this browser. Run \"python3 install.py --browser <your browser>\" from the Qvault folder.",
    HOST_FORBIDDEN: "The installed Qvault host does not allow this extension. Run install.py again for this browser.",
    HOST_EXITED: "The Qvault host stopped unexpectedly. Check the host log, then try again.",
    HOST_TOO_OLD: "The Qvault host is older than this extension. Update Qvault and run install.py again.",
    EXTENSION_TOO_OLD: "This extension is older than the Qvault host. Update the extension.",
    TIMEOUT: "The Qvault host did not reply in time. Try again.",
    BAD_REPLY: "The Qvault host sent a reply the extension could not read. Update the extension and the host together.",
    NO_PAGE_ACCESS: "Qvault can only read this page after you open it from the toolbar button on the page.",
    PAGE_NOT_FILLABLE: "Qvault fills only http and https pages.",
    INSECURE_PAGE: "This login is saved for an HTTPS site, so Qvault does not fill it into an unencrypted HTTP page.",
    ORIGIN_CHANGED: "The page navigated before filling, so nothing was filled.",
    NO_FIELDS: "No visible login fields were found on this page.",
    FILL_FAILED: "Qvault could not fill this page.",
    BAD_MESSAGE: "The extension received an invalid message.",
    CROSS_ORIGIN_ACTION: "This form sends what you type to another site. Nothing was filled.",
    CROSS_ORIGIN_FRAME: "The login form on this page comes from another site, so Qvault does not fill it.",
    NEW_PASSWORD_FORM: "This form asks for a new password. Use the generator below to make one.",
    NO_FOCUSED_FIELD: "Click into the page's address field first, then fill the address.",
    NO_TOTP: "This login has no one-time code (TOTP) saved.",
    NO_PENDING_SAVE: "There is no submitted login to save any more. Sign in again, then open Qvault.",
    NO_MATCH: "No saved login matches this page.",
  });

  /** Return the user text for an error envelope {name, message}. Unknown names keep the host's own text. */
  function userText(error) {
    if (!error || typeof error !== "object") {
      return USER_TEXT.INTERNAL;
    }
    const known = USER_TEXT[error.name];
    if (known) {
      return known;
    }
    const detail = typeof error.message === "string" && error.message ? `: ${error.message}` : "";
    return `Qvault error ${String(error.name || "UNKNOWN")}${detail}`;
  }

  const api = { USER_TEXT, userText };
  if (typeof module === "object" && module.exports) {
    module.exports = api;
  } else {
    root.QvaultErrors = api;
  }
})(globalThis);
