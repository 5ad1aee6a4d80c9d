"""HTTP endpoints: health, metrics, conversations."""
