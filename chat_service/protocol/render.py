"""The only place a stored message becomes what one viewer may see.

The customer who owns the conversation sees their messages in full. Everyone else sees
sensitive values (findings with `sensitive` true) replaced by `[ENTITY_TYPE]`, with the
findings' offsets moved to match the text they receive. There is no other path from a
stored message to a frame or an API answer, so there is no side path that could leak.
"""

from __future__ import annotations

from typing import Any

from chat_service.auth import Identity, Role
from chat_service.protocol.events import FindingOut, LocationOut, MessageOut, Sender


def render_message(doc: dict[str, Any], viewer: Identity, conversation_customer: str) -> MessageOut:
    findings = [FindingOut.model_validate(f) for f in doc.get("findings", [])]
    text: str | None = doc.get("text")
    owner_view = viewer.role is Role.CUSTOMER and viewer.sub == conversation_customer
    masked = False
    if text is not None and not owner_view and any(f.sensitive for f in findings):
        text, findings = mask_sensitive(text, findings)
        masked = True
    location = doc.get("location")
    location_out = None
    if location is not None:
        if owner_view:
            location_out = LocationOut.model_validate(location)
        else:
            masked = True  # a precise location is sensitive (policy 2.3)
    return MessageOut(
        id=doc["_id"],
        conversation_id=doc["conversation_id"],
        seq=doc["seq"],
        client_id=doc["client_id"],
        sender=Sender(role=doc["sender"]["role"], id=doc["sender"]["id"]),
        kind=doc["kind"],
        text=text,
        findings=findings,
        created_at=doc["created_at"].isoformat(),
        consent=doc.get("consent"),
        masked=masked,
        attachment_id=doc.get("attachment_id"),
        location=location_out,
    )


def mask_sensitive(text: str, findings: list[FindingOut]) -> tuple[str, list[FindingOut]]:
    """Replace sensitive spans by `[TYPE]` and shift every finding to the new text."""
    ordered = sorted(findings, key=lambda f: (f.start, -f.end))
    # Merge overlapping sensitive spans into one mask each.
    masks: list[tuple[int, int, str]] = []
    for f in ordered:
        if not f.sensitive:
            continue
        if masks and f.start < masks[-1][1]:
            start, end, label = masks[-1]
            masks[-1] = (start, max(end, f.end), label)
        else:
            masks.append((f.start, f.end, f.entity_type))
    parts: list[str] = []
    cursor = 0
    shifts: list[tuple[int, int, int, int]] = []  # old start, old end, new start, new end
    out_len = 0
    for start, end, label in masks:
        parts.append(text[cursor:start])
        out_len += start - cursor
        token = f"[{label}]"
        shifts.append((start, end, out_len, out_len + len(token)))
        parts.append(token)
        out_len += len(token)
        cursor = end
    parts.append(text[cursor:])
    masked_text = "".join(parts)

    def move(pos: int) -> int:
        delta = 0
        for old_start, old_end, _new_start, new_end in shifts:
            if pos >= old_end:
                delta = new_end - old_end
            elif pos > old_start:
                return new_end  # inside a mask: snap to its end
            else:
                break
        return pos + delta

    moved: list[FindingOut] = []
    for f in findings:
        covering = next((s for s in shifts if s[0] <= f.start and f.end <= s[1]), None)
        if covering is not None:
            start, end = covering[2], covering[3]
        else:
            start, end = move(f.start), move(f.end)
        moved.append(f.model_copy(update={"start": start, "end": end}))
    return masked_text, moved
