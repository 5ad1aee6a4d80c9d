"""Context words, matched in a character window (works for Chinese, which has no spaces).

Presidio's default enhancer compares lemmas of whitespace tokens, which cannot see "身份证号"
in "身份证号110101...". This one looks for each recognizer's context words, case-insensitively,
in the characters just before and after a result.
"""

from __future__ import annotations

from typing import override

from presidio_analyzer import EntityRecognizer, RecognizerResult
from presidio_analyzer.context_aware_enhancers import ContextAwareEnhancer
from presidio_analyzer.nlp_engine import NlpArtifacts


class WindowContextEnhancer(ContextAwareEnhancer):
    def __init__(self, boost: float, before_chars: int, after_chars: int) -> None:
        super().__init__(
            context_similarity_factor=boost,
            min_score_with_context_similarity=0.4,
            context_prefix_count=before_chars,
            context_suffix_count=after_chars,
        )

    def supporting_word(self, text: str, start: int, end: int, words: list[str]) -> str | None:
        before = text[max(0, start - self.context_prefix_count) : start].lower()
        after = text[end : end + self.context_suffix_count].lower()
        for word in words:
            lowered = word.lower()
            if lowered in before or lowered in after:
                return word
        return None

    @override
    def enhance_using_context(
        self,
        text: str,
        raw_results: list[RecognizerResult],
        nlp_artifacts: NlpArtifacts | None,
        recognizers: list[EntityRecognizer],
        context: list[str] | None = None,
    ) -> list[RecognizerResult]:
        by_id = {r.id: r for r in recognizers}
        for result in raw_results:
            if result.recognition_metadata.get(RecognizerResult.IS_SCORE_ENHANCED_BY_CONTEXT_KEY):
                continue
            recognizer = by_id.get(
                result.recognition_metadata.get(RecognizerResult.RECOGNIZER_IDENTIFIER_KEY)
            )
            words = list(recognizer.context or []) if recognizer is not None else []
            words += context or []
            if not words or result.score >= 1.0:
                continue
            word = self.supporting_word(text, result.start, result.end, words)
            if word is None:
                continue
            result.score = min(
                1.0,
                max(
                    result.score + self.context_similarity_factor,
                    self.min_score_with_context_similarity,
                ),
            )
            result.recognition_metadata[RecognizerResult.IS_SCORE_ENHANCED_BY_CONTEXT_KEY] = True
            if result.analysis_explanation is not None:
                result.analysis_explanation.set_improved_score(result.score)
                result.analysis_explanation.set_supportive_context_word(word)
        return raw_results
