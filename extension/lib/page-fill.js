/**
 * The fill itself, injected with fields.js into one frame for one user gesture.
 * Every function first checks that the frame's own origin still equals the one
 * the background read from the browser's record of the frame, because the frame
 * may have navigated while the host replied. Nothing stays behind in the page: no
 * listener, no stored value.
 *
 * Results are {ok: true, ...} or {ok: false, reason: <extension error name>}.
 */
(function (root) {
  "use strict";

  const fields = root.QvaultFields;

  function setValue(input, value) {
    // The prototype's setter updates the value the way typing does, so frameworks
    // that wrap the element's own value property still see the change.
    const setter = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(input), "value").set;
    input.focus();
    setter.call(input, value);
    input.dispatchEvent(new Event("input", { bubbles: true }));
    input.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function originChanged(expectedOrigin) {
    return root.location.origin !== expectedOrigin;
  }

  /**
   * Look at this frame's login form without changing anything. Returns
   * {ok: true, kind, formActionOrigin}, kind as fields.formKind names it.
   */
  function probeLogin(expectedOrigin) {
    if (originChanged(expectedOrigin)) {
      return { ok: false, reason: "ORIGIN_CHANGED" };
    }
    const page = fields.describePage(root.document);
    const choice = fields.chooseLoginFields(page.described);
    const kind = fields.formKind(page.described, choice);
    const chosen = page.inputs[choice.password ?? choice.username ?? -1];
    return { ok: true, kind, formActionOrigin: fields.formActionOrigin(chosen, root.location.href) };
  }

  /**
   * Fill a stored login into this frame's login form. A form posting to another
   * origin is left alone unless confirmedActionOrigin names that origin, which
   * the person confirmed in the popup after a warning.
   */
  function fillLogin(expectedOrigin, username, password, confirmedActionOrigin) {
    if (originChanged(expectedOrigin)) {
      return { ok: false, reason: "ORIGIN_CHANGED" };
    }
    const page = fields.describePage(root.document);
    const choice = fields.chooseLoginFields(page.described);
    if (choice.password === null && choice.username === null) {
      const kind = fields.formKind(page.described, choice);
      return { ok: false, reason: kind === "new-password" ? "NEW_PASSWORD_FORM" : "NO_FIELDS" };
    }

    const chosen = page.inputs[choice.password ?? choice.username];
    const actionOrigin = fields.formActionOrigin(chosen, root.location.href);
    if (!fields.actionAllowed(expectedOrigin, actionOrigin, confirmedActionOrigin)) {
      return { ok: false, reason: "CROSS_ORIGIN_ACTION", formActionOrigin: actionOrigin };
    }

    const filled = { ok: true, username: false, password: false, formActionOrigin: actionOrigin };
    if (choice.username !== null && typeof username === "string" && username !== "") {
      setValue(page.inputs[choice.username], username);
      filled.username = true;
    }
    if (choice.password !== null && typeof password === "string" && password !== "") {
      setValue(page.inputs[choice.password], password);
      filled.password = true;
    }
    return filled;
  }

  /** Fill a generated password into the new-password fields (new and confirmation) of this frame. */
  function fillNewPassword(expectedOrigin, password) {
    if (originChanged(expectedOrigin)) {
      return { ok: false, reason: "ORIGIN_CHANGED" };
    }
    const page = fields.describePage(root.document);
    const targets = fields.newPasswordFields(page.described);
    if (targets.length === 0) {
      return { ok: false, reason: "NO_FIELDS" };
    }
    for (const index of targets) {
      setValue(page.inputs[index], password);
    }
    return { ok: true, count: targets.length };
  }

  /**
   * Fill text (a public wallet address) into the field that has the focus, when
   * it is a visible, enabled text field that is not a password or search box.
   */
  function fillFocused(expectedOrigin, text) {
    if (originChanged(expectedOrigin)) {
      return { ok: false, reason: "ORIGIN_CHANGED" };
    }
    const active = root.document.activeElement;
    const isTextArea = active instanceof root.HTMLTextAreaElement;
    if (!(active instanceof root.HTMLInputElement) && !isTextArea) {
      return { ok: false, reason: "NO_FOCUSED_FIELD" };
    }
    const described = isTextArea ? { ...fields.describeInput(active, new Map()), type: "text" } : fields.describeInput(active, new Map());
    const kind = fields.isUsable(described) ? fields.classifyField(described) : "unusable";
    if (!["text", "username"].includes(kind)) {
      return { ok: false, reason: "NO_FOCUSED_FIELD" };
    }
    setValue(active, text);
    return { ok: true };
  }

  root.QvaultPageFill = { probeLogin, fillLogin, fillNewPassword, fillFocused };
})(globalThis);
