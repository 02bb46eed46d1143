"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");
const { digestOf, newSalt, clearIfOurs, ClearTimer } = require("../../extension/lib/clipboard.js");

function fakeClipboard(text) {
  const board = { text, clears: 0 };
  board.readText = async () => board.text;
  board.clear = async () => {
    board.text = "";
    board.clears += 1;
  };
  return board;
}

async function tokenFor(value) {
  const salt = newSalt();
  return { salt, digest: await digestOf(salt, value) };
}

test("digestOf depends on salt and value", async () => {
  assert.match(await digestOf("s", "v"), /^[0-9a-f]{64}$/);
  assert.notEqual(await digestOf("s", "v"), await digestOf("t", "v"));
  assert.notEqual(await digestOf("s", "v"), await digestOf("s", "w"));
  assert.match(newSalt(), /^[0-9a-f]{32}$/);
});

test("clearIfOurs clears our value", async () => {
  const board = fakeClipboard("secret");
  assert.equal(await clearIfOurs(await tokenFor("secret"), board.readText, board.clear), "cleared");
  assert.equal(board.text, "");
});

test("clearIfOurs keeps other text", async () => {
  const board = fakeClipboard("copied later");
  assert.equal(await clearIfOurs(await tokenFor("secret"), board.readText, board.clear), "changed");
  assert.equal(board.text, "copied later");
  assert.equal(board.clears, 0);
});

test("clearIfOurs unreadable clipboard", async () => {
  const failing = async () => {
    throw new Error("denied");
  };
  assert.equal(await clearIfOurs(await tokenFor("secret"), failing, failing), "unreadable");
});

test("ClearTimer runs after the delay", async () => {
  const board = fakeClipboard("secret");
  const scheduled = [];
  const timers = { setTimeout: (fn, ms) => scheduled.push({ fn, ms }) && scheduled.length, clearTimeout: () => {} };
  const timer = new ClearTimer({ readText: board.readText, clear: board.clear, timers });
  timer.schedule(await tokenFor("secret"));
  assert.equal(scheduled[0].ms, 45000);
  assert.equal(timer.pending, true);
  assert.equal(await timer.runNow(), "cleared");
  assert.equal(timer.pending, false);
  assert.equal(await timer.runNow(), "none");
});

test("ClearTimer newer copy replaces older", async () => {
  const board = fakeClipboard("second");
  const cancelled = [];
  const timers = { setTimeout: () => 1 + cancelled.length, clearTimeout: (handle) => cancelled.push(handle) };
  const timer = new ClearTimer({ readText: board.readText, clear: board.clear, timers });
  timer.schedule(await tokenFor("first"));
  timer.schedule(await tokenFor("second"), 10);
  assert.deepEqual(cancelled, [1]);
  assert.equal(await timer.runNow(), "cleared");
});
