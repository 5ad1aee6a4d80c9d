"""The WebSocket protocol: typed client commands, typed server events, one renderer."""
