"""What each retention rule does to the documents it selects.

The rules themselves (config/retention.toml: models and validation) are in
chat_service/privacy_settings.py, which Settings.load reads before anything starts; this
module holds what a rule does: which stored-message query a message rule walks, and how
connection data (IP addresses, device identifiers) is truncated or masked in a message's
text. Masking goes through the renderer (protocol/render.py), like every placeholder.
"""

from __future__ import annotations

from typing import Any

from chat_service.privacy_settings import Action, DataKind, RetentionRule
from chat_service.protocol.render import Mask, replace_spans
from chat_service.storage.retention_runs import MessageQuery

DEVICE_CATEGORY = "device"
KEEP_DEVICE_CHARS = 8  # an IMEI's type allocation code, a MAC address's vendor prefix


def truncate_connection_value(entity_type: str, value: str) -> str:
    """Same length, so no offset moves: IPv4 keeps /24, IPv6 /48, device ids 8 characters."""

    def blank(part: str) -> str:
        return "".join("x" if ch.isalnum() else ch for ch in part)

    if entity_type == "IP_ADDRESS" and ":" in value:
        parts = value.split(":")
        return ":".join(parts[:3] + [blank(p) for p in parts[3:]])
    if entity_type == "IP_ADDRESS" and value.count(".") == 3:
        head, _, last = value.rpartition(".")
        return f"{head}.{blank(last)}"
    return value[:KEEP_DEVICE_CHARS] + blank(value[KEEP_DEVICE_CHARS:])


def _spans_checked(text: str, findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    spans = [f for f in findings if f.get("category") == DEVICE_CATEGORY]
    for span in spans:
        if not (0 <= span["start"] < span["end"] <= len(text)):
            raise ValueError(
                f"finding {span.get('entity_type')} [{span['start']}, {span['end']}) lies "
                f"outside the message text ({len(text)} characters)"
            )
    return sorted(spans, key=lambda f: f["start"])


def truncate_connection_data(text: str, findings: list[dict[str, Any]]) -> str:
    out = text
    for span in _spans_checked(text, findings):
        start, end = span["start"], span["end"]
        out = (
            out[:start]
            + truncate_connection_value(span["entity_type"], text[start:end])
            + out[end:]
        )
    return out


def mask_connection_data(
    text: str, findings: list[dict[str, Any]], secrets: list[dict[str, Any]]
) -> tuple[str, list[dict[str, Any]], list[dict[str, Any]]]:
    """Replace each connection-data span with `[ENTITY_TYPE]` and move every later offset."""
    spans: list[tuple[int, int, str]] = []
    for span in _spans_checked(text, findings):
        if spans and span["start"] < spans[-1][1]:
            continue  # overlaps the previous one, already masked with it
        spans.append((span["start"], span["end"], f"[{span['entity_type']}]"))
    new_text, masks = replace_spans(text, spans)
    placeholders = {(m.original_start, m.original_end): m for m in masks}
    new_findings = []
    for finding in findings:
        start, end = finding["start"], finding["end"]
        mask = placeholders.get((start, end))
        if mask is not None:
            finding = {**finding, "start": mask.start, "end": mask.end}
        else:
            finding = {**finding, "start": _moved(start, masks), "end": _moved(end, masks)}
        new_findings.append(finding)
    new_secrets = [
        {**s, "start": _moved(s["start"], masks), "end": _moved(s["end"], masks)}
        if isinstance(s.get("start"), int) and isinstance(s.get("end"), int)
        else s
        for s in secrets
    ]
    return new_text, new_findings, new_secrets


def _moved(position: int, masks: list[Mask]) -> int:
    """Where `position` of the original text is once the placeholders `masks` are in."""
    shifts = (m.end - m.original_end for m in reversed(masks) if m.original_end <= position)
    return position + next(shifts, 0)


_MESSAGE_QUERY: dict[tuple[DataKind, Action], MessageQuery] = {
    ("connection_data", "anonymise"): "connection_truncate",
    ("connection_data", "delete"): "connection_delete",
    ("sensitive_values", "delete"): "kept_values",
    ("child_without_guardian", "delete"): "child",
}


def message_query(rule: RetentionRule) -> MessageQuery:
    """The stored-message query a message rule (every data kind but conversations) walks."""
    return _MESSAGE_QUERY[rule.data, rule.action]
