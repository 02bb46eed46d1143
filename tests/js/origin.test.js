"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");
const { fillableOrigin, isSchemeDowngrade } = require("../../extension/lib/origin.js");

test("fillableOrigin normalises http and https URLs", () => {
  assert.equal(fillableOrigin("https://Example.COM:443/login?next=/"), "https://example.com");
  assert.equal(fillableOrigin("http://a.example:8080/path"), "http://a.example:8080");
  assert.equal(fillableOrigin("https://bücher.example/"), "https://xn--bcher-kva.example");
  assert.equal(fillableOrigin("http://127.0.0.1:5000/"), "http://127.0.0.1:5000");
});

test("fillableOrigin rejects other schemes and junk", () => {
  for (const url of ["about:blank", "data:text/html,x", "blob:https://example.com/1", "file:///etc/passwd",
    "chrome://settings", "javascript:alert(1)", "androidapp://com.example", "not a url", "", undefined, null, 42]) {
    assert.equal(fillableOrigin(url), null, String(url));
  }
});

test("isSchemeDowngrade flags https credentials on http pages", () => {
  assert.equal(isSchemeDowngrade("https://example.com/", "http://example.com/login"), true);
  assert.equal(isSchemeDowngrade("http://example.com/", "http://example.com/login"), false);
  assert.equal(isSchemeDowngrade("https://example.com/", "https://example.com/login"), false);
  assert.equal(isSchemeDowngrade("http://example.com/", "https://example.com/login"), false);
});

test("isSchemeDowngrade fails closed on an unparsable saved URL", () => {
  assert.equal(isSchemeDowngrade("", "http://example.com/"), true);
  assert.equal(isSchemeDowngrade(undefined, "http://example.com/"), true);
});
