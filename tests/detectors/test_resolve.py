"""Overlap resolution (detectors/resolve.py): which reading of a span is kept."""

from __future__ import annotations

import pytest

from detectors.resolve import Candidate, resolve_overlaps

SENSITIVE = frozenset({"US_SSN", "CREDIT_CARD"})


def candidate(entity_type: str, start: int, end: int, score: float) -> Candidate:
    return Candidate(entity_type, start, end, score, "", "", known_customer=False)


@pytest.mark.parametrize(
    ("candidates", "kept"),
    [
        # The very same span read two ways: the sensitive reading wins whatever the scores.
        (
            [candidate("PHONE_NUMBER", 23, 34, 0.95), candidate("US_SSN", 23, 34, 0.5)],
            [("US_SSN", 23, 34)],
        ),
        (
            [candidate("US_SSN", 0, 11, 0.85), candidate("PHONE_NUMBER", 0, 11, 0.6)],
            [("US_SSN", 0, 11)],
        ),
        # Two non-sensitive readings of one span: the higher score wins, as before.
        (
            [candidate("PHONE_NUMBER", 0, 11, 0.6), candidate("DATE_OF_BIRTH", 0, 11, 0.9)],
            [("DATE_OF_BIRTH", 0, 11)],
        ),
        # Partial overlaps are not the same span: score decides.
        (
            [candidate("PHONE_NUMBER", 0, 11, 0.95), candidate("US_SSN", 2, 13, 0.5)],
            [("PHONE_NUMBER", 0, 11)],
        ),
        # A longer span still contains a shorter sensitive one scoring little more.
        (
            [candidate("STREET_ADDRESS", 0, 40, 0.8), candidate("CREDIT_CARD", 5, 20, 0.9)],
            [("STREET_ADDRESS", 0, 40)],
        ),
    ],
)
def test_when_readings_overlap_then_the_expected_one_is_kept(
    candidates: list[Candidate], kept: list[tuple[str, int, int]]
) -> None:
    result = resolve_overlaps(candidates, SENSITIVE)
    assert [(c.entity_type, c.start, c.end) for c in result] == kept


def test_when_no_sensitive_types_are_given_then_the_higher_score_wins() -> None:
    same_span = [candidate("PHONE_NUMBER", 23, 34, 0.95), candidate("US_SSN", 23, 34, 0.5)]
    assert [c.entity_type for c in resolve_overlaps(same_span)] == ["PHONE_NUMBER"]
