"""A small synchronous client for the Chrome DevTools Protocol over a WebSocket.

One connection to the browser endpoint carries every target, using flat sessions
(Target.attachToTarget with flatten=true): a command names its target by sessionId.
"""

import json
import time

import websocket

COMMAND_TIMEOUT_SECONDS = 30


class CdpError(Exception):
    """A DevTools command failed or timed out."""


class CdpClient:
    """Send DevTools commands and collect the events that arrive meanwhile."""

    def __init__(self, url: str):
        # Chromium rejects WebSocket handshakes whose Origin it does not allow;
        # sending none is what a non-browser client should do.
        self._socket = websocket.create_connection(url, timeout=COMMAND_TIMEOUT_SECONDS, suppress_origin=True)
        self._next_id = 1
        self.events: list[dict] = []

    def close(self) -> None:
        self._socket.close()

    def send(self, method: str, params: dict | None = None, session_id: str | None = None,
             timeout: float = COMMAND_TIMEOUT_SECONDS) -> dict:
        """Run one command and return its result; raise CdpError on an error reply."""
        command_id = self._next_id
        self._next_id += 1
        message = {"id": command_id, "method": method, "params": params or {}}
        if session_id is not None:
            message["sessionId"] = session_id
        self._socket.send(json.dumps(message))

        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise CdpError(f"{method} timed out after {timeout} s")
            self._socket.settimeout(remaining)
            try:
                reply = json.loads(self._socket.recv())
            except websocket.WebSocketTimeoutException:
                raise CdpError(f"{method} timed out after {timeout} s") from None
            if reply.get("id") == command_id:
                if "error" in reply:
                    raise CdpError(f"{method} failed: {reply['error'].get('message')} {reply['error'].get('data', '')}".strip())
                return reply.get("result", {})
            if "method" in reply:
                self.events.append(reply)

    def evaluate(self, session_id: str, expression: str, timeout: float = COMMAND_TIMEOUT_SECONDS):
        """Evaluate JavaScript in a target and return its value (awaiting promises)."""
        result = self.send(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
            session_id=session_id,
            timeout=timeout,
        )
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details.get("text")
            raise CdpError(f"evaluating {expression[:80]!r} threw: {text}")
        return result["result"].get("value")
