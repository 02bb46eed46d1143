"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");
const { MESSAGES, senderKind, checkMessage } = require("../../extension/lib/messages.js");

const ID = "njjfamoheclcgieedcikpfjkpfhfoamj";
const ORIGIN = `chrome-extension://${ID}/`;

test("senderKind popup and content", () => {
  assert.equal(senderKind({ id: ID, url: `${ORIGIN}popup.html` }, ID, ORIGIN), "popup");
  assert.equal(senderKind({ id: ID, url: `${ORIGIN}popup.html?tab=3`, tab: { id: 3 } }, ID, ORIGIN), "popup");
  assert.equal(senderKind({ id: ID, url: "https://a.example/login", tab: { id: 4 }, frameId: 0 }, ID, ORIGIN), "content");
});

test("senderKind rejects others", () => {
  assert.equal(senderKind({ id: "other", url: `${ORIGIN}popup.html` }, ID, ORIGIN), null);
  assert.equal(senderKind({ id: ID, url: `${ORIGIN}offscreen.html` }, ID, ORIGIN), null);
  assert.equal(senderKind({ id: ID, url: "https://a.example/", frameId: 0 }, ID, ORIGIN), null);
  assert.equal(senderKind({ id: ID, url: "file:///tmp/x.html", tab: { id: 1 }, frameId: 0 }, ID, ORIGIN), null);
  assert.equal(senderKind(undefined, ID, ORIGIN), null);
});

test("checkMessage keeps listed fields", () => {
  const checked = checkMessage({ type: "fill", tabId: 3, entryId: "e1", confirmActionOrigin: "https://b.example" }, "popup");
  assert.deepEqual(checked, { type: "fill", args: { tabId: 3, entryId: "e1", confirmActionOrigin: "https://b.example" } });
  assert.deepEqual(checkMessage({ type: "status" }, "popup"), { type: "status", args: {} });
  assert.deepEqual(checkMessage({ type: "captured", username: "", password: "p" }, "content").args, { username: "", password: "p" });
});

test("checkMessage rejects bad messages", () => {
  const cases = [
    [null, /message object/],
    [{ type: "nope" }, /unknown message type "nope"/],
    [{ type: "fill", entryId: "e1" }, /fill: missing field tabId/],
    [{ type: "fill", tabId: -1, entryId: "e1" }, /field tabId must be a tab id/],
    [{ type: "fill", tabId: 1, entryId: "" }, /field entryId must be an entry id/],
    [{ type: "fill", tabId: 1, entryId: "e", extra: true }, /unexpected field "extra"/],
    [{ type: "fill", tabId: 1, entryId: "e", confirmActionOrigin: "https://b.example/path" }, /an http or https origin/],
    [{ type: "reveal", tabId: 1, entryId: "e", field: "seed" }, /one of username, password, totp/],
    [{ type: "generate", length: 3, symbols: true }, /from 4 to 256/],
    [{ type: "search", query: "   " }, /non-empty search text/],
  ];
  for (const [message, pattern] of cases) {
    assert.throws(() => checkMessage(message, "popup"), (error) => error instanceof TypeError && pattern.test(error.message), JSON.stringify(message));
  }
});

test("checkMessage enforces the sender", () => {
  assert.throws(() => checkMessage({ type: "captured", username: "u", password: "p" }, "popup"), /not accepted from a popup sender/);
  assert.throws(() => checkMessage({ type: "fill", tabId: 1, entryId: "e" }, "content"), /not accepted from a content sender/);
});

test("every message names a known sender", () => {
  for (const [type, spec] of Object.entries(MESSAGES)) {
    assert.ok(["popup", "content"].includes(spec.sender), type);
  }
});
