"""Storage: the only package that touches MongoDB collections. See README.md here."""

from chat_service.storage.db import Store, open_store

__all__ = ["Store", "open_store"]
