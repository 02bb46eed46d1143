/**
 * One native-messaging connection to the Qvault host, with request ids, a promise
 * per request and a timeout per request.
 *
 * The port is opened on the first request and again after the host exits. Every
 * new port starts with a hello exchange, so a host of another protocol version is
 * reported before any other request reaches it. Replies are never cached.
 */
(function (root) {
  "use strict";

  const protocol = typeof module === "object" && module.exports ? require("./protocol.js") : root.QvaultProtocol;

  /** A failed request, carrying the protocol's error envelope fields. */
  class HostError extends Error {
    constructor(name, message, code = null, details = null) {
      super(message || name);
      this.name = "HostError";
      this.errorName = name;
      this.code = code;
      this.details = details;
    }

    /** Return the error envelope the popup receives: {code, name, message}, plus details when set. */
    toEnvelope() {
      const envelope = { code: this.code, name: this.errorName, message: this.message };
      if (this.details !== null) {
        envelope.details = this.details;
      }
      return envelope;
    }
  }

  /**
   * Map the browser's reason for a closed port to an error name. The texts are
   * Chromium's (checked with Chromium 156) and Firefox's; anything else means the
   * host process ended.
   */
  function disconnectErrorName(reason) {
    const text = String(reason || "");
    if (/not found/i.test(text)) {
      return "HOST_MISSING";
    }
    if (/forbidden/i.test(text)) {
      return "HOST_FORBIDDEN";
    }
    return "HOST_EXITED";
  }

  class HostConnection {
    /**
     * @param {object} options
     * @param {(hostName: string) => object} options.connect opens a runtime.Port
     *   (chrome.runtime.connectNative in the extension).
     * @param {() => string|undefined} [options.lastError] reads the browser's
     *   last error inside onDisconnect (chrome.runtime.lastError.message).
     * @param {object} [options.timeouts] milliseconds per verb, with a "default".
     * @param {object} [options.timers] {setTimeout, clearTimeout}, for tests.
     */
    constructor({ connect, lastError = () => undefined, timeouts = protocol.TIMEOUT_MS, timers = root }) {
      if (typeof connect !== "function") {
        throw new TypeError("HostConnection: options.connect must be a function returning a port");
      }
      this._connect = connect;
      this._lastError = lastError;
      this._timeouts = timeouts;
      this._timers = timers;
      this._port = null;
      this._hello = null;
      this._pending = new Map();
      this._nextId = 1;
    }

    /** Whether a port to the host is open now. */
    get connected() {
      return this._port !== null;
    }

    /**
     * Send one request and return the host's success reply (the whole object,
     * with "ok": true). Rejects with HostError for an error reply, a closed
     * port or a timeout.
     */
    async request(type, args = {}) {
      if (typeof type !== "string" || type === "" || type === "hello") {
        throw new TypeError(`HostConnection.request: expected a verb name other than hello, got ${JSON.stringify(type)}`);
      }
      await this._ensureHello();
      return this._send(type, args);
    }

    /** Return the hello reply of the current port, opening the port when needed. */
    async hello() {
      return this._ensureHello();
    }

    /** Close the port; pending requests fail with HOST_EXITED. */
    disconnect() {
      const port = this._port;
      if (port === null) {
        return;
      }
      this._dropPort(new HostError("HOST_EXITED", "the connection to the host was closed"));
      port.disconnect();
    }

    _ensureHello() {
      if (this._port === null) {
        this._openPort();
      }
      if (this._hello === null) {
        const port = this._port;
        this._hello = this._send("hello", { protocol: protocol.PROTOCOL_VERSION }).then(
          (reply) => this._checkHello(reply),
          (error) => {
            if (error instanceof HostError && error.errorName === "UNSUPPORTED_PROTOCOL") {
              throw new HostError("HOST_TOO_OLD", error.message, error.code);
            }
            throw error;
          },
        );
        // A failed hello closes this port, so the next request starts afresh.
        this._hello.catch(() => {
          if (this._port === port) {
            this.disconnect();
          }
        });
      }
      return this._hello;
    }

    _checkHello(reply) {
      const hostProtocol = reply.protocol;
      if (!Number.isInteger(hostProtocol)) {
        throw new HostError("BAD_REPLY", "hello reply has no integer protocol field");
      }
      if (hostProtocol < protocol.PROTOCOL_VERSION) {
        throw new HostError("HOST_TOO_OLD", `host speaks protocol ${hostProtocol}, extension needs ${protocol.PROTOCOL_VERSION}`);
      }
      if (hostProtocol > protocol.PROTOCOL_VERSION) {
        throw new HostError("EXTENSION_TOO_OLD", `host speaks protocol ${hostProtocol}, extension speaks ${protocol.PROTOCOL_VERSION}`);
      }
      return reply;
    }

    _openPort() {
      const port = this._connect(protocol.HOST_NAME);
      this._port = port;
      port.onMessage.addListener((message) => this._onMessage(port, message));
      port.onDisconnect.addListener((closed) => this._onDisconnect(port, closed));
    }

    _send(type, args) {
      if (args === null || typeof args !== "object" || Array.isArray(args)) {
        return Promise.reject(new TypeError(`HostConnection: arguments of ${type} must be an object`));
      }
      if ("id" in args || "type" in args) {
        return Promise.reject(new TypeError(`HostConnection: arguments of ${type} must not contain "id" or "type"`));
      }
      const port = this._port;
      if (port === null) {
        return Promise.reject(new HostError("HOST_EXITED", "no connection to the host"));
      }

      const id = this._nextId++;
      const timeoutMs = this._timeouts[type] ?? this._timeouts.default;
      return new Promise((resolve, reject) => {
        const timer = this._timers.setTimeout(() => {
          this._pending.delete(id);
          reject(new HostError("TIMEOUT", `no reply to ${type} within ${timeoutMs} ms`));
        }, timeoutMs);
        this._pending.set(id, { type, resolve, reject, timer });
        try {
          port.postMessage({ ...args, id, type });
        } catch (failure) {
          this._settle(id);
          reject(new HostError("HOST_EXITED", `could not send ${type}: ${failure.message}`));
        }
      });
    }

    _settle(id) {
      const pending = this._pending.get(id);
      if (pending === undefined) {
        return undefined;
      }
      this._pending.delete(id);
      this._timers.clearTimeout(pending.timer);
      return pending;
    }

    _onMessage(port, unverifiedMessage) {
      if (port !== this._port) {
        return;
      }
      if (unverifiedMessage === null || typeof unverifiedMessage !== "object") {
        console.warn("Qvault: ignored a host message that is not an object");
        return;
      }
      const pending = this._settle(unverifiedMessage.id);
      if (pending === undefined) {
        // A reply after its request timed out, or an error for an unparsable request (id null).
        console.warn("Qvault: ignored a host reply with unknown id", unverifiedMessage.id);
        return;
      }
      if (unverifiedMessage.ok === true) {
        pending.resolve(unverifiedMessage);
        return;
      }
      const error = unverifiedMessage.error;
      if (unverifiedMessage.ok === false && error && typeof error.name === "string") {
        pending.reject(new HostError(error.name, String(error.message || error.name), Number.isInteger(error.code) ? error.code : null));
        return;
      }
      pending.reject(new HostError("BAD_REPLY", `reply to ${pending.type} has neither "ok": true nor an error object`));
    }

    _onDisconnect(port, closedPort) {
      if (port !== this._port) {
        return;
      }
      // Firefox puts the reason on the port, Chromium in runtime.lastError; reading
      // lastError here also keeps Chromium from logging it as unchecked.
      const reason = (closedPort && closedPort.error && closedPort.error.message) || this._lastError() || "the host exited";
      this._dropPort(new HostError(disconnectErrorName(reason), reason));
    }

    _dropPort(error) {
      this._port = null;
      this._hello = null;
      const pending = Array.from(this._pending.keys());
      for (const id of pending) {
        this._settle(id).reject(error);
      }
    }
  }

  const api = { HostConnection, HostError, disconnectErrorName };
  if (typeof module === "object" && module.exports) {
    module.exports = api;
  } else {
    root.QvaultHost = api;
  }
})(globalThis);
