/**
 * Login-form detection and filling, injected into the page's top frame only when
 * the user requests a fill (a click in the popup or the keyboard shortcut).
 *
 * The decision logic works on plain field descriptions, so node tests cover it
 * without a DOM; describeInput and fillLogin are the thin DOM layer around it.
 */
(function (root) {
  "use strict";

  // Text-like input types that can hold a user name. "" is an input without a type.
  const TEXT_TYPES = new Set(["", "text", "email", "tel"]);
  const USERNAME_AUTOCOMPLETE = new Set(["username", "email"]);
  const USERNAME_HINT = /user|login|e-?mail|account|ident|nick|member/i;
  const SEARCH_HINT = /search|query|^q$|^s$/i;

  function tokens(autocomplete) {
    return String(autocomplete || "").toLowerCase().split(/\s+/).filter(Boolean);
  }

  function hintText(field) {
    return [field.name, field.id, field.placeholder, field.ariaLabel];
  }

  /**
   * Classify one input description:
   * {type, autocomplete, name, id, placeholder, ariaLabel, role}.
   * Returns "password" (a current password), "new-password", "username",
   * "search", "text" (an unlabelled text box) or "other".
   */
  function classifyField(field) {
    const type = String(field.type || "").toLowerCase();
    const autocomplete = tokens(field.autocomplete);

    if (type === "password") {
      if (autocomplete.includes("new-password")) {
        return "new-password";
      }
      return "password";
    }
    if (type === "search" || String(field.role || "").toLowerCase() === "searchbox") {
      return "search";
    }
    if (!TEXT_TYPES.has(type)) {
      return "other";
    }
    if (autocomplete.some((token) => USERNAME_AUTOCOMPLETE.has(token))) {
      return "username";
    }
    const hints = hintText(field).filter((text) => typeof text === "string" && text !== "");
    if (hints.some((text) => SEARCH_HINT.test(text))) {
      return "search";
    }
    if (hints.some((text) => USERNAME_HINT.test(text))) {
      return "username";
    }
    return "text";
  }

  /** Return whether a person can see and type into the described field. */
  function isUsable(field) {
    return field.visible === true && field.disabled !== true && field.readOnly !== true && String(field.type || "").toLowerCase() !== "hidden";
  }

  /**
   * Choose the fields of one login form among descriptions in document order.
   * Each description may carry "form": an id shared by inputs of the same form
   * (null outside any form).
   *
   * Returns {username, password}: indexes into fields, or null. Only usable
   * fields are chosen. The password is the first current-password field; the user
   * name is the nearest usable username or unlabelled text field before it in
   * the same form. Without a password field, only a field that is clearly a user
   * name is chosen (a first step of a two-step login), and none on a page whose
   * only password fields are new-password ones (sign-up). Search boxes and
   * new-password fields are never chosen.
   */
  function chooseLoginFields(fields) {
    const classes = fields.map((field) => (isUsable(field) ? classifyField(field) : "unusable"));

    const password = classes.indexOf("password");
    if (password === -1) {
      // A form with only new-password fields is a sign-up form: a saved login does not belong there.
      if (classes.includes("new-password")) {
        return { username: null, password: null };
      }
      const username = classes.indexOf("username");
      return { username: username === -1 ? null : username, password: null };
    }

    const form = fields[password].form ?? null;
    for (let index = password - 1; index >= 0; index -= 1) {
      if ((fields[index].form ?? null) !== form) {
        continue;
      }
      if (classes[index] === "username" || classes[index] === "text") {
        return { username: index, password };
      }
    }
    return { username: null, password };
  }

  /** Describe a DOM input for classifyField and chooseLoginFields. */
  function describeInput(input, formIds) {
    const style = input.ownerDocument.defaultView.getComputedStyle(input);
    const rect = input.getBoundingClientRect();
    let visible = rect.width > 0 && rect.height > 0 && style.visibility !== "hidden" && style.display !== "none" && Number(style.opacity) > 0;
    if (visible && typeof input.checkVisibility === "function") {
      // Catches a hidden ancestor (display: none, content-visibility) and opacity 0 up the tree.
      visible = input.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true });
    }

    let form = null;
    if (input.form) {
      if (!formIds.has(input.form)) {
        formIds.set(input.form, formIds.size);
      }
      form = formIds.get(input.form);
    }

    return {
      type: input.type,
      autocomplete: input.getAttribute("autocomplete") || "",
      name: input.name || "",
      id: input.id || "",
      placeholder: input.placeholder || "",
      ariaLabel: input.getAttribute("aria-label") || "",
      role: input.getAttribute("role") || "",
      visible,
      disabled: input.disabled,
      readOnly: input.readOnly,
      form,
    };
  }

  function setValue(input, value) {
    // The prototype's setter updates the value the way typing does, so frameworks
    // that wrap the element's own value property still see the change.
    const setter = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(input), "value").set;
    input.focus();
    setter.call(input, value);
    input.dispatchEvent(new Event("input", { bubbles: true }));
    input.dispatchEvent(new Event("change", { bubbles: true }));
  }

  /**
   * Fill the login form of this document. Runs in the extension's isolated world
   * of the top frame. Nothing is filled unless location.origin still equals
   * expectedOrigin, which the background took from the browser's record of the tab.
   *
   * Returns {ok: true, username: bool, password: bool, formActionOrigin} or
   * {ok: false, reason: <extension error name>}.
   */
  function fillLogin(expectedOrigin, username, password) {
    if (root.location.origin !== expectedOrigin) {
      return { ok: false, reason: "ORIGIN_CHANGED" };
    }

    const inputs = Array.from(root.document.querySelectorAll("input"));
    const formIds = new Map();
    const described = inputs.map((input) => describeInput(input, formIds));
    const choice = chooseLoginFields(described);
    if (choice.password === null && choice.username === null) {
      return { ok: false, reason: "NO_FIELDS" };
    }

    const filled = { ok: true, username: false, password: false, formActionOrigin: null };
    if (choice.username !== null && typeof username === "string" && username !== "") {
      setValue(inputs[choice.username], username);
      filled.username = true;
    }
    if (choice.password !== null && typeof password === "string") {
      setValue(inputs[choice.password], password);
      filled.password = true;
    }

    const chosen = inputs[choice.password ?? choice.username];
    if (chosen.form && chosen.form.action) {
      try {
        filled.formActionOrigin = new URL(chosen.form.action, root.location.href).origin;
      } catch (unusedError) {
        filled.formActionOrigin = null;
      }
    }
    return filled;
  }

  const api = { classifyField, isUsable, chooseLoginFields, describeInput, fillLogin };
  if (typeof module === "object" && module.exports) {
    module.exports = api;
  } else {
    root.QvaultFields = api;
  }
})(globalThis);
