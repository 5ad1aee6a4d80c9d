"""A finding as stored in a message (`messages.findings`), apart from the wire's `FindingOut`.

The stored keys and values are those `FindingOut.model_dump()` wrote before this module
existed: a store written then reads the same. Offsets are in the stored (masked) text;
the renderer moves them to the text each viewer receives (chat_service/protocol/render.py).
"""

from __future__ import annotations

from typing import Protocol, TypedDict


class FindingDoc(TypedDict):
    entity_type: str
    start: int
    end: int
    score: float
    category: str
    sensitive: bool


class FindingFields(Protocol):
    """What a finding to store has (the wire's `FindingOut`, the policy's output)."""

    @property
    def entity_type(self) -> str: ...
    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...
    @property
    def score(self) -> float: ...
    @property
    def category(self) -> str: ...
    @property
    def sensitive(self) -> bool: ...


def finding_doc(finding: FindingFields) -> FindingDoc:
    """`finding` as stored."""
    return FindingDoc(
        entity_type=finding.entity_type,
        start=finding.start,
        end=finding.end,
        score=finding.score,
        category=finding.category,
        sensitive=finding.sensitive,
    )
