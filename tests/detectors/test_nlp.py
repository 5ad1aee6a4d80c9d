"""Which messages the English NER runs on, and the pattern loop that replaces Presidio's.

NER is most of a message's detection time: it runs only where a capitalised word could
start a name or a place. The pattern loop must give exactly Presidio's results.
"""

from __future__ import annotations

import json
import pathlib

import pytest
from presidio_analyzer import PatternRecognizer

from detectors.nlp import needs_ner
from detectors.recognizers import build_recognizers
from detectors.recognizers.base import ProjectPatternRecognizer
from detectors.text import SUPPORTED_LANGUAGES

DEV = pathlib.Path(__file__).resolve().parents[1] / "data" / "detection" / "dev.jsonl"


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("Where is my order ORD46598?", id="letters-of-an-order-code"),
        pytest.param("Please cancel order NB-20251206255", id="code-with-dash"),
        pytest.param("return item A72598-WHT from my last order", id="sku-suffix"),
        pytest.param("For the refund, which card?", id="stop-word-opener"),
        pytest.param("It's been a week. I'm still waiting", id="contractions"),
        pytest.param("delivered on Nov 5, not Monday", id="month-and-weekday"),
        pytest.param("my IBAN and IMEI are below", id="data-type-acronyms"),
        pytest.param("我的订单还没到", id="chinese-only"),
    ],
)
def test_when_no_word_could_start_a_name_then_ner_is_skipped(text: str) -> None:
    assert not needs_ner(text)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("ask Michael about it", id="name"),
        pytest.param("Mr. Kozłowski flew to Gdansk", id="polish-name"),
        pytest.param("signed Ján M. Novák", id="accented-name-not-read-as-month"),
        pytest.param("this is Ødegaard", id="name-starting-with-a-non-ascii-capital"),
        pytest.param("ship it to Dublin", id="place"),
        pytest.param("JOHN SMITH here", id="upper-case-name"),
    ],
)
def test_when_a_word_could_start_a_name_or_place_then_ner_runs(text: str) -> None:
    assert needs_ner(text)


def test_when_patterns_run_in_the_project_loop_then_results_equal_presidios() -> None:
    texts = [json.loads(line)["text"] for line in DEV.read_text(encoding="utf-8").splitlines()]
    texts += ["no digits, no at sign here", "card 4111 1111 1111 1111, a@example.com"]
    recognizers = [
        r for r in build_recognizers(SUPPORTED_LANGUAGES) if isinstance(r, ProjectPatternRecognizer)
    ]
    assert recognizers
    compared = 0
    for recognizer in recognizers:
        for text in texts:
            ours = ProjectPatternRecognizer.analyze(recognizer, text, [])
            presidio = PatternRecognizer.analyze(recognizer, text, [])
            key = sorted((r.entity_type, r.start, r.end, r.score) for r in ours)
            assert key == sorted((r.entity_type, r.start, r.end, r.score) for r in presidio), (
                type(recognizer).__name__,
                text,
            )
            compared += len(presidio)
    assert compared > 100  # the dev set exercises the patterns
