"""The only place a stored message becomes what one viewer may see.

A message is stored masked: each sensitive span (findings with `sensitive` true) is
replaced by `[ENTITY_TYPE]` in `text`, and its value is kept, encrypted, in `secrets`
until consent decides its fate. `mask_sensitive` builds that form when a message arrives;
`render_message` splices back exactly the values a viewer may see (`revealed`, decided and
decrypted by actions/views.py) and moves every finding's offsets to the text that viewer
receives. There is no other path from a stored message to a frame or an API answer.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from chat_service.protocol.events import (
    AttachmentOut,
    FindingOut,
    LocationOut,
    MessageOut,
    Sender,
)
from chat_service.sealing import SealedField
from chat_service.storage.messages import MessageDoc, SecretDoc


@dataclass(frozen=True, slots=True)
class Mask:
    """One masked span: where it was in the original and where its placeholder is."""

    original_start: int
    original_end: int
    start: int
    end: int
    entity_types: tuple[str, ...]
    categories: tuple[str, ...]


def mask_sensitive(
    text: str, findings: list[FindingOut]
) -> tuple[str, list[FindingOut], list[Mask]]:
    """Replace sensitive spans by `[TYPE]` (overlaps merged); move findings to match."""
    spans: list[tuple[int, int, list[FindingOut]]] = []
    for f in sorted(findings, key=lambda f: (f.start, -f.end)):
        if not f.sensitive:
            continue
        if spans and f.start < spans[-1][1]:
            start, end, members = spans[-1]
            spans[-1] = (start, max(end, f.end), [*members, f])
        else:
            spans.append((f.start, f.end, [f]))
    parts: list[str] = []
    masks: list[Mask] = []
    cursor = 0
    out_len = 0
    for start, end, members in spans:
        parts.append(text[cursor:start])
        out_len += start - cursor
        token = f"[{members[0].entity_type}]"
        masks.append(
            Mask(
                original_start=start,
                original_end=end,
                start=out_len,
                end=out_len + len(token),
                entity_types=tuple(dict.fromkeys(m.entity_type for m in members)),
                categories=tuple(sorted({m.category for m in members})),
            )
        )
        parts.append(token)
        out_len += len(token)
        cursor = end
    parts.append(text[cursor:])
    moved = [_move_to_masked(f, masks) for f in findings]
    return "".join(parts), moved, masks


def masked_span(start: int, end: int, masks: list[Mask]) -> tuple[int, int]:
    """Where the span [start, end) of the original text is once `masks` are in: their
    placeholder if inside one, else moved by the masks before it."""
    delta = 0
    for m in masks:
        if m.original_start <= start and end <= m.original_end:
            return m.start, m.end
        if start >= m.original_end:
            delta = m.end - m.original_end
    return start + delta, end + delta


def _move_to_masked(f: FindingOut, masks: list[Mask]) -> FindingOut:
    start, end = masked_span(f.start, f.end, masks)
    return f.model_copy(update={"start": start, "end": end})


def unmask(
    text: str,
    findings: list[FindingOut],
    secrets: Sequence[SecretDoc] | Sequence[dict[str, Any]],  # the latter: hand-made, in tests
    revealed: Mapping[int, str],
) -> tuple[str, list[FindingOut]]:
    """Splice revealed values into their placeholders; move findings to match."""
    spans = sorted(
        (s["start"], s["end"], revealed[i])
        for i, s in enumerate(secrets)
        if i in revealed and s.get("start") is not None
    )
    if not spans:
        return text, findings
    parts: list[str] = []
    cursor = 0
    shifts: list[tuple[int, int, int, int]] = []  # placeholder start/end -> value start/end
    out_len = 0
    for start, end, value in spans:
        parts.append(text[cursor:start])
        out_len += start - cursor
        shifts.append((start, end, out_len, out_len + len(value)))
        parts.append(value)
        out_len += len(value)
        cursor = end
    parts.append(text[cursor:])

    def move(f: FindingOut) -> FindingOut:
        delta = 0
        for old_start, old_end, new_start, new_end in shifts:
            if (f.start, f.end) == (old_start, old_end):
                return f.model_copy(update={"start": new_start, "end": new_end})
            if f.start >= old_end:
                delta = new_end - old_end
        return f.model_copy(update={"start": f.start + delta, "end": f.end + delta})

    return "".join(parts), [move(f) for f in findings]


def render_message(
    doc: MessageDoc | dict[str, Any],  # the latter: hand-made documents, in tests
    revealed: Mapping[int, str],
    *,
    to_sender: bool,
    attachment: AttachmentOut | None = None,
) -> MessageOut:
    """The message with exactly the `revealed` secrets in clear (actions/views.py decides).
    The sender's `client_id` goes back to the sender only (it is free text of theirs)."""
    secrets: Sequence[SecretDoc] | Sequence[dict[str, Any]] = doc.get("secrets", [])
    findings = [FindingOut.model_validate(f) for f in doc.get("findings", [])]
    text: str | None = doc.get("text")
    if text is not None:
        text, findings = unmask(text, findings, secrets, revealed)
    location_out = None
    for i, secret in enumerate(secrets):
        if secret.get("field") == SealedField.LOCATION and i in revealed:
            location_out = LocationOut.model_validate(json.loads(revealed[i]))
    return MessageOut(
        id=doc["_id"],
        conversation_id=doc["conversation_id"],
        seq=doc["seq"],
        client_id=doc["client_id"] if to_sender else None,
        sender=Sender(role=doc["sender"]["role"], id=doc["sender"]["id"]),
        kind=doc["kind"],
        text=text,
        findings=findings,
        created_at=doc["created_at"].isoformat(),
        consent=doc.get("consent"),
        masked=len(revealed) < len(secrets),
        attachment_id=doc.get("attachment_id"),
        attachment=attachment,
        location=location_out,
        location_area=doc.get("location_area"),
    )


def replace_spans(text: str, spans: list[tuple[int, int, str]]) -> tuple[str, list[Mask]]:
    """`text` with each span [start, end) (sorted, not overlapping) replaced by its
    placeholder, and where each placeholder went (used by retention for connection data)."""
    parts: list[str] = []
    masks: list[Mask] = []
    cursor = out_len = 0
    for start, end, placeholder in spans:
        parts += [text[cursor:start], placeholder]
        out_len += start - cursor
        masks.append(Mask(start, end, out_len, out_len + len(placeholder), (), ()))
        out_len += len(placeholder)
        cursor = end
    parts.append(text[cursor:])
    return "".join(parts), masks
