"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");
const { PendingSaves, chooseOffer } = require("../../extension/lib/saves.js");

test("PendingSaves expires captures", () => {
  let now = 1000;
  const saves = new PendingSaves({ now: () => now, ttlMs: 50 });
  saves.put(1, { url: "https://a.example/", username: "u", password: "p" });
  assert.equal(saves.get(1).username, "u");
  now += 51;
  assert.equal(saves.get(1), null);
  assert.equal(saves.size, 0);
});

test("PendingSaves caps and clears", () => {
  const saves = new PendingSaves({ maxPending: 2 });
  for (const tab of [1, 2, 3]) {
    saves.put(tab, { username: String(tab) });
  }
  assert.equal(saves.get(1), null);
  assert.equal(saves.get(3).username, "3");
  saves.clear();
  assert.equal(saves.get(3), null);
});

test("chooseOffer update of the same user", () => {
  const entries = [
    { id: "site", type: "login", username: "u", match: "site" },
    { id: "other", type: "login", username: "v", match: "exact" },
    { id: "exact", type: "login", username: "u", match: "exact" },
  ];
  assert.deepEqual(chooseOffer({ username: "u" }, entries), { kind: "update", entry: entries[2] });
  assert.deepEqual(chooseOffer({ username: "u" }, entries.slice(0, 2)), { kind: "update", entry: entries[0] });
});

test("chooseOffer new login", () => {
  assert.deepEqual(chooseOffer({ username: "w" }, [{ id: "x", type: "login", username: "u", match: "exact" }]), { kind: "new" });
  assert.deepEqual(chooseOffer({ username: "u" }, []), { kind: "new" });
});
