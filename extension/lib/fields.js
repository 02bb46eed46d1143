/**
 * Login-form detection, injected into a page's frame only when the person acts on
 * the extension's own UI (a click in the popup or the keyboard shortcut).
 *
 * The decision logic works on plain field descriptions, so node tests cover it
 * without a DOM; describeInput and describePage are the thin DOM layer around it,
 * and page-fill.js and page-capture.js use them.
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

  /**
   * Name the kind of login form that chooseLoginFields found: "login" (user name
   * and password), "password-only", "username-only" (the first step of a two-step
   * login), "new-password" (only sign-up or change fields, which get the
   * generator) or "none".
   */
  function formKind(fields, choice) {
    if (choice.password !== null) {
      return choice.username !== null ? "login" : "password-only";
    }
    if (choice.username !== null) {
      return "username-only";
    }
    const hasNewPassword = fields.some((field) => isUsable(field) && classifyField(field) === "new-password");
    return hasNewPassword ? "new-password" : "none";
  }

  /** Return the indexes of the usable new-password fields (a new password and its confirmation). */
  function newPasswordFields(fields) {
    const found = [];
    fields.forEach((field, index) => {
      if (isUsable(field) && classifyField(field) === "new-password") {
        found.push(index);
      }
    });
    return found;
  }

  /**
   * Return whether a form posting to actionOrigin may be filled on a page of
   * pageOrigin: the same origin, no real target ("null", from a javascript: action),
   * or the one other origin the person confirmed after a warning.
   */
  function actionAllowed(pageOrigin, actionOrigin, confirmedOrigin) {
    if (actionOrigin === null || actionOrigin === "null" || actionOrigin === pageOrigin) {
      return true;
    }
    return typeof confirmedOrigin === "string" && confirmedOrigin === actionOrigin;
  }

  /** Describe every input of a document: {inputs, described}, in document order. */
  function describePage(document) {
    const inputs = Array.from(document.querySelectorAll("input"));
    const formIds = new Map();
    return { inputs, described: inputs.map((input) => describeInput(input, formIds)) };
  }

  /** Return the origin of url resolved against baseUrl, or null when it does not parse. */
  function originOf(url, baseUrl) {
    try {
      return new URL(url || baseUrl, baseUrl).origin;
    } catch (unusedError) {
      return null;
    }
  }

  /**
   * Return the origin a form posts to, or null outside a form or for an unparsable
   * action. A submit button's formaction overrides the form's action when that
   * button is used, so the first such target on another origin than the page is
   * returned in preference: filling must not be allowed just because the form's own
   * action looks safe.
   */
  function formActionOrigin(input, baseUrl) {
    const form = input && input.form;
    if (!form) {
      return null;
    }
    // form.action is already resolved against the document; an absent action means the page itself.
    const formOrigin = originOf(form.action, baseUrl);
    const pageOrigin = originOf(baseUrl, baseUrl);
    const controls = Array.from(form.elements || []);
    for (const control of controls) {
      const submits = control.type === "submit" || control.type === "image";
      if (submits && control.hasAttribute && control.hasAttribute("formaction")) {
        const buttonOrigin = originOf(control.formAction, baseUrl);
        if (buttonOrigin !== null && buttonOrigin !== "null" && buttonOrigin !== pageOrigin) {
          return buttonOrigin;
        }
      }
    }
    return formOrigin;
  }

  const api = { classifyField, isUsable, chooseLoginFields, formKind, newPasswordFields, actionAllowed, describeInput, describePage, formActionOrigin };
  if (typeof module === "object" && module.exports) {
    module.exports = api;
  } else {
    root.QvaultFields = api;
  }
})(globalThis);
