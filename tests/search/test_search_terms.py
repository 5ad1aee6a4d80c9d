"""The tokenisation of stored masked text and of queries (chat_service/search_terms.py)."""

from __future__ import annotations

import pytest

from chat_service.search_terms import MAX_TERMS, query_terms, terms_of


@pytest.mark.parametrize(
    ("text", "terms"),
    [
        ("My card [CREDIT_CARD] was charged", ["card", "charged"]),
        ("ORDER Ａ-1001 Refund", ["order", "1001", "refund"]),  # noqa: RUF001  # full-width on purpose
        ("退款申请", ["退款", "款申", "申请"]),
        ("好", ["好"]),
        ("我的[CN_RESIDENT_ID]号码", ["我的", "号码"]),
        ("the of and", []),
        ("", []),
        (None, []),
    ],
)
def test_when_text_is_tokenised_then_terms_are_words_and_han_bigrams(
    text: str | None, terms: list[str]
) -> None:
    assert terms_of(text) == terms


def test_when_a_text_has_many_words_then_terms_are_capped() -> None:
    assert len(terms_of(" ".join(f"w{i}" for i in range(1000)))) == MAX_TERMS


def test_when_a_query_is_tokenised_then_it_matches_the_stored_terms() -> None:
    stored = set(terms_of("我想申请退款, Parcel DAMAGED"))
    for query in ("申请退款", "parcel damaged", "ＰＡＲＣＥＬ"):  # noqa: RUF001
        assert set(query_terms(query)) <= stored
