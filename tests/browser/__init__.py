"""Helpers for the real-browser tests: a DevTools protocol client, a Chromium
launcher and a local HTTP server that plays several login sites."""
