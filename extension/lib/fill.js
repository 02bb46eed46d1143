/**
 * Background side of filling: reads the tab and its frames from the browser's own
 * records, picks the frame to fill, requests the login from the host and injects the
 * fill for one user gesture. Credentials pass through on their way into the page
 * and are never stored.
 */
(function (root) {
  "use strict";

  const PAGE_SCRIPTS = ["lib/fields.js", "lib/page-fill.js"];
  const CAPTURE_SCRIPTS = ["lib/fields.js", "lib/page-capture.js"];
  const LOGIN_KINDS = new Set(["login", "password-only", "username-only"]);

  /**
   * @param {object} options
   * @param {object} options.api the browser namespace (chrome or browser)
   * @param {object} options.host a HostConnection
   */
  function createFiller({ api, host }) {
    const { HostError } = root.QvaultHost;
    const { fillableOrigin, isSchemeDowngrade } = root.QvaultOrigin;
    const { fillCandidates } = root.QvaultListing;
    const { actionAllowed } = root.QvaultFields;

    /** Return the tab's URL and origin as the browser records them, or throw HostError. */
    async function pageOf(tabId) {
      const tab = await api.tabs.get(tabId);
      // Without activeTab on this tab the browser hides its URL.
      if (typeof tab.url !== "string" || tab.url === "") {
        throw new HostError("NO_PAGE_ACCESS", `tab ${tabId} has no readable URL`);
      }
      const origin = fillableOrigin(tab.url);
      if (origin === null) {
        throw new HostError("PAGE_NOT_FILLABLE", "the page is not an http or https page");
      }
      return { url: tab.url, origin };
    }

    /** Run func(...args) in one frame after loading scripts there; return its result. */
    async function runInFrame(tabId, frameId, scripts, func, args) {
      const target = { tabId, frameIds: [frameId] };
      try {
        await api.scripting.executeScript({ target, files: scripts });
        const results = await api.scripting.executeScript({ target, func, args });
        return results && results[0] ? results[0].result : undefined;
      } catch (error) {
        throw new HostError("NO_PAGE_ACCESS", `could not run in frame ${frameId}: ${error && error.message}`);
      }
    }

    /** Return the frames of the tab that have the page's own origin, and the other frames' origins. */
    async function framesOf(tabId, page) {
      let frames = null;
      if (api.webNavigation && typeof api.webNavigation.getAllFrames === "function") {
        frames = await api.webNavigation.getAllFrames({ tabId });
      }
      if (!Array.isArray(frames) || frames.length === 0) {
        frames = [{ frameId: 0, url: page.url }];
      }
      return fillCandidates(frames, page.origin, fillableOrigin);
    }

    /**
     * Find the frame to fill: the top frame when it has a login form, else the first
     * frame of the same origin that has one. Frames of other origins, sibling
     * subdomains included, are never candidates. Returns {frame, probe}; throws
     * NEW_PASSWORD_FORM, CROSS_ORIGIN_FRAME or NO_FIELDS.
     */
    async function findLoginFrame(tabId, page, wantedKinds = LOGIN_KINDS) {
      const { candidates, others } = await framesOf(tabId, page);
      let newPasswordFrame = null;
      for (const frame of candidates) {
        const probe = await runInFrame(tabId, frame.frameId, PAGE_SCRIPTS, (origin) => globalThis.QvaultPageFill.probeLogin(origin), [page.origin]);
        if (!probe || probe.ok !== true) {
          continue;
        }
        if (wantedKinds.has(probe.kind)) {
          return { frame, probe };
        }
        if (probe.kind === "new-password" && newPasswordFrame === null) {
          newPasswordFrame = frame;
        }
      }
      if (newPasswordFrame !== null) {
        throw new HostError("NEW_PASSWORD_FORM", "this form asks for a new password; use the generator");
      }
      if (others.length > 0) {
        throw new HostError("CROSS_ORIGIN_FRAME", `the only other forms are in frames of other origins: ${others.join(", ")}`, null, { frameOrigins: others });
      }
      throw new HostError("NO_FIELDS", "no visible login fields in the page or its same-origin frames");
    }

    /**
     * Fill one entry. A form that posts to another origin is not filled unless
     * confirmActionOrigin names that origin (the popup's "Fill anyway").
     */
    async function fillEntry(tabId, entryId, confirmActionOrigin) {
      const page = await pageOf(tabId);
      const { frame, probe } = await findLoginFrame(tabId, page);
      if (!actionAllowed(page.origin, probe.formActionOrigin, confirmActionOrigin)) {
        throw crossOriginAction(probe.formActionOrigin);
      }

      const login = await host.request("get_login", { entry_id: entryId, url: frame.url });
      if (isSchemeDowngrade(login.url, frame.url)) {
        throw new HostError("INSECURE_PAGE", "an HTTPS login was not filled into an HTTP page");
      }
      const result = await runInFrame(
        tabId, frame.frameId, PAGE_SCRIPTS,
        (origin, username, password, confirmed) => globalThis.QvaultPageFill.fillLogin(origin, username, password, confirmed),
        [page.origin, login.username ?? "", login.password ?? "", confirmActionOrigin ?? null],
      );
      checkResult(result);
      return { ok: true, frameId: frame.frameId, filled: { username: result.username === true, password: result.password === true } };
    }

    /** Fill a generated password into the new-password fields of the page or a same-origin frame. */
    async function fillGenerated(tabId, password) {
      const page = await pageOf(tabId);
      const { frame } = await findLoginFrame(tabId, page, new Set(["new-password"])).catch((error) => {
        if (error instanceof HostError && error.errorName === "NEW_PASSWORD_FORM") {
          throw new HostError("NO_FIELDS", "no new-password field to fill");
        }
        throw error;
      });
      const result = await runInFrame(tabId, frame.frameId, PAGE_SCRIPTS,
        (origin, value) => globalThis.QvaultPageFill.fillNewPassword(origin, value), [page.origin, password]);
      checkResult(result);
      return { ok: true, count: result.count };
    }

    /** Fill a public address into the focused text field of the page or a same-origin frame. */
    async function fillAddress(tabId, address) {
      const page = await pageOf(tabId);
      const { candidates } = await framesOf(tabId, page);
      for (const frame of candidates) {
        const result = await runInFrame(tabId, frame.frameId, PAGE_SCRIPTS,
          (origin, value) => globalThis.QvaultPageFill.fillFocused(origin, value), [page.origin, address]);
        if (result && result.ok === true) {
          return { ok: true };
        }
      }
      throw new HostError("NO_FOCUSED_FIELD", "no focused text field to fill");
    }

    /** Start noticing logins submitted in the tab's same-origin frames. Best effort. */
    async function watch(tabId) {
      const page = await pageOf(tabId);
      const { candidates } = await framesOf(tabId, page);
      for (const frame of candidates) {
        try {
          await api.scripting.executeScript({ target: { tabId, frameIds: [frame.frameId] }, files: CAPTURE_SCRIPTS });
        } catch (error) {
          console.info("Qvault: could not watch frame", frame.frameId, error && error.message);
        }
      }
      return { ok: true };
    }

    return { pageOf, fillEntry, fillGenerated, fillAddress, watch };
  }

  function crossOriginAction(actionOrigin) {
    const { HostError } = root.QvaultHost;
    return new HostError("CROSS_ORIGIN_ACTION", `the form posts to ${actionOrigin}, another origin`, null, { formActionOrigin: actionOrigin });
  }

  function checkResult(result) {
    const { HostError } = root.QvaultHost;
    if (!result || typeof result !== "object") {
      throw new HostError("FILL_FAILED", "the page did not report a fill result");
    }
    if (result.ok === true) {
      return;
    }
    const reason = typeof result.reason === "string" ? result.reason : "FILL_FAILED";
    if (reason === "CROSS_ORIGIN_ACTION") {
      throw crossOriginAction(result.formActionOrigin);
    }
    throw new HostError(reason, "the page was not filled");
  }

  root.QvaultFill = { createFiller };
})(globalThis);
