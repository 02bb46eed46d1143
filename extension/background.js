/**
 * Qvault's background: the only code that talks to the native host.
 *
 * It routes runtime messages from the popup and from its own content scripts,
 * after checking who sent them (lib/messages.js) and their arguments. Replies
 * reuse the host's envelope ({ok: true, ...} or {ok: false, error: {code, name,
 * message}}). Page URLs always come from the browser's records of tabs, frames
 * and message senders, never from page content. Filling lives in lib/fill.js,
 * pending saves in lib/saves.js, the clipboard clear in lib/clipboard.js.
 */
"use strict";

const LIBRARIES = [
  "lib/protocol.js", "lib/errors.js", "lib/origin.js", "lib/host-connection.js", "lib/messages.js",
  "lib/listing.js", "lib/fields.js", "lib/saves.js", "lib/clipboard.js", "lib/fill.js",
];
// Chromium runs this file as a classic service worker; Firefox as a background
// page that already loaded the same list from the manifest's "scripts".
if (typeof importScripts === "function") {
  importScripts(...LIBRARIES);
}

const api = globalThis.browser ?? globalThis.chrome;
const { HostConnection, HostError } = globalThis.QvaultHost;
const { senderKind, checkMessage } = globalThis.QvaultMessages;
const { collectPages } = globalThis.QvaultListing;
const { PendingSaves, chooseOffer } = globalThis.QvaultSaves;
const { fillableOrigin } = globalThis.QvaultOrigin;

const host = new HostConnection({
  connect: (name) => api.runtime.connectNative(name),
  lastError: () => api.runtime.lastError?.message,
});
const filler = globalThis.QvaultFill.createFiller({ api, host });
const pendingSaves = new PendingSaves();
const scheduleClipboardClear = globalThis.QvaultClipboard.createClearScheduler(api);

function toErrorReply(error) {
  if (error instanceof HostError) {
    return { ok: false, error: error.toEnvelope() };
  }
  if (error instanceof TypeError) {
    return { ok: false, error: { code: null, name: "BAD_MESSAGE", message: error.message } };
  }
  console.error("Qvault: unexpected failure", error);
  return { ok: false, error: { code: null, name: "FILL_FAILED", message: String(error && error.message) } };
}

async function listAll(verb, args) {
  const { entries, truncated } = await collectPages((pageArgs) => host.request(verb, pageArgs), args);
  return { entries, truncated };
}

/** Offer to save or update the login last submitted in the tab; never returns its password. */
async function pendingSaveOffer(tabId) {
  const capture = pendingSaves.get(tabId);
  if (capture === null) {
    return { ok: true, offer: null };
  }
  const { entries } = await listAll("match", { url: capture.url });
  const choice = chooseOffer(capture, entries);
  const offer = { kind: choice.kind, origin: capture.origin, username: capture.username };
  if (choice.kind === "update") {
    const stored = await host.request("get_login", { entry_id: choice.entry.id, url: capture.url });
    if (stored.password === capture.password) {
      // The person signed in with the saved password: nothing to offer.
      pendingSaves.delete(tabId);
      return { ok: true, offer: null };
    }
    Object.assign(offer, { entryId: choice.entry.id, revision: choice.entry.revision, title: choice.entry.title });
  }
  return { ok: true, offer };
}

/** Save the tab's pending login: a new entry, or an update of entryId at the revision the popup showed. */
async function savePending(tabId, entryId, expectedRevision) {
  const capture = pendingSaves.get(tabId);
  if (capture === null) {
    throw new HostError("NO_PENDING_SAVE", `no submitted login is waiting to be saved for tab ${tabId}`);
  }
  const args = { url: capture.url, username: capture.username, password: capture.password };
  if (entryId !== undefined) {
    if (expectedRevision === undefined) {
      throw new TypeError("save: updating an entry needs expectedRevision");
    }
    Object.assign(args, { entry_id: entryId, expected_revision: expectedRevision });
  }
  // On CONFLICT the capture stays, so the popup can show the new revision and try again.
  const reply = await host.request("save_login", args);
  pendingSaves.delete(tabId);
  return { ok: true, entryId: reply.entry_id, revision: reply.revision, created: reply.created === true };
}

async function reveal(tabId, entryId, field) {
  const page = await filler.pageOf(tabId);
  if (field === "totp") {
    try {
      const reply = await host.request("totp", { entry_id: entryId, url: page.url });
      return { ok: true, value: reply.code, remaining: reply.remaining };
    } catch (error) {
      if (error instanceof HostError && error.errorName === "NOT_FOUND") {
        throw new HostError("NO_TOTP", error.message, error.code);
      }
      throw error;
    }
  }
  const login = await host.request("get_login", { entry_id: entryId, url: page.url });
  return { ok: true, value: field === "username" ? login.username ?? "" : login.password ?? "" };
}

const POPUP_HANDLERS = {
  status: async () => {
    const reply = await host.request("status");
    return { ok: true, state: reply.state, entries: reply.entries ?? null };
  },
  unlock: async () => ({ ok: true, state: (await host.request("unlock")).state }),
  lock: async () => {
    pendingSaves.clear();
    return { ok: true, state: (await host.request("lock")).state };
  },
  match: async ({ tabId }) => {
    const page = await filler.pageOf(tabId);
    return { ok: true, origin: page.origin, ...(await listAll("match", { url: page.url })) };
  },
  search: async ({ query }) => ({ ok: true, ...(await listAll("search", { query: query.trim() })) }),
  fill: ({ tabId, entryId, confirmActionOrigin }) => filler.fillEntry(tabId, entryId, confirmActionOrigin),
  reveal: ({ tabId, entryId, field }) => reveal(tabId, entryId, field),
  copied: async ({ value }) => ({ ok: true, clearedBy: await scheduleClipboardClear(value) }),
  generate: async ({ length, symbols }) => {
    const reply = await host.request("generate", { kind: "password", length, symbols });
    return { ok: true, password: reply.password, entropyBits: reply.entropy_bits };
  },
  fill_generated: ({ tabId, password }) => filler.fillGenerated(tabId, password),
  fill_address: ({ tabId, address }) => filler.fillAddress(tabId, address),
  watch: ({ tabId }) => filler.watch(tabId),
  pending_save: ({ tabId }) => pendingSaveOffer(tabId),
  save: ({ tabId, entryId, expectedRevision }) => savePending(tabId, entryId, expectedRevision),
  dismiss_save: async ({ tabId }) => {
    pendingSaves.delete(tabId);
    return { ok: true };
  },
};

/** Keep a login submitted in a page; the URL is the sender frame's, as the browser records it. */
function onCaptured({ username, password }, sender) {
  const origin = fillableOrigin(sender.url);
  if (origin === null) {
    return { ok: false, error: { code: null, name: "PAGE_NOT_FILLABLE", message: "the sender is not an http or https page" } };
  }
  pendingSaves.put(sender.tab.id, { url: sender.url, origin, username, password });
  return { ok: true };
}

api.runtime.onMessage.addListener((message, sender, sendResponse) => {
  const kind = senderKind(sender, api.runtime.id, api.runtime.getURL(""));
  if (kind === null) {
    // The offscreen document's own traffic, or a sender that is not ours.
    return false;
  }

  let checked;
  try {
    checked = checkMessage(message, kind);
  } catch (error) {
    console.warn("Qvault: rejected a message:", error.message);
    sendResponse(toErrorReply(error));
    return false;
  }

  if (kind === "content") {
    sendResponse(onCaptured(checked.args, sender));
    return false;
  }
  POPUP_HANDLERS[checked.type](checked.args).then(sendResponse, (error) => sendResponse(toErrorReply(error)));
  // Keeps the message channel open for the asynchronous reply.
  return true;
});

/** Fill the best match into the tab; the keyboard shortcut grants activeTab on it. */
async function fillBestMatch(tab) {
  const status = await host.request("status");
  if (status.state === "locked") {
    await host.request("unlock");
  }
  const page = await filler.pageOf(tab.id);
  const { entries } = await listAll("match", { url: page.url });
  await filler.watch(tab.id);
  if (entries.length === 0) {
    console.info("Qvault: no saved login matches this page");
    return { ok: false, error: { code: null, name: "NO_MATCH", message: "no saved login matches this page" } };
  }
  // No confirmation UI here: a form posting to another origin is not filled.
  return filler.fillEntry(tab.id, entries[0].id, undefined);
}

/** Handle a commands.onCommand event. Tests call it directly, because headless Chromium assigns no shortcut. */
function onCommand(command, tab) {
  if (command !== "fill-best-match") {
    console.warn("Qvault: ignored unknown command", command);
    return Promise.resolve({ ok: false, error: { code: null, name: "BAD_MESSAGE", message: `unknown command ${command}` } });
  }
  if (!tab || !Number.isInteger(tab.id) || tab.id < 0) {
    console.warn("Qvault: the fill command arrived without a tab");
    return Promise.resolve({ ok: false, error: { code: null, name: "NO_PAGE_ACCESS", message: "the command has no tab" } });
  }
  return fillBestMatch(tab).catch((error) => {
    const reply = toErrorReply(error);
    console.warn("Qvault: fill command failed:", reply.error.name, reply.error.message);
    return reply;
  });
}

api.commands.onCommand.addListener(onCommand);
globalThis.qvaultOnCommand = onCommand;
