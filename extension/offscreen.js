/**
 * Chromium's offscreen document for the clipboard: it keeps the timer of the
 * 45-second clear and reads and empties the clipboard, which a service worker
 * cannot do. It accepts one message, clear_later, from the background only.
 */
"use strict";

const api = globalThis.chrome;
const textarea = document.getElementById("clipboard");

/** Read the clipboard's text; needs the clipboardRead permission. */
async function readText() {
  textarea.value = "";
  textarea.focus();
  if (!document.execCommand("paste")) {
    throw new Error("the clipboard could not be read");
  }
  return textarea.value;
}

/** Replace the clipboard's content with empty text. */
async function clear() {
  const putEmpty = (event) => {
    event.clipboardData.setData("text/plain", "");
    event.preventDefault();
  };
  document.addEventListener("copy", putEmpty);
  try {
    if (!document.execCommand("copy")) {
      throw new Error("the clipboard could not be cleared");
    }
  } finally {
    document.removeEventListener("copy", putEmpty);
  }
}

const timer = new globalThis.QvaultClipboard.ClearTimer({ readText, clear });
// Tests run the due clear at once through this handle instead of waiting 45 s.
globalThis.qvaultClipboardTimer = timer;

function fromBackground(sender) {
  return sender.id === api.runtime.id && sender.tab === undefined && sender.url === api.runtime.getURL("background.js");
}

api.runtime.onMessage.addListener((message, sender, sendResponse) => {
  // Popup messages to the background reach this document too: leave them alone.
  if (!message || message.target !== "offscreen") {
    return false;
  }
  if (!fromBackground(sender) || message.type !== "clear_later") {
    console.warn("Qvault: the clipboard document ignored a message of type", message.type);
    return false;
  }
  const token = { salt: message.salt, digest: message.digest };
  if (typeof token.salt !== "string" || !/^[0-9a-f]{64}$/.test(String(token.digest)) || !Number.isInteger(message.delayMs) || message.delayMs < 0) {
    sendResponse({ ok: false, error: { code: null, name: "BAD_MESSAGE", message: "clear_later needs salt, a SHA-256 digest and delayMs" } });
    return false;
  }
  timer.schedule(token, message.delayMs);
  sendResponse({ ok: true });
  return false;
});
