/**
 * The toolbar popup: the vault's state, the logins saved for the current tab
 * (best match first), fill and copy, a search over the vault, the generator and
 * the offer to save a login typed on the page. All host traffic goes through the
 * background; the popup keeps entry metadata only while it is open.
 */
"use strict";

const api = globalThis.browser ?? globalThis.chrome;
const { userText } = globalThis.QvaultErrors;
const { renderLogin, renderResult } = globalThis.QvaultPopupRender;

const SEARCH_DELAY_MS = 250;
const STATE_LABELS = Object.freeze({ locked: "Locked", unlocked: "Unlocked", no_vault: "No vault", error: "Not connected" });

const $ = (testid) => document.querySelector(`[data-testid="${testid}"]`);
const view = {
  state: $("state"),
  message: $("message"),
  fillAnyway: $("fill-anyway"),
  unlock: $("unlock"),
  lock: $("lock"),
  saveOffer: $("save-offer"),
  saveText: $("save-text"),
  saveButton: $("save-login"),
  saveDismiss: $("save-dismiss"),
  logins: document.querySelector(".logins"),
  search: $("search"),
  matches: $("matches"),
  origin: $("origin"),
  entries: $("entries"),
  empty: $("empty"),
  searchArea: $("search-area"),
  results: $("search-results"),
  searchEmpty: $("search-empty"),
  generator: $("generator"),
  length: $("generator-length"),
  symbols: $("generator-symbols"),
  generate: $("generator-generate"),
  output: $("generator-output"),
  generatorCopy: $("generator-copy"),
  generatorFill: $("generator-fill"),
};

let activeTabId = null;
let currentOffer = null;
let searchTimer = null;

/** Send one message to the background; resolves with its reply envelope. */
async function send(message) {
  try {
    const reply = await api.runtime.sendMessage(message);
    if (reply && typeof reply === "object" && typeof reply.ok === "boolean") {
      return reply;
    }
    return { ok: false, error: { name: "BAD_REPLY", message: "the background sent no reply" } };
  } catch (error) {
    return { ok: false, error: { name: "BAD_REPLY", message: String(error && error.message) } };
  }
}

function showMessage(text, kind = "info") {
  view.message.textContent = text;
  view.message.dataset.kind = kind;
  view.message.dataset.errorName = "";
  view.message.hidden = text === "";
  view.fillAnyway.hidden = true;
}

function showError(error) {
  showMessage(userText(error), "error");
  view.message.dataset.errorName = error && error.name ? error.name : "";
}

function showState(state) {
  view.state.dataset.state = state;
  view.state.textContent = STATE_LABELS[state] ?? state;
  view.unlock.hidden = state !== "locked";
  view.lock.hidden = state !== "unlocked";
  if (state !== "unlocked") {
    view.logins.hidden = true;
    view.entries.replaceChildren();
    view.results.replaceChildren();
    showOffer(null);
  }
}

// Fill and copy.

async function fill(entryId, button, confirmActionOrigin) {
  button.disabled = true;
  const reply = await send({ type: "fill", tabId: activeTabId, entryId, confirmActionOrigin });
  button.disabled = false;
  if (reply.ok) {
    // Closing the popup returns focus to the page, ready to submit.
    window.close();
    return;
  }
  showError(reply.error);
  if (reply.error.name === "CROSS_ORIGIN_ACTION" && reply.error.details) {
    const target = reply.error.details.formActionOrigin;
    showMessage(`Warning: this form sends what you type to ${target}, not to this site. Nothing was filled.`, "warning");
    view.message.dataset.errorName = "CROSS_ORIGIN_ACTION";
    view.fillAnyway.hidden = false;
    view.fillAnyway.onclick = () => fill(entryId, view.fillAnyway, target);
  } else if (reply.error.name === "NEW_PASSWORD_FORM") {
    openGenerator();
  }
}

async function writeClipboard(value, clearLater) {
  await navigator.clipboard.writeText(value);
  if (clearLater) {
    const reply = await send({ type: "copied", value });
    if (!reply.ok) {
      console.warn("Qvault: the clipboard clear was not scheduled:", reply.error.name);
    }
  }
}

const COPY_LABELS = { username: "User name", password: "Password", totp: "One-time code" };

async function copy(entryId, field, button) {
  button.disabled = true;
  const reply = await send({ type: "reveal", tabId: activeTabId, entryId, field });
  button.disabled = false;
  if (!reply.ok) {
    showError(reply.error);
    return;
  }
  try {
    await writeClipboard(reply.value, field !== "username");
  } catch (error) {
    showMessage(`Copying failed: ${error.message}`, "error");
    return;
  }
  const clearing = field === "username" ? "" : " Qvault empties the clipboard in 45 s if it still holds it.";
  showMessage(`${COPY_LABELS[field]} copied.${clearing}`);
  view.message.dataset.copied = field;
}

const listActions = {
  fill: (entryId, button) => fill(entryId, button),
  copy,
  copyAddress: async (address) => {
    await navigator.clipboard.writeText(address);
    showMessage("Address copied. Check its first and last characters where you paste it.");
    view.message.dataset.copied = "address";
  },
  fillAddress: async (address, button) => {
    button.disabled = true;
    const reply = await send({ type: "fill_address", tabId: activeTabId, address });
    button.disabled = false;
    if (reply.ok) {
      showMessage("Address filled. Check its first and last characters on the page.");
    } else {
      showError(reply.error);
    }
  },
};

// Matches and search.

async function loadMatches() {
  const reply = await send({ type: "match", tabId: activeTabId });
  if (!reply.ok) {
    showError(reply.error);
    if (reply.error.name === "LOCKED") {
      showState("locked");
    }
    return;
  }
  view.origin.textContent = `Logins for ${reply.origin}`;
  view.entries.replaceChildren(...reply.entries.map((entry) => renderLogin(entry, listActions)));
  view.empty.hidden = reply.entries.length > 0;
  view.logins.hidden = false;
}

async function runSearch() {
  const query = view.search.value.trim();
  view.matches.hidden = query !== "";
  view.searchArea.hidden = query === "";
  if (query === "") {
    view.results.replaceChildren();
    return;
  }
  const reply = await send({ type: "search", query });
  if (view.search.value.trim() !== query) {
    return; // A newer search is on its way.
  }
  if (!reply.ok) {
    showError(reply.error);
    return;
  }
  view.results.replaceChildren(...reply.entries.map((entry) => renderResult(entry, listActions)));
  view.searchEmpty.hidden = reply.entries.length > 0;
  view.searchArea.dataset.query = query;
}

function scheduleSearch() {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(runSearch, SEARCH_DELAY_MS);
}

// Save or update a login typed on the page.

function showOffer(offer) {
  currentOffer = offer;
  view.saveOffer.hidden = offer === null;
  if (offer === null) {
    return;
  }
  const who = offer.username ? `"${offer.username}"` : "this login";
  if (offer.kind === "update") {
    view.saveText.textContent = `Update the saved password of ${who} on ${offer.origin}?`;
    view.saveButton.textContent = "Update password";
  } else {
    view.saveText.textContent = `Save ${who} for ${offer.origin}?`;
    view.saveButton.textContent = "Save";
  }
  view.saveOffer.dataset.kind = offer.kind;
  view.saveOffer.dataset.revision = offer.revision ?? "";
}

async function loadOffer() {
  const reply = await send({ type: "pending_save", tabId: activeTabId });
  showOffer(reply.ok ? reply.offer : null);
}

async function saveOffered() {
  if (currentOffer === null) {
    return;
  }
  const message = { type: "save", tabId: activeTabId };
  if (currentOffer.kind === "update") {
    Object.assign(message, { entryId: currentOffer.entryId, expectedRevision: currentOffer.revision });
  }
  view.saveButton.disabled = true;
  const reply = await send(message);
  view.saveButton.disabled = false;
  if (!reply.ok) {
    showError(reply.error);
    // After a conflict the offer comes back with the entry's new revision.
    await loadOffer();
    return;
  }
  showOffer(null);
  showMessage(reply.created ? "Login saved." : "Password updated.");
  await loadMatches();
}

// Generator.

async function generate() {
  const length = Number.parseInt(view.length.value, 10);
  if (!Number.isInteger(length) || length < 4 || length > 256) {
    showMessage("Choose a length from 4 to 256 characters.", "error");
    return;
  }
  const reply = await send({ type: "generate", length, symbols: view.symbols.checked });
  if (!reply.ok) {
    showError(reply.error);
    return;
  }
  view.output.value = reply.password;
}

function openGenerator() {
  view.generator.open = true;
  if (view.output.value === "") {
    generate();
  }
}

async function copyGenerated() {
  if (view.output.value === "") {
    await generate();
  }
  await writeClipboard(view.output.value, true);
  showMessage("Password copied. Qvault empties the clipboard in 45 s if it still holds it.");
  view.message.dataset.copied = "generated";
}

async function fillGenerated() {
  if (view.output.value === "") {
    await generate();
  }
  const reply = await send({ type: "fill_generated", tabId: activeTabId, password: view.output.value });
  if (reply.ok) {
    showMessage("Filled the new password. Save the login after you submit the form.");
  } else {
    showError(reply.error);
  }
}

// State.

async function refresh() {
  const reply = await send({ type: "status" });
  if (!reply.ok) {
    showState("error");
    showError(reply.error);
    return;
  }
  showState(reply.state);
  if (reply.state === "no_vault") {
    showError({ name: "NO_VAULT" });
    return;
  }
  if (activeTabId !== null) {
    // Lets the page's login be offered for saving after it is submitted.
    send({ type: "watch", tabId: activeTabId });
  }
  if (reply.state === "locked") {
    showMessage(userText({ name: "LOCKED" }));
  } else if (reply.state === "unlocked") {
    if (activeTabId === null) {
      showError({ name: "NO_PAGE_ACCESS" });
      view.logins.hidden = false;
      return;
    }
    await loadMatches();
    await loadOffer();
  }
}

async function unlock() {
  view.unlock.disabled = true;
  showMessage("Type your master password into the Qvault prompt.");
  const reply = await send({ type: "unlock" });
  view.unlock.disabled = false;
  if (!reply.ok) {
    showError(reply.error);
    return;
  }
  showMessage("");
  await refresh();
}

async function lock() {
  const reply = await send({ type: "lock" });
  if (!reply.ok) {
    showError(reply.error);
    return;
  }
  showState(reply.state);
  showMessage("Vault locked.");
}

/** Return the tab the popup acts on: the active tab, or ?tab=<id> when popup.html is opened as a page. */
async function targetTabId() {
  const named = new URLSearchParams(location.search).get("tab");
  if (named !== null && /^\d+$/.test(named)) {
    return Number(named);
  }
  const [tab] = await api.tabs.query({ active: true, currentWindow: true });
  return tab && Number.isInteger(tab.id) ? tab.id : null;
}

async function start() {
  view.unlock.addEventListener("click", unlock);
  view.lock.addEventListener("click", lock);
  view.search.addEventListener("input", scheduleSearch);
  view.search.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      clearTimeout(searchTimer);
      runSearch();
    }
  });
  view.saveButton.addEventListener("click", saveOffered);
  view.saveDismiss.addEventListener("click", async () => {
    await send({ type: "dismiss_save", tabId: activeTabId });
    showOffer(null);
  });
  view.generator.addEventListener("toggle", () => view.generator.open && openGenerator());
  view.generate.addEventListener("click", generate);
  view.generatorCopy.addEventListener("click", copyGenerated);
  view.generatorFill.addEventListener("click", fillGenerated);

  activeTabId = await targetTabId();
  await refresh();
  document.body.dataset.ready = "true";
}

start();
