/**
 * Follows next_cursor through the pages of a match or search reply, and decides
 * which frames of a tab may be filled. Pure logic, shared with node tests.
 */
(function (root) {
  "use strict";

  // The host sends at most 200 entries per page; 25 pages are 5,000 entries, far
  // more than a popup can show, and the cap keeps a broken cursor from looping.
  const MAX_PAGES = 25;

  /**
   * Call request(args) for the first page, then with {cursor: next_cursor} until
   * the host returns no cursor. Returns {entries, truncated}. Rejects with
   * TypeError when a reply has no entries list or repeats a cursor.
   */
  async function collectPages(request, args, maxPages = MAX_PAGES) {
    const entries = [];
    const seen = new Set();
    let cursor = null;
    for (let page = 0; page < maxPages; page += 1) {
      const reply = await request(cursor === null ? args : { ...args, cursor });
      if (!reply || !Array.isArray(reply.entries)) {
        throw new TypeError("the reply has no entries list");
      }
      entries.push(...reply.entries);
      const next = reply.next_cursor;
      if (next === null || next === undefined) {
        return { entries, truncated: false };
      }
      if (typeof next !== "string" || seen.has(next)) {
        throw new TypeError(`the reply repeats or mistypes its next_cursor ${JSON.stringify(String(next).slice(0, 20))}`);
      }
      seen.add(next);
      cursor = next;
    }
    return { entries, truncated: true };
  }

  /**
   * Sort the frames of webNavigation.getAllFrames for a fill on a page of
   * topOrigin. Returns {candidates: frames of exactly that origin, the top frame
   * first, then by frame id; others: origins of every other frame}.
   * originOf(url) returns a frame's http(s) origin or null.
   */
  function fillCandidates(frames, topOrigin, originOf) {
    const candidates = [];
    const others = new Set();
    for (const frame of frames || []) {
      if (!frame || !Number.isInteger(frame.frameId)) {
        continue;
      }
      const origin = originOf(frame.url);
      if (origin === topOrigin) {
        candidates.push({ frameId: frame.frameId, url: frame.url });
      } else if (origin !== null) {
        others.add(origin);
      }
    }
    // Frame 0 is the top frame; the others go by frame id, which grows as frames are created.
    candidates.sort((a, b) => a.frameId - b.frameId);
    return { candidates, others: Array.from(others) };
  }

  const api = { MAX_PAGES, collectPages, fillCandidates };
  if (typeof module === "object" && module.exports) {
    module.exports = api;
  } else {
    root.QvaultListing = api;
  }
})(globalThis);
