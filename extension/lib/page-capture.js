/**
 * Notices a login typed into this frame and submitted, and sends the user name
 * and password to the background, which offers to save or update the login the
 * next time the popup opens. Injected with fields.js only when the person opens
 * the popup or uses the fill shortcut on the page, so the extension reads nothing
 * from pages it was not asked to act on. Installing it twice is harmless.
 */
(function (root) {
  "use strict";

  if (root.qvaultCaptureInstalled === true) {
    return;
  }
  root.qvaultCaptureInstalled = true;

  const fields = root.QvaultFields;
  const api = root.browser ?? root.chrome;

  /** Return {username, password} typed into form, or null when it contains no password. */
  function typedLogin(form) {
    const page = fields.describePage(root.document);
    const inForm = page.inputs.map((input) => input.form === form);
    const described = page.described.map((field, index) => (inForm[index] ? field : { ...field, visible: false }));
    const choice = fields.chooseLoginFields(described);

    // A sign-up or change form carries the new password in its new-password field.
    let passwordIndex = choice.password;
    if (passwordIndex === null) {
      passwordIndex = fields.newPasswordFields(described)[0] ?? null;
    }
    if (passwordIndex === null || page.inputs[passwordIndex].value === "") {
      return null;
    }

    let usernameIndex = choice.username;
    if (usernameIndex === null) {
      usernameIndex = described.findIndex((field, index) => index < passwordIndex && fields.isUsable(field) && ["username", "text"].includes(fields.classifyField(field)));
    }
    const username = usernameIndex !== null && usernameIndex >= 0 ? page.inputs[usernameIndex].value : "";
    return { username, password: page.inputs[passwordIndex].value };
  }

  root.document.addEventListener("submit", (event) => {
    const login = typedLogin(event.target);
    if (login === null) {
      return;
    }
    // TODO: logins sent by script without a submit event (fetch on a button click) are not noticed.
    api.runtime.sendMessage({ type: "captured", username: login.username.slice(0, 4096), password: login.password.slice(0, 4096) }).catch(() => {});
  }, true);
})(globalThis);
