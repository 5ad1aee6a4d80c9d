# Regex patterns read better unwrapped; names use the typographic apostrophe.
# ruff: noqa: E501, RUF001
"""LOCATION (English): cities, regions and countries from spaCy's NER (GPE, LOC labels).

NER misses towns it has not seen, and every name in capitals ("NAANTALI", "GUÉRET"). After
a cue that puts a person somewhere ("I live in", "originally from", "moved to", "flew to",
"based in", "born in"), one to four capitalised or upper-case words in any alphabet are a
place (0.65).
"""

from __future__ import annotations

from typing import override

import regex
from presidio_analyzer import RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from detectors.recognizers.base import REGEX_TIMEOUT, ProjectLocalRecognizer, make_result

_LABELS = frozenset({"GPE", "LOC"})
_PLACE_WORD = r"\p{Lu}[\p{L}\p{M}'’\-]*"
_CUED = regex.compile(
    r"(?<![\p{L}])(?i:live in|lives in|lived in|living in|i'm from|i am from|im from|originally from|"
    r"moved to|moving to|flew to|fly to|flying to|based in|born in|grew up in|relocated to|"
    r"travell?ing to|staying in|stay in)[ \t]+"
    rf"(?P<value>{_PLACE_WORD}(?:[ \t]+(?:{_PLACE_WORD}|(?:de|del|da|do|la|le|u|am|an|sur)(?=[ \t]+\p{{Lu}}))){{0,3}})"
)
CUE_SCORE = 0.65
# Capitalised words after "live in", "moved to" ... that are times, not places.
_NOT_PLACES = frozenset(
    {
        "january", "february", "march", "april", "may", "june", "july", "august", "september",
        "october", "november", "december", "monday", "tuesday", "wednesday", "thursday",
        "friday", "saturday", "sunday", "the", "a", "an", "my", "our", "this", "that", "it",
    }
)  # fmt: skip


class EnLocationRecognizer(ProjectLocalRecognizer):
    ENTITY = "LOCATION"
    CONTEXT_WORDS = ("live in", "from", "city", "located", "住在", "城市")
    NER_SCORE = 0.7

    @override
    def find(self, text: str, nlp_artifacts: NlpArtifacts | None) -> list[RecognizerResult]:
        results = [
            make_result(
                self.ENTITY, *m.span("value"), CUE_SCORE, type(self).__name__, "place after a cue"
            )
            for m in _CUED.finditer(text, timeout=REGEX_TIMEOUT.secs)
            if m.group("value").split()[0].lower() not in _NOT_PLACES
        ]
        if nlp_artifacts is None:
            return results
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
