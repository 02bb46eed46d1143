"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");
const { collectPages, fillCandidates } = require("../../extension/lib/listing.js");
const { fillableOrigin } = require("../../extension/lib/origin.js");

test("collectPages follows next_cursor", async () => {
  const pages = { undefined: { entries: [1, 2], next_cursor: "2" }, 2: { entries: [3], next_cursor: "3" }, 3: { entries: [4], next_cursor: null } };
  const seen = [];
  const result = await collectPages(async (args) => {
    seen.push(args);
    return pages[args.cursor];
  }, { url: "https://a.example/" });
  assert.deepEqual(result, { entries: [1, 2, 3, 4], truncated: false });
  assert.deepEqual(seen, [{ url: "https://a.example/" }, { url: "https://a.example/", cursor: "2" }, { url: "https://a.example/", cursor: "3" }]);
});

test("collectPages stops at the page cap", async () => {
  let n = 0;
  const result = await collectPages(async () => ({ entries: [n], next_cursor: String(++n) }), {}, 3);
  assert.deepEqual(result, { entries: [0, 1, 2], truncated: true });
});

test("collectPages rejects a repeated cursor", async () => {
  await assert.rejects(collectPages(async () => ({ entries: [], next_cursor: "5" }), {}), /repeats or mistypes its next_cursor "5"/);
  await assert.rejects(collectPages(async () => ({}), {}), /no entries list/);
});

test("fillCandidates keeps the exact origin only", () => {
  const frames = [
    { frameId: 7, url: "https://a.example/frame" },
    { frameId: 3, url: "https://login.a.example/" },
    { frameId: 0, url: "https://a.example/page" },
    { frameId: 5, url: "https://b.example/login" },
    { frameId: 6, url: "http://a.example/login" },
    { frameId: 8, url: "about:blank" },
  ];
  const { candidates, others } = fillCandidates(frames, "https://a.example", fillableOrigin);
  assert.deepEqual(candidates.map((frame) => frame.frameId), [0, 7]);
  assert.deepEqual(others.sort(), ["http://a.example", "https://b.example", "https://login.a.example"]);
});
