/**
 * Qvault's background: the only code that talks to the native host.
 *
 * The popup sends typed runtime messages here; replies reuse the host's envelope
 * ({ok: true, ...} or {ok: false, error: {code, name, message}}). The page URL used
 * for matching and filling always comes from the browser's record of the tab,
 * never from page content. Credentials pass through on their way into the page
 * and are never stored.
 */
"use strict";

// Chromium runs this file as a classic service worker, Firefox as a background
// page that has already loaded lib/*.js from the manifest's "scripts" list.
if (typeof importScripts === "function") {
  importScripts("lib/protocol.js", "lib/errors.js", "lib/origin.js", "lib/host-connection.js");
}

const api = globalThis.browser ?? globalThis.chrome;
const { HostConnection, HostError } = globalThis.QvaultHost;
const { fillableOrigin, isSchemeDowngrade } = globalThis.QvaultOrigin;

const ENTRY_ID_MAX_CHARS = 128;

const host = new HostConnection({
  connect: (name) => api.runtime.connectNative(name),
  lastError: () => api.runtime.lastError?.message,
});

function failure(name, message) {
  return new HostError(name, message);
}

function toErrorReply(error) {
  if (error instanceof HostError) {
    return { ok: false, error: error.toEnvelope() };
  }
  console.error("Qvault: unexpected failure", error);
  return { ok: false, error: { code: null, name: "FILL_FAILED", message: String(error && error.message) } };
}

/** Return the tab's URL and origin, as the browser records them, or throw HostError. */
async function pageOf(tabId) {
  const tab = await api.tabs.get(tabId);
  // Without activeTab (or with another tab) the browser hides the URL.
  if (typeof tab.url !== "string" || tab.url === "") {
    throw failure("NO_PAGE_ACCESS", `tab ${tabId} has no readable URL`);
  }
  const origin = fillableOrigin(tab.url);
  if (origin === null) {
    throw failure("PAGE_NOT_FILLABLE", "the page is not an http or https page");
  }
  return { url: tab.url, origin };
}

async function handleStatus() {
  const reply = await host.request("status");
  return { ok: true, state: reply.state, entries: reply.entries ?? null };
}

async function handleUnlock() {
  const reply = await host.request("unlock");
  return { ok: true, state: reply.state };
}

async function handleLock() {
  const reply = await host.request("lock");
  return { ok: true, state: reply.state };
}

async function handleMatch(tabId) {
  const page = await pageOf(tabId);
  const reply = await host.request("match", { url: page.url });
  if (!Array.isArray(reply.entries)) {
    throw failure("BAD_REPLY", "match reply has no entries list");
  }
  // TODO: follow next_cursor when a page lists more logins than one reply holds.
  return { ok: true, origin: page.origin, entries: reply.entries };
}

/**
 * Fill one entry into the tab's top frame. The host re-checks that the entry
 * matches the page; the injected code re-checks the frame's origin just before
 * it writes, because the tab may navigate while the host replies.
 */
async function fillEntry(tabId, entryId) {
  const page = await pageOf(tabId);
  const login = await host.request("get_login", { entry_id: entryId, url: page.url });
  if (isSchemeDowngrade(login.url, page.url)) {
    throw failure("INSECURE_PAGE", "an HTTPS login was not filled into an HTTP page");
  }

  const target = { tabId, frameIds: [0] };
  await api.scripting.executeScript({ target, files: ["lib/fields.js"] });
  const results = await api.scripting.executeScript({
    target,
    func: (expectedOrigin, username, password) => globalThis.QvaultFields.fillLogin(expectedOrigin, username, password),
    args: [page.origin, login.username ?? "", login.password ?? ""],
  });

  const result = results && results[0] && results[0].result;
  if (!result || typeof result !== "object") {
    throw failure("FILL_FAILED", "the page did not report a fill result");
  }
  if (result.ok !== true) {
    throw failure(typeof result.reason === "string" ? result.reason : "FILL_FAILED", "the page was not filled");
  }

  const actionOrigin = result.formActionOrigin;
  const crossOriginAction = typeof actionOrigin === "string" && actionOrigin !== "null" && actionOrigin !== page.origin;
  return {
    ok: true,
    filled: { username: result.username === true, password: result.password === true },
    formActionOrigin: crossOriginAction ? actionOrigin : null,
  };
}

function isValidTabId(value) {
  return Number.isInteger(value) && value >= 0;
}

function isValidEntryId(value) {
  return typeof value === "string" && value.length > 0 && value.length <= ENTRY_ID_MAX_CHARS;
}

/** Route one popup message to its handler. Throws TypeError naming what was expected. */
function dispatch(message) {
  switch (message.type) {
    case "status":
      return handleStatus();
    case "unlock":
      return handleUnlock();
    case "lock":
      return handleLock();
    case "match":
      if (!isValidTabId(message.tabId)) {
        throw new TypeError(`match: expected an integer tabId, got ${JSON.stringify(message.tabId)}`);
      }
      return handleMatch(message.tabId);
    case "fill":
      if (!isValidTabId(message.tabId)) {
        throw new TypeError(`fill: expected an integer tabId, got ${JSON.stringify(message.tabId)}`);
      }
      if (!isValidEntryId(message.entryId)) {
        throw new TypeError(`fill: expected an entryId string of 1-${ENTRY_ID_MAX_CHARS} characters`);
      }
      return fillEntry(message.tabId, message.entryId);
    default:
      console.warn("Qvault: ignored a message of unknown type", message.type);
      throw new TypeError(`expected a message type of status, unlock, lock, match or fill, got ${JSON.stringify(message.type)}`);
  }
}

/**
 * Accept messages only from this extension's own popup: the sender must be this
 * extension and must not be a tab (content scripts and extension pages opened as
 * tabs carry sender.tab).
 */
function isFromPopup(sender) {
  return sender.id === api.runtime.id && sender.tab === undefined && typeof sender.url === "string" && sender.url.startsWith(api.runtime.getURL("popup.html"));
}

api.runtime.onMessage.addListener((message, sender, sendResponse) => {
  if (!isFromPopup(sender)) {
    console.warn("Qvault: ignored a runtime message from", sender.url || sender.id);
    return false;
  }
  if (message === null || typeof message !== "object" || typeof message.type !== "string") {
    sendResponse({ ok: false, error: { code: null, name: "BAD_MESSAGE", message: "expected an object with a string type" } });
    return false;
  }

  let pending;
  try {
    pending = dispatch(message);
  } catch (error) {
    const name = error instanceof TypeError ? "BAD_MESSAGE" : "FILL_FAILED";
    sendResponse({ ok: false, error: { code: null, name, message: error.message } });
    return false;
  }
  pending.then(sendResponse, (error) => sendResponse(toErrorReply(error)));
  // Keeps the message channel open for the asynchronous reply.
  return true;
});

/** Fill the best match into the active tab; the keyboard shortcut grants activeTab. */
async function fillBestMatch(tab) {
  const status = await host.request("status");
  if (status.state === "locked") {
    await host.request("unlock");
  }
  const matches = await handleMatch(tab.id);
  if (matches.entries.length === 0) {
    console.info("Qvault: no saved login matches this page");
    return;
  }
  await fillEntry(tab.id, matches.entries[0].id);
}

api.commands.onCommand.addListener((command, tab) => {
  if (command !== "fill-best-match") {
    console.warn("Qvault: ignored unknown command", command);
    return;
  }
  if (!tab || !isValidTabId(tab.id)) {
    console.warn("Qvault: the fill command arrived without a tab");
    return;
  }
  fillBestMatch(tab).catch((error) => {
    const reply = toErrorReply(error);
    console.warn("Qvault: fill command failed:", reply.error.name, reply.error.message);
  });
});
