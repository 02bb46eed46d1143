"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");
const { classifyField, isUsable, chooseLoginFields, formKind, newPasswordFields, actionAllowed, formActionOrigin } = require("../../extension/lib/fields.js");

function field(overrides) {
  return { type: "text", autocomplete: "", name: "", id: "", placeholder: "", ariaLabel: "", role: "",
    visible: true, disabled: false, readOnly: false, form: 0, ...overrides };
}

test("classifyField password kinds", () => {
  assert.equal(classifyField(field({ type: "password" })), "password");
  assert.equal(classifyField(field({ type: "password", autocomplete: "current-password" })), "password");
  assert.equal(classifyField(field({ type: "password", autocomplete: "section-a new-password" })), "new-password");
});

test("classifyField user names", () => {
  assert.equal(classifyField(field({ autocomplete: "username" })), "username");
  assert.equal(classifyField(field({ type: "email" , autocomplete: "email"})), "username");
  assert.equal(classifyField(field({ name: "login" })), "username");
  assert.equal(classifyField(field({ id: "user_email" })), "username");
  assert.equal(classifyField(field({ name: "firstname" })), "text");
});

test("classifyField search boxes", () => {
  assert.equal(classifyField(field({ type: "search" })), "search");
  assert.equal(classifyField(field({ role: "searchbox" })), "search");
  assert.equal(classifyField(field({ name: "q" })), "search");
  assert.equal(classifyField(field({ placeholder: "Search users" })), "search");
});

test("classifyField other types", () => {
  for (const type of ["checkbox", "radio", "submit", "hidden", "number", "date", "file"]) {
    assert.equal(classifyField(field({ type })), "other", type);
  }
});

test("isUsable hidden, disabled and read-only", () => {
  assert.equal(isUsable(field({})), true);
  assert.equal(isUsable(field({ visible: false })), false);
  assert.equal(isUsable(field({ disabled: true })), false);
  assert.equal(isUsable(field({ readOnly: true })), false);
  assert.equal(isUsable(field({ type: "hidden" })), false);
});

test("chooseLoginFields username and password", () => {
  const fields = [field({ name: "username" }), field({ type: "password" })];
  assert.deepEqual(chooseLoginFields(fields), { username: 0, password: 1 });
});

test("chooseLoginFields password only", () => {
  assert.deepEqual(chooseLoginFields([field({ type: "password" })]), { username: null, password: 0 });
});

test("chooseLoginFields skips invisible fields", () => {
  const fields = [
    field({ name: "username" }),
    field({ name: "email", visible: false }),
    field({ type: "password", visible: false }),
    field({ type: "password" }),
  ];
  assert.deepEqual(chooseLoginFields(fields), { username: 0, password: 3 });
});

test("chooseLoginFields skips a search box before the password", () => {
  const fields = [field({ name: "login" }), field({ type: "search", name: "q" }), field({ type: "password" })];
  assert.deepEqual(chooseLoginFields(fields), { username: 0, password: 2 });
});

test("chooseLoginFields ignores a text field of another form", () => {
  const fields = [field({ name: "newsletter", form: 0 }), field({ type: "password", form: 1 })];
  assert.deepEqual(chooseLoginFields(fields), { username: null, password: 1 });
});

test("chooseLoginFields first step of two-step login", () => {
  assert.deepEqual(chooseLoginFields([field({ autocomplete: "username" })]), { username: 0, password: null });
  assert.deepEqual(chooseLoginFields([field({ name: "firstname" })]), { username: null, password: null });
});

test("chooseLoginFields sign-up form", () => {
  const fields = [field({ autocomplete: "username" }), field({ type: "password", autocomplete: "new-password" })];
  assert.deepEqual(chooseLoginFields(fields), { username: null, password: null });
});

test("chooseLoginFields password change form", () => {
  const fields = [
    field({ autocomplete: "username" }),
    field({ type: "password", autocomplete: "current-password" }),
    field({ type: "password", autocomplete: "new-password" }),
  ];
  assert.deepEqual(chooseLoginFields(fields), { username: 0, password: 1 });
});

test("formKind names each form", () => {
  const cases = [
    [[field({ name: "username" }), field({ type: "password" })], "login"],
    [[field({ type: "password" })], "password-only"],
    [[field({ autocomplete: "username" })], "username-only"],
    [[field({ autocomplete: "username" }), field({ type: "password", autocomplete: "new-password" })], "new-password"],
    [[field({ type: "search" })], "none"],
  ];
  for (const [fields, kind] of cases) {
    assert.equal(formKind(fields, chooseLoginFields(fields)), kind);
  }
});

test("newPasswordFields finds new and confirmation", () => {
  const fields = [
    field({ type: "password", autocomplete: "current-password" }),
    field({ type: "password", autocomplete: "new-password" }),
    field({ type: "password", autocomplete: "new-password", visible: false }),
    field({ type: "password", autocomplete: "new-password" }),
  ];
  assert.deepEqual(newPasswordFields(fields), [1, 3]);
});

test("actionAllowed same origin or confirmed", () => {
  assert.equal(actionAllowed("https://a.example", "https://a.example", undefined), true);
  assert.equal(actionAllowed("https://a.example", null, undefined), true);
  assert.equal(actionAllowed("https://a.example", "null", undefined), true);
  assert.equal(actionAllowed("https://a.example", "https://b.example", undefined), false);
  assert.equal(actionAllowed("https://a.example", "https://b.example", "https://c.example"), false);
  assert.equal(actionAllowed("https://a.example", "https://b.example", "https://b.example"), true);
  assert.equal(actionAllowed("https://a.example", "http://a.example", undefined), false);
});

function fakeForm(action, controls) {
  return {
    action,
    elements: controls.map(([type, formaction]) => ({
      type,
      formAction: formaction || action,
      hasAttribute: (name) => name === "formaction" && formaction !== undefined,
    })),
  };
}

test("formActionOrigin prefers a cross-origin button target", () => {
  const page = "https://a.example/login";
  const form = fakeForm("https://a.example/submit", [["text"], ["submit", "https://b.example/steal"]]);
  assert.equal(formActionOrigin({ form }, page), "https://b.example");
});

test("formActionOrigin same-origin targets", () => {
  const page = "https://a.example/login";
  assert.equal(formActionOrigin({ form: fakeForm("https://a.example/submit", [["submit"]]) }, page), "https://a.example");
  assert.equal(formActionOrigin({ form: fakeForm("https://a.example/s", [["submit", "/other"]]) }, page), "https://a.example");
  assert.equal(formActionOrigin({ form: fakeForm("https://c.example/s", [["submit"]]) }, page), "https://c.example");
  assert.equal(formActionOrigin({ form: null }, page), null);
});
