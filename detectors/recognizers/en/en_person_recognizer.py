# Chinese punctuation and full-width characters are the data here, on purpose. Regex patterns and one-row-per-case tables read better unwrapped.
# ruff: noqa: E501, RUF001
"""PERSON (English): people's names from spaCy's NER (en_core_web_sm), Latin script only."""

from __future__ import annotations

from typing import override

import regex
from presidio_analyzer import RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from detectors.recognizers.base import ProjectLocalRecognizer, make_result

# Words the small model tags as PERSON in shop chats although they are not names.
_NOT_NAMES = frozenset(
    {
        "hi", "hello", "hey", "thanks", "thank", "dear", "sir", "madam", "ok", "okay", "please",
        "customer", "agent", "support", "order", "refund", "paypal", "visa", "iphone", "alexa",
    }
)  # fmt: skip
_TITLE = regex.compile(r"^(?:mr|mrs|ms|miss|dr|prof)\.?\s+", regex.I)
# Any alphabet with letter case: Gústav, Kozłowski, Đặng, Neuschäfer.
_NAME_SHAPE = regex.compile(r"\p{Lu}[\p{L}\p{M}'’\-]+(?:\s+\p{Lu}[\p{L}\p{M}'’\-.]+)*")


class EnPersonRecognizer(ProjectLocalRecognizer):
    ENTITY = "PERSON"
    CONTEXT_WORDS = ("name", "my name is", "this is", "i am", "called", "姓名", "名字")
    NER_SCORE = 0.85

    @override
    def find(self, text: str, nlp_artifacts: NlpArtifacts | None) -> list[RecognizerResult]:
        if nlp_artifacts is None:
            return []
        results = []
        for entity in nlp_artifacts.entities:
            if entity.label_ != "PERSON":
                continue
            start, end = entity.start_char, entity.end_char
            span = text[start:end]
            title = _TITLE.match(span)
            if title:
                start += title.end()
                span = text[start:end]
            span = span.split("\n")[0].rstrip()  # never across a line break
            if span.endswith(("'s", "’s")):
                span = span[:-2]
            end = start + len(span)
            if not _NAME_SHAPE.fullmatch(span) or span.lower() in _NOT_NAMES:
                continue
            results.append(
                make_result(
                    self.ENTITY, start, end, self.NER_SCORE, type(self).__name__, "spaCy NER PERSON"
                )
            )
        return results
