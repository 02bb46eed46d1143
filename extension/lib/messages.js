/**
 * The runtime messages the background accepts, who may send each one, and the
 * check of their arguments. Pure logic: node tests load it with require.
 *
 * Senders are distinguished by what the browser records about them, never by
 * anything in the message: the popup is this extension's popup.html (in the
 * toolbar popup, or in a tab for tests), a content script is one of this
 * extension's scripts running in a web page's tab.
 */
(function (root) {
  "use strict";

  const ENTRY_ID_MAX_CHARS = 128;
  const TEXT_MAX_CHARS = 4096;
  const QUERY_MAX_CHARS = 200;
  const ADDRESS_MAX_CHARS = 200;

  // Argument checkers: each returns an error text, or null when the value is valid.
  const CHECKS = Object.freeze({
    tabId: (value) => (Number.isInteger(value) && value >= 0 ? null : "a tab id (an integer of 0 or more)"),
    entryId: (value) => (typeof value === "string" && value.length > 0 && value.length <= ENTRY_ID_MAX_CHARS ? null : `an entry id string of 1-${ENTRY_ID_MAX_CHARS} characters`),
    revision: (value) => (Number.isInteger(value) && value >= 1 ? null : "a revision (an integer of 1 or more)"),
    text: (value) => (typeof value === "string" && value.length <= TEXT_MAX_CHARS ? null : `a string of at most ${TEXT_MAX_CHARS} characters`),
    secret: (value) => (typeof value === "string" && value.length > 0 && value.length <= TEXT_MAX_CHARS ? null : `a non-empty string of at most ${TEXT_MAX_CHARS} characters`),
    query: (value) => (typeof value === "string" && value.trim() !== "" && value.length <= QUERY_MAX_CHARS ? null : `a non-empty search text of at most ${QUERY_MAX_CHARS} characters`),
    address: (value) => (typeof value === "string" && value.length > 0 && value.length <= ADDRESS_MAX_CHARS ? null : `an address of 1-${ADDRESS_MAX_CHARS} characters`),
    origin: (value) => (typeof value === "string" && /^https?:\/\/[^/]+$/.test(value) ? null : "an http or https origin such as https://example.com"),
    copyField: (value) => (["username", "password", "totp"].includes(value) ? null : "one of username, password, totp"),
    length: (value) => (Number.isInteger(value) && value >= 4 && value <= 256 ? null : "an integer from 4 to 256"),
    boolean: (value) => (typeof value === "boolean" ? null : "true or false"),
  });

  // type -> {sender, required: {name: check}, optional: {name: check}}
  const MESSAGES = Object.freeze({
    status: { sender: "popup", required: {}, optional: {} },
    unlock: { sender: "popup", required: {}, optional: {} },
    lock: { sender: "popup", required: {}, optional: {} },
    match: { sender: "popup", required: { tabId: "tabId" }, optional: {} },
    search: { sender: "popup", required: { query: "query" }, optional: {} },
    fill: { sender: "popup", required: { tabId: "tabId", entryId: "entryId" }, optional: { confirmActionOrigin: "origin" } },
    reveal: { sender: "popup", required: { tabId: "tabId", entryId: "entryId", field: "copyField" }, optional: {} },
    copied: { sender: "popup", required: { value: "secret" }, optional: {} },
    generate: { sender: "popup", required: { length: "length", symbols: "boolean" }, optional: {} },
    fill_generated: { sender: "popup", required: { tabId: "tabId", password: "secret" }, optional: {} },
    fill_address: { sender: "popup", required: { tabId: "tabId", address: "address" }, optional: {} },
    watch: { sender: "popup", required: { tabId: "tabId" }, optional: {} },
    pending_save: { sender: "popup", required: { tabId: "tabId" }, optional: {} },
    save: { sender: "popup", required: { tabId: "tabId" }, optional: { entryId: "entryId", expectedRevision: "revision" } },
    dismiss_save: { sender: "popup", required: { tabId: "tabId" }, optional: {} },
    captured: { sender: "content", required: { username: "text", password: "secret" }, optional: {} },
  });

  /**
   * Classify a runtime.MessageSender: "popup", "content" or null (ignored).
   * extensionOrigin is runtime.getURL("") ("chrome-extension://<id>/").
   */
  function senderKind(sender, extensionId, extensionOrigin) {
    if (!sender || typeof sender !== "object" || sender.id !== extensionId || typeof sender.url !== "string") {
      return null;
    }
    if (sender.url.startsWith(`${extensionOrigin}popup.html`)) {
      return "popup";
    }
    const inWebPage = /^https?:/.test(sender.url);
    if (inWebPage && sender.tab && Number.isInteger(sender.tab.id) && Number.isInteger(sender.frameId)) {
      return "content";
    }
    return null;
  }

  /**
   * Check one message against its type's table. Returns {type, args} with only the
   * listed arguments; throws TypeError naming the type and the bad field.
   */
  function checkMessage(message, kind) {
    if (message === null || typeof message !== "object" || Array.isArray(message) || typeof message.type !== "string") {
      throw new TypeError("expected a message object with a string type");
    }
    const spec = Object.prototype.hasOwnProperty.call(MESSAGES, message.type) ? MESSAGES[message.type] : null;
    if (spec === null) {
      throw new TypeError(`unknown message type ${JSON.stringify(message.type.slice(0, 40))}`);
    }
    if (spec.sender !== kind) {
      throw new TypeError(`message type ${message.type} is not accepted from a ${kind} sender`);
    }

    const args = {};
    for (const name of Object.keys(message)) {
      if (name !== "type" && !(name in spec.required) && !(name in spec.optional)) {
        throw new TypeError(`${message.type}: unexpected field ${JSON.stringify(name.slice(0, 40))}`);
      }
    }
    for (const [name, check] of Object.entries({ ...spec.required, ...spec.optional })) {
      const present = Object.prototype.hasOwnProperty.call(message, name) && message[name] !== undefined;
      if (!present) {
        if (name in spec.required) {
          throw new TypeError(`${message.type}: missing field ${name}, expected ${CHECKS[check](undefined)}`);
        }
        continue;
      }
      const problem = CHECKS[check](message[name]);
      if (problem !== null) {
        throw new TypeError(`${message.type}: field ${name} must be ${problem}`);
      }
      args[name] = message[name];
    }
    return { type: message.type, args };
  }

  const api = { MESSAGES, senderKind, checkMessage };
  if (typeof module === "object" && module.exports) {
    module.exports = api;
  } else {
    root.QvaultMessages = api;
  }
})(globalThis);
