"""WebSocket endpoint: accept, authenticate, receive loop, per-connection send queue."""
