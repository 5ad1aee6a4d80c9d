# Look-alike digits, invisible characters and emoji are the data here, on purpose.
# ruff: noqa: RUF001
"""The normalised view detection runs on (detectors/view.py) and its offsets back."""

from __future__ import annotations

import pytest

from detectors.view import MAX_EXPANSION_CHARS, TextView, text_view

# (text, view, [(view start, view end, original start, original end), ...])
Span = tuple[int, int, int, int]
CASES: list[tuple[str, str, list[Span]]] = [
    ("", "", [(0, 0, 0, 0)]),
    ("\u200b\u200d\ufeff\u2060\u00ad", "", [(0, 0, 5, 5)]),
    ("plain ascii 123", "plain ascii 123", [(0, 15, 0, 15), (6, 11, 6, 11)]),
    ("tab\tnew\nline\rkept", "tab\tnew\nline\rkept", [(0, 17, 0, 17)]),
    ("a\x01b\x7fc\x85d", "a b c d", [(0, 7, 0, 7)]),
    ("a\u00a0b\u202fc\u2007d\u3000e\u2028f\u2029g", "a b c d e f g", [(0, 13, 0, 13)]),
    ("ﬁne", "fine", [(0, 1, 0, 1), (1, 2, 0, 1), (0, 2, 0, 1), (2, 4, 1, 3)]),
    ("⑽ items", "(10) items", [(0, 4, 0, 1), (1, 3, 0, 1), (5, 10, 2, 7)]),
    ("①②③", "123", [(0, 3, 0, 3), (1, 2, 1, 2)]),
    ("𝟒𝟐 ok", "42 ok", [(0, 2, 0, 2), (3, 5, 3, 5)]),
    ("٤٢ ۴२ ๔৪ ４", "42 42 44 4", [(0, 10, 0, 10)]),
    ("a\ud800b", "a\ufffdb", [(0, 3, 0, 3)]),
    ("4\u200b1\u200c1\u200d1", "4111", [(0, 4, 0, 7), (1, 2, 2, 4), (0, 1, 0, 2)]),
    ("\u200b\u200b42", "42", [(0, 2, 2, 4)]),
    ("42\u00ad", "42", [(0, 2, 0, 3)]),
    ("4\ufe0f\u20e3 2\u0332", "4 2", [(0, 1, 0, 3), (2, 3, 4, 6), (0, 3, 0, 6)]),
    ("e\u0301", "e\u0301", [(0, 2, 0, 2)]),
    ("x\u202ey\U000e0041z", "xyz", [(0, 3, 0, 5), (1, 2, 2, 4)]),
    ("\ufdfa", "\ufdfa", [(0, 1, 0, 1)]),
    ("card 4111.1111.1111.1111.", "card 4111111111111111.", [(5, 21, 5, 24), (21, 22, 24, 25)]),
    ("4111🙂1111🙂1111🙂1111", "4111111111111111", [(0, 16, 0, 19), (3, 4, 3, 5), (4, 5, 5, 6)]),
    ("ID 110101\u00a019900307\u00a08515", "ID 110101199003078515", [(3, 21, 3, 23)]),
    ("DE89.3704.0044.0532.0130.00", "DE89370400440532013000", [(0, 22, 0, 27)]),
    (
        "ip 192.168.1.1 at 31.2304, 121.4737",
        "ip 192.168.1.1 at 31.2304, 121.4737",
        [(0, 35, 0, 35)],
    ),
    ("call 138 0013 8000", "call 138 0013 8000", [(0, 18, 0, 18)]),
    ("call 138\u00a00013\u00a08000", "call 13800138000", [(5, 16, 5, 18)]),
    ("card 4111 1111 1111 1111", "card 4111111111111111", [(5, 21, 5, 24)]),
]


def assert_consistent(view: TextView) -> None:
    """Every view character comes from a non-empty, in-order span of the original."""
    length = len(view.text)
    spans = [view.original_span(i, i + 1) for i in range(length)]
    for index, (start, end) in enumerate(spans):
        assert 0 <= start < end <= len(view.original), (index, start, end)
        if index:
            before_start, before_end = spans[index - 1]
            same_source = (start, end) == (before_start, before_end)
            assert same_source or start >= before_end, (index, spans[index - 1], (start, end))


@pytest.mark.parametrize(("text", "expected", "spans"), CASES, ids=[repr(c[0])[:40] for c in CASES])
def test_when_text_is_normalised_then_view_and_offsets_are_as_expected(
    text: str, expected: str, spans: list[Span]
) -> None:
    view = text_view(text)
    assert view.original == text
    assert view.text == expected
    for view_start, view_end, start, end in spans:
        assert view.original_span(view_start, view_end) == (start, end)
    assert_consistent(view)


def test_when_a_character_expands_beyond_the_limit_then_the_view_stays_bounded() -> None:
    text = "\ufdfa\u3250\u33ff" * 1000
    view = text_view(text)
    assert len(view.text) <= MAX_EXPANSION_CHARS * len(text)
    assert_consistent(view)


def test_when_the_same_characters_come_again_then_the_view_is_the_same() -> None:
    text = "ﬁ ٤\u200b٢ 𝟒\u00a0x"
    assert text_view(text) == text_view(text)
    assert text_view(text).text == "fi 42 4 x"
