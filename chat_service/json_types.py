"""JSON as a type: what `json.loads` gives and `json.dumps` takes, recursively (pydantic's
`JsonValue`, which its models also validate). For documents that are JSON by nature: the
OpenAPI description, the privacy report, the customer's export."""

from __future__ import annotations

from pydantic import JsonValue

JsonObject = dict[str, JsonValue]

__all__ = ["JsonObject", "JsonValue"]
