"""From raw recognizer results to the final set: shop identifiers out, overlaps resolved."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import regex

logger = logging.getLogger(__name__)

# Entities that look like shop identifiers (digit runs, dates) and give way to them.
IDENTIFIER_LIKE = frozenset(
    {
        "PHONE_NUMBER", "CREDIT_CARD", "BANK_ACCOUNT", "CN_RESIDENT_ID", "PASSPORT", "US_SSN",
        "US_DRIVER_LICENSE", "DEVICE_ID", "IP_ADDRESS", "DATE_OF_BIRTH", "GPS_COORDINATES",
        "IBAN_CODE", "AGE", "WECHAT_ID",
    }
)  # fmt: skip
CONTAINER_MARGIN = 0.35


@dataclass(slots=True)
class Candidate:
    entity_type: str
    start: int
    end: int
    score: float
    explanation: str
    context_word: str
    known_customer: bool

    @property
    def length(self) -> int:
        return self.end - self.start


class Suppressor:
    """Drops candidates that are, or sit right after a word naming, a shop identifier."""

    def __init__(self, patterns: list[str], negative_context: list[str], window: int) -> None:
        self._patterns = [regex.compile(p) for p in patterns]
        words = sorted({w.lower() for w in negative_context}, key=len, reverse=True)
        self._negative = regex.compile(
            "|".join(
                rf"(?<![a-z]){regex.escape(w)}(?![a-z])" if w.isascii() else regex.escape(w)
                for w in words
            )
            or r"(?!)"
        )
        self._window = window

    def identifier_spans(self, text: str, timeout: float) -> list[tuple[int, int]]:
        """Spans of the shop's identifiers. A pattern that runs out of time suppresses
        nothing more (fails closed: what it would have excused stays masked)."""
        spans: list[tuple[int, int]] = []
        for pattern in self._patterns:
            try:
                spans.extend(m.span() for m in pattern.finditer(text, timeout=timeout))
            except TimeoutError:
                logger.warning(
                    "identifier pattern %r timed out on a %d-char text", pattern.pattern, len(text)
                )
        return spans

    def keep(self, text: str, candidate: Candidate, spans: list[tuple[int, int]]) -> bool:
        if candidate.known_customer:
            return True
        if any(s < candidate.end and candidate.start < e for s, e in spans):
            return False
        if candidate.entity_type not in IDENTIFIER_LIKE:
            return True
        if candidate.score >= 1.0 and candidate.entity_type in {"CN_RESIDENT_ID", "IBAN_CODE"}:
            return True
        before = text[max(0, candidate.start - self._window) : candidate.start].lower()
        negatives = list(self._negative.finditer(before))
        if not negatives:
            return True
        # "order no. ... phone 138..." keeps the phone: its own context word comes later.
        word = candidate.context_word.lower()
        return bool(word) and word in before[negatives[-1].end() :]


def resolve_overlaps(
    candidates: list[Candidate], sensitive: frozenset[str] = frozenset()
) -> list[Candidate]:
    """Keep a consistent, non-overlapping set.

    A span inside a longer one is dropped unless it scores much higher (an address contains
    a city, a card number contains a phone-shaped run); partial overlaps keep the higher
    score, then the longer span. Two readings of the very same span (nine digits after
    "social security number" are also a valid Taiwanese phone number) keep the one whose
    entity is in ``sensitive`` whatever the scores: it fails closed (masked until consent)
    where the other would show the value.
    """
    spans_read_sensitive = {(c.start, c.end) for c in candidates if c.entity_type in sensitive}

    def rank(c: Candidate) -> tuple[bool, float, int, int]:
        same_span_loser = (
            c.start,
            c.end,
        ) in spans_read_sensitive and c.entity_type not in sensitive
        return (same_span_loser, -c.score, -c.length, c.start)

    ordered = sorted(candidates, key=rank)
    kept: list[Candidate] = []
    for candidate in sorted(candidates, key=lambda c: (-c.length, -c.score)):
        for other in candidates:
            if (
                other is not candidate
                and other.start <= candidate.start
                and candidate.end <= other.end
                and other.length > candidate.length
                and other.score + CONTAINER_MARGIN >= candidate.score
            ):
                break
        else:
            kept.append(candidate)
    survivors = {id(c) for c in kept}
    final: list[Candidate] = []
    for candidate in ordered:
        if id(candidate) not in survivors:
            continue
        if any(c.start < candidate.end and candidate.start < c.end for c in final):
            continue
        final.append(candidate)
    return sorted(final, key=lambda c: (c.start, c.end))
