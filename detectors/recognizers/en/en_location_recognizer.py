"""LOCATION (English): cities, regions and countries from spaCy's NER (GPE, LOC labels)."""

from __future__ import annotations

from typing import override

from presidio_analyzer import RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from detectors.recognizers.base import ProjectLocalRecognizer, make_result

_LABELS = frozenset({"GPE", "LOC"})


class EnLocationRecognizer(ProjectLocalRecognizer):
    ENTITY = "LOCATION"
    CONTEXT_WORDS = ("live in", "from", "city", "located", "住在", "城市")
    NER_SCORE = 0.7

    @override
    def find(self, text: str, nlp_artifacts: NlpArtifacts | None) -> list[RecognizerResult]:
        if nlp_artifacts is None:
            return []
        results = []
        for entity in nlp_artifacts.entities:
            if entity.label_ not in _LABELS:
                continue
            span = text[entity.start_char : entity.end_char]
            if not span[:1].isupper() or len(span) < 2 or any(c.isdigit() for c in span):
                continue
            results.append(
                make_result(
                    self.ENTITY,
                    entity.start_char,
                    entity.end_char,
                    self.NER_SCORE,
                    type(self).__name__,
                    f"spaCy NER {entity.label_}",
                )
            )
        return results
