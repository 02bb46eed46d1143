/**
 * Clearing what Qvault copied: 45 s after a copy, the clipboard is emptied, but
 * only while it still contains that value, so text the person copied since is kept.
 * The value itself is not kept meanwhile: only a salted SHA-256 digest of it.
 *
 * Chromium's service worker has no clipboard, so an offscreen document
 * (offscreen.html) keeps the timer and does the read and the clear. Firefox has
 * no offscreen documents; its background page does both itself (best effort:
 * a timer is lost when Firefox unloads an idle background page).
 */
(function (root) {
  "use strict";

  const CLEAR_AFTER_MS = 45 * 1000;

  function toHex(bytes) {
    return Array.from(new Uint8Array(bytes), (byte) => byte.toString(16).padStart(2, "0")).join("");
  }

  /** Return the hex SHA-256 digest of salt and value. */
  async function digestOf(salt, value) {
    const data = new TextEncoder().encode(`${salt}\u0000${value}`);
    return toHex(await root.crypto.subtle.digest("SHA-256", data));
  }

  /** Return a fresh random salt: 16 bytes as hex. */
  function newSalt() {
    return toHex(root.crypto.getRandomValues(new Uint8Array(16)));
  }

  /**
   * Empty the clipboard when it still contains the value whose digest is given.
   * readText and clear are async functions of the clipboard in use. Returns
   * "cleared", "changed" (something else is there now: kept) or "unreadable".
   */
  async function clearIfOurs({ salt, digest }, readText, clear) {
    let current;
    try {
      current = await readText();
    } catch (unusedError) {
      return "unreadable";
    }
    if (typeof current !== "string" || current === "" || (await digestOf(salt, current)) !== digest) {
      return "changed";
    }
    await clear();
    return "cleared";
  }

  /**
   * One pending clear at a time: a newer copy replaces the older timer, because
   * the clipboard can hold only the newer value anyway.
   */
  class ClearTimer {
    constructor({ readText, clear, timers = root }) {
      this._readText = readText;
      this._clear = clear;
      this._timers = timers;
      this._pending = null;
      this._handle = null;
    }

    /** Schedule a clear of the value with this {salt, digest} after delayMs. */
    schedule(token, delayMs = CLEAR_AFTER_MS) {
      this.cancel();
      this._pending = token;
      this._handle = this._timers.setTimeout(() => {
        this.runNow().catch((error) => console.warn("Qvault: clipboard clear failed:", error && error.message));
      }, delayMs);
    }

    cancel() {
      if (this._handle !== null) {
        this._timers.clearTimeout(this._handle);
      }
      this._handle = null;
      this._pending = null;
    }

    /** Run the pending clear now; returns clearIfOurs's result, or "none". */
    async runNow() {
      const token = this._pending;
      this.cancel();
      if (token === null) {
        return "none";
      }
      return clearIfOurs(token, this._readText, this._clear);
    }

    get pending() {
      return this._pending !== null;
    }
  }

  const OFFSCREEN_PATH = "offscreen.html";

  /**
   * Return schedule(value) for the background: it arms the clear of a value the
   * popup just copied, in the offscreen document (Chromium) or in this background
   * page (Firefox).
   */
  function createClearScheduler(browserApi, delayMs = CLEAR_AFTER_MS) {
    let localTimer = null;
    let creating = null;

    async function ensureOffscreen() {
      const url = browserApi.runtime.getURL(OFFSCREEN_PATH);
      const contexts = await browserApi.runtime.getContexts({ contextTypes: ["OFFSCREEN_DOCUMENT"], documentUrls: [url] });
      if (contexts.length > 0) {
        return;
      }
      // Two copies at once would race to create the one allowed document.
      creating ??= browserApi.offscreen.createDocument({
        url: OFFSCREEN_PATH,
        reasons: ["CLIPBOARD"],
        justification: "Empty the clipboard 45 s after Qvault copied a password, if it still holds it.",
      }).finally(() => {
        creating = null;
      });
      await creating;
    }

    return async function schedule(value) {
      const salt = newSalt();
      const token = { salt, digest: await digestOf(salt, value) };
      if (browserApi.offscreen && typeof browserApi.offscreen.createDocument === "function") {
        await ensureOffscreen();
        await browserApi.runtime.sendMessage({ target: "offscreen", type: "clear_later", ...token, delayMs });
        return "offscreen";
      }
      localTimer ??= new ClearTimer({
        readText: () => root.navigator.clipboard.readText(),
        clear: () => root.navigator.clipboard.writeText(""),
      });
      localTimer.schedule(token, delayMs);
      return "background";
    };
  }

  const api = { CLEAR_AFTER_MS, digestOf, newSalt, clearIfOurs, ClearTimer, createClearScheduler };
  if (typeof module === "object" && module.exports) {
    module.exports = api;
  } else {
    root.QvaultClipboard = api;
  }
})(globalThis);
