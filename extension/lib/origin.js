/**
 * URL and origin checks made before any fill. The host does the real entry
 * matching; these checks stop a fill the host's reply alone would not catch
 * (a page that navigated, an HTTPS credential going to an HTTP page).
 */
(function (root) {
  "use strict";

  const FILLABLE_PROTOCOLS = new Set(["http:", "https:"]);

  function parse(url) {
    if (typeof url !== "string" || url === "") {
      return null;
    }
    try {
      return new URL(url);
    } catch (unusedError) {
      return null;
    }
  }

  /**
   * Return the serialized origin of an http(s) URL ("https://xn--bcher-kva.example"),
   * or null for every other scheme (about:, data:, blob:, file:, chrome:) and for
   * unparsable text. The WHATWG URL parser lowercases the host, applies IDNA and
   * drops the default port, so equal origins compare equal as strings.
   */
  function fillableOrigin(url) {
    const parsed = parse(url);
    if (parsed === null || !FILLABLE_PROTOCOLS.has(parsed.protocol)) {
      return null;
    }
    return parsed.origin;
  }

  /**
   * Return true when a credential saved for savedUrl would go from HTTPS to a plain
   * HTTP page at pageUrl. An unparsable savedUrl counts as HTTPS, so the check fails closed.
   */
  function isSchemeDowngrade(savedUrl, pageUrl) {
    const page = parse(pageUrl);
    if (page === null || page.protocol !== "http:") {
      return false;
    }
    const saved = parse(savedUrl);
    return saved === null || saved.protocol !== "http:";
  }

  const api = { fillableOrigin, isSchemeDowngrade };
  if (typeof module === "object" && module.exports) {
    module.exports = api;
  } else {
    root.QvaultOrigin = api;
  }
})(globalThis);
