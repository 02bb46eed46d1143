/**
 * The toolbar popup: shows the vault's state, the logins saved for the current
 * tab (best match first) and fills one on click. All host traffic goes through
 * the background; the popup keeps entry metadata only while it is open.
 */
"use strict";

const api = globalThis.browser ?? globalThis.chrome;
const { userText } = globalThis.QvaultErrors;

const STATE_LABELS = Object.freeze({
  locked: "Locked",
  unlocked: "Unlocked",
  no_vault: "No vault",
  error: "Not connected",
});

const view = {
  state: document.querySelector('[data-testid="state"]'),
  message: document.querySelector('[data-testid="message"]'),
  unlock: document.querySelector('[data-testid="unlock"]'),
  lock: document.querySelector('[data-testid="lock"]'),
  logins: document.querySelector(".logins"),
  origin: document.querySelector('[data-testid="origin"]'),
  search: document.querySelector('[data-testid="search"]'),
  entries: document.querySelector('[data-testid="entries"]'),
  empty: document.querySelector('[data-testid="empty"]'),
};

let activeTabId = null;
let matchedEntries = [];

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
  view.message.hidden = text === "";
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
    matchedEntries = [];
    view.logins.hidden = true;
    view.entries.replaceChildren();
  }
}

function entryButton(entry) {
  const item = document.createElement("li");
  const button = document.createElement("button");
  button.type = "button";
  button.dataset.testid = "entry";
  button.dataset.entryId = entry.id;

  const match = document.createElement("span");
  match.className = "entry-match";
  match.textContent = entry.match === "exact" ? "this site" : "same domain";
  const title = document.createElement("span");
  title.className = "entry-title";
  title.textContent = entry.title || "(untitled)";
  const username = document.createElement("span");
  username.className = "entry-username";
  username.textContent = entry.username || "";

  button.append(match, title, username);
  button.addEventListener("click", () => fill(entry.id, button));
  item.append(button);
  return item;
}

function renderEntries() {
  const filter = view.search.value.trim().toLowerCase();
  const shown = matchedEntries.filter((entry) => {
    if (filter === "") {
      return true;
    }
    return [entry.title, entry.username, entry.url].some((text) => typeof text === "string" && text.toLowerCase().includes(filter));
  });
  view.entries.replaceChildren(...shown.map(entryButton));
  view.empty.hidden = shown.length > 0;
  view.empty.textContent = matchedEntries.length === 0 ? "No saved login for this site." : "No login matches the filter.";
}

async function loadMatches() {
  if (activeTabId === null) {
    showError({ name: "NO_PAGE_ACCESS" });
    return;
  }
  const reply = await send({ type: "match", tabId: activeTabId });
  if (!reply.ok) {
    showError(reply.error);
    if (reply.error.name === "LOCKED") {
      showState("locked");
    }
    return;
  }
  matchedEntries = reply.entries;
  view.origin.textContent = `Logins for ${reply.origin}`;
  view.logins.hidden = false;
  renderEntries();
}

async function refresh() {
  const reply = await send({ type: "status" });
  if (!reply.ok) {
    showState("error");
    showError(reply.error);
    return;
  }
  showState(reply.state);
  if (reply.state === "locked") {
    showMessage("The vault is locked. Unlock it to see your logins.");
  } else if (reply.state === "no_vault") {
    showError({ name: "NO_VAULT" });
  } else if (reply.state === "unlocked") {
    showMessage("");
    await loadMatches();
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

async function fill(entryId, button) {
  button.disabled = true;
  const reply = await send({ type: "fill", tabId: activeTabId, entryId });
  button.disabled = false;
  if (!reply.ok) {
    showError(reply.error);
    return;
  }
  if (reply.formActionOrigin) {
    showMessage(`Filled. Warning: this form sends what you type to ${reply.formActionOrigin}, another site.`, "warning");
    return;
  }
  // Closing the popup returns focus to the page, ready to submit.
  window.close();
}

async function start() {
  view.unlock.addEventListener("click", unlock);
  view.lock.addEventListener("click", lock);
  view.search.addEventListener("input", renderEntries);

  const [tab] = await api.tabs.query({ active: true, currentWindow: true });
  activeTabId = tab && Number.isInteger(tab.id) ? tab.id : null;
  await refresh();
  document.body.dataset.ready = "true";
}

start();
