# Regex patterns and one-row-per-case tables read better unwrapped.
"""LOCATION (Chinese): provinces and cities from a gazetteer (cn_places.py).

City- or province-level places are not precise locations; full delivery addresses are
STREET_ADDRESS (cn_street_address_recognizer.py), which wins when the two overlap.
"""

from __future__ import annotations

from typing import override

import regex
from presidio_analyzer import RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from detectors.recognizers.base import REGEX_TIMEOUT, ProjectLocalRecognizer, make_result
from detectors.recognizers.cn.cn_places import CITIES, PROVINCE_SUFFIXES, PROVINCES


def _alternation(words: list[str] | tuple[str, ...]) -> str:
    return "|".join(sorted(set(words), key=len, reverse=True))


_PLACE = regex.compile(
    rf"(?:{_alternation(PROVINCES)})(?:{_alternation(PROVINCE_SUFFIXES)})?"
    rf"|(?:{_alternation(CITIES)})(?:市|地区)?"
)


class CnLocationRecognizer(ProjectLocalRecognizer):
    ENTITY = "LOCATION"
    COUNTRY = "cn"
    LANGUAGES = ("zh",)
    CONTEXT_WORDS = ("在", "住在", "来自", "城市", "发往", "寄到")
    SCORE = 0.7

    @override
    def find(self, text: str, nlp_artifacts: NlpArtifacts | None) -> list[RecognizerResult]:
        return [
            make_result(
                self.ENTITY, m.start(), m.end(), self.SCORE, type(self).__name__, "gazetteer place"
            )
            for m in _PLACE.finditer(text, timeout=REGEX_TIMEOUT.secs)
        ]
