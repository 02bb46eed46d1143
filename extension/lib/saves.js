/**
 * Logins typed and submitted on a page, waiting for the person to save or update
 * them from the popup. Kept in the background's memory only, for a few minutes,
 * and dropped on lock: they are never used to fill.
 */
(function (root) {
  "use strict";

  const PENDING_TTL_MS = 5 * 60 * 1000;
  const MAX_PENDING = 20;

  /** Captured logins per tab: {url, origin, username, password, at}. */
  class PendingSaves {
    constructor({ now = () => Date.now(), ttlMs = PENDING_TTL_MS, maxPending = MAX_PENDING } = {}) {
      this._now = now;
      this._ttlMs = ttlMs;
      this._maxPending = maxPending;
      this._byTab = new Map();
    }

    put(tabId, capture) {
      this._byTab.delete(tabId);
      this._byTab.set(tabId, { ...capture, at: this._now() });
      // Map keeps insertion order, so the first key is the oldest capture.
      while (this._byTab.size > this._maxPending) {
        this._byTab.delete(this._byTab.keys().next().value);
      }
    }

    /** Return the tab's capture, or null when there is none or it expired. */
    get(tabId) {
      const capture = this._byTab.get(tabId);
      if (capture === undefined) {
        return null;
      }
      if (this._now() - capture.at > this._ttlMs) {
        this._byTab.delete(tabId);
        return null;
      }
      return capture;
    }

    delete(tabId) {
      this._byTab.delete(tabId);
    }

    clear() {
      this._byTab.clear();
    }

    get size() {
      return this._byTab.size;
    }
  }

  /**
   * Choose what to offer for a capture, given the match entries of its page:
   * {kind: "update", entry} for a login of the same user name, else {kind: "new"}.
   * An exact-origin entry wins over a same-domain one, as in the match order.
   */
  function chooseOffer(capture, entries) {
    const sameUser = (entries || []).filter((entry) => entry && entry.type === "login" && entry.username === capture.username);
    const exact = sameUser.find((entry) => entry.match === "exact");
    const entry = exact ?? sameUser[0];
    return entry === undefined ? { kind: "new" } : { kind: "update", entry };
  }

  const api = { PENDING_TTL_MS, PendingSaves, chooseOffer };
  if (typeof module === "object" && module.exports) {
    module.exports = api;
  } else {
    root.QvaultSaves = api;
  }
})(globalThis);
