"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const { HOST_ERROR_CODES, EXTENSION_ERROR_NAMES } = require("../../extension/lib/protocol.js");
const { USER_TEXT, userText } = require("../../extension/lib/errors.js");

const CODES_PY = path.join(__dirname, "..", "..", "host", "qvault", "native", "codes.py");

test("protocol codes equal the host's table", () => {
  const source = fs.readFileSync(CODES_PY, "utf8");
  const hostCodes = Object.fromEntries(Array.from(source.matchAll(/^\s{4}([A-Z_]+) = (\d+)$/gm), (m) => [m[1], Number(m[2])]));
  assert.deepEqual({ ...HOST_ERROR_CODES }, hostCodes);
});

test("every error name has user text", () => {
  for (const name of [...Object.keys(HOST_ERROR_CODES), ...EXTENSION_ERROR_NAMES]) {
    assert.equal(typeof USER_TEXT[name], "string", name);
    assert.ok(USER_TEXT[name].length > 0, name);
  }
});

test("userText unknown name keeps the host message", () => {
  assert.equal(userText({ name: "NEW_THING", message: "details" }), "Qvault error NEW_THING: details");
  assert.equal(userText(undefined), USER_TEXT.INTERNAL);
});
