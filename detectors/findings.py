"""The project's own finding type; no Presidio type leaves ``detectors/``."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Finding:
    """One span of personal information in a message (Python str offsets, end exclusive)."""

    entity_type: str
    start: int
    end: int
    score: float
    category: str
    sensitive: bool
    explanation: str

    def to_contract(self) -> dict[str, object]:
        """The CONTRACT section 3 shape."""
        return {
            "entity_type": self.entity_type,
            "start": self.start,
            "end": self.end,
            "score": round(self.score, 4),
            "category": self.category,
            "sensitive": self.sensitive,
        }


@dataclass(frozen=True, slots=True)
class KnownCustomer:
    """Values on file for this customer; their occurrences are flagged with high confidence."""

    name: str | None = None
    phone: str | None = None
    address: str | None = None
