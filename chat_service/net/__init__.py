"""Connection hygiene below HTTP: caps, timeouts, aborts (see README.md)."""
