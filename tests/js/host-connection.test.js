"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");
const { HostConnection, HostError, disconnectErrorName } = require("../../extension/lib/host-connection.js");

/** An in-memory stand-in for a runtime.Port; `reply` returns the scripted host reply. */
class ScriptedPort {
  constructor(reply) {
    this.reply = reply;
    this.sent = [];
    this.messageListeners = [];
    this.disconnectListeners = [];
    this.onMessage = { addListener: (listener) => this.messageListeners.push(listener) };
    this.onDisconnect = { addListener: (listener) => this.disconnectListeners.push(listener) };
    this.disconnected = false;
  }

  postMessage(message) {
    if (this.disconnected) {
      throw new Error("Attempting to use a disconnected port object");
    }
    this.sent.push(message);
    const answer = this.reply(message);
    if (answer !== undefined) {
      queueMicrotask(() => this.messageListeners.forEach((listener) => listener(answer)));
    }
  }

  disconnect() {
    this.disconnected = true;
  }

  closeFromHost(error) {
    this.disconnected = true;
    this.disconnectListeners.forEach((listener) => listener({ error }));
  }
}

function helloThen(handler) {
  return (message) => (message.type === "hello" ? { id: message.id, ok: true, protocol: 1, state: "locked" } : handler(message));
}

test("request resolves with the matching reply", async () => {
  const ports = [];
  const connection = new HostConnection({
    connect: () => {
      const port = new ScriptedPort(helloThen((message) => ({ id: message.id, ok: true, state: "locked", entries: null })));
      ports.push(port);
      return port;
    },
  });
  const reply = await connection.request("status");
  assert.equal(reply.state, "locked");
  assert.deepEqual(ports[0].sent.map((message) => message.type), ["hello", "status"]);
  assert.deepEqual(ports[0].sent[0], { id: 1, type: "hello", protocol: 1 });
});

test("request rejects with the host's error", async () => {
  const connection = new HostConnection({
    connect: () => new ScriptedPort(helloThen((message) => ({
      id: message.id, ok: false, error: { code: 10, name: "LOCKED", message: "the vault is locked" },
    }))),
  });
  await assert.rejects(connection.request("match", { url: "https://example.com/" }), (error) => {
    assert.ok(error instanceof HostError);
    assert.equal(error.errorName, "LOCKED");
    assert.equal(error.code, 10);
    return true;
  });
});

test("request times out", async () => {
  const connection = new HostConnection({
    connect: () => new ScriptedPort(helloThen(() => undefined)),
    timeouts: { default: 20, hello: 1000 },
  });
  await assert.rejects(connection.request("status"), (error) => error.errorName === "TIMEOUT");
});

test("host missing rejects pending requests", async () => {
  let port;
  const connection = new HostConnection({
    connect: () => {
      port = new ScriptedPort(() => undefined);
      return port;
    },
  });
  const pending = connection.request("status");
  await Promise.resolve();
  port.closeFromHost({ message: "Specified native messaging host not found." });
  await assert.rejects(pending, (error) => error.errorName === "HOST_MISSING");
  assert.equal(connection.connected, false);
});

test("reconnects after the host exits", async () => {
  const ports = [];
  const connection = new HostConnection({
    connect: () => {
      const port = new ScriptedPort(helloThen((message) => ({ id: message.id, ok: true, state: "unlocked" })));
      ports.push(port);
      return port;
    },
  });
  await connection.request("status");
  ports[0].closeFromHost({ message: "Native host has exited." });
  await connection.request("status");
  assert.equal(ports.length, 2);
  assert.equal(ports[1].sent[0].type, "hello");
});

test("hello of an older host", async () => {
  const connection = new HostConnection({
    connect: () => new ScriptedPort((message) => ({
      id: message.id, ok: false, error: { code: 7, name: "UNSUPPORTED_PROTOCOL", message: "protocol 1 is not supported" },
    })),
  });
  await assert.rejects(connection.request("status"), (error) => error.errorName === "HOST_TOO_OLD");
});

test("hello of a newer host", async () => {
  const connection = new HostConnection({
    connect: () => new ScriptedPort((message) => ({ id: message.id, ok: true, protocol: 2, state: "locked" })),
  });
  await assert.rejects(connection.request("status"), (error) => error.errorName === "EXTENSION_TOO_OLD");
});

test("reply without ok is rejected", async () => {
  const connection = new HostConnection({
    connect: () => new ScriptedPort(helloThen((message) => ({ id: message.id, state: "locked" }))),
  });
  await assert.rejects(connection.request("status"), (error) => error.errorName === "BAD_REPLY");
});

test("request rejects reserved argument names", async () => {
  const connection = new HostConnection({ connect: () => new ScriptedPort(helloThen(() => undefined)) });
  await assert.rejects(connection.request("match", { id: 5 }), TypeError);
  await assert.rejects(connection.request("hello"), TypeError);
});

test("disconnectErrorName maps browser texts", () => {
  assert.equal(disconnectErrorName("Specified native messaging host not found."), "HOST_MISSING");
  assert.equal(disconnectErrorName("Access to the specified native messaging host is forbidden."), "HOST_FORBIDDEN");
  assert.equal(disconnectErrorName("Native host has exited."), "HOST_EXITED");
  assert.equal(disconnectErrorName(undefined), "HOST_EXITED");
});
