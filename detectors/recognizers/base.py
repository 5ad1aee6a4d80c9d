# Regex patterns and one-row-per-case tables read better unwrapped.
"""Shared shape of the project's recognizers (Presidio-shaped, see detectors/README.md).

Score ladder for every pattern recognizer: a bare pattern is weak (below the engine
threshold when the format is ambiguous, so it needs a context word), a verified checksum
scores 1.0 and a failed checksum 0 (dropped). Context words are matched by the engine's
window enhancer (context.py) in English and Chinese alike.
"""

from __future__ import annotations

import logging
import pathlib
import traceback
from typing import ClassVar, override

import regex
from presidio_analyzer import (
    AnalysisExplanation,
    EntityRecognizer,
    LocalRecognizer,
    Pattern,
    PatternRecognizer,
    RecognizerResult,
)
from presidio_analyzer.nlp_engine import NlpArtifacts

logger = logging.getLogger(__name__)

# Digit/letter boundaries that also work next to Chinese characters (where \b does not).
NOT_AFTER_ALNUM = r"(?<![0-9A-Za-z])"
NOT_BEFORE_ALNUM = r"(?![0-9A-Za-z])"
NOT_AFTER_DIGIT = r"(?<![0-9])"
NOT_BEFORE_DIGIT = r"(?![0-9])"

DEFAULT_FLAGS = regex.MULTILINE | regex.IGNORECASE

PatternSpec = tuple[str, str, float]

# The GUARD of recognizers whose every pattern needs a digit (``\d`` as the patterns read it).
HAS_DIGIT = regex.compile(r"\d")

# What a time-out's message starts with (callers tell "this text" from "the detector").
REGEX_TIMED_OUT = "regex timed out"


class PatternTimeoutError(ValueError):
    """A recognizer's pattern ran out of time (``engine.regex_timeout_secs``) on a text.

    The text was not scanned completely, so it is refused whole (fail closed): never passed
    on with what was found before the time-out. A ``ValueError`` like ``TextTooLongError``
    (the filter answers that line with an error and goes on). The message names the
    recognizer and the pattern, never the text, so it is safe to log.
    """

    def __init__(self, recognizer: str, pattern: str) -> None:
        super().__init__(f"{REGEX_TIMED_OUT}: {recognizer}, pattern {pattern}")
        self.recognizer = recognizer
        self.pattern = pattern

    @override
    def __reduce__(self) -> tuple[type[PatternTimeoutError], tuple[str, str]]:
        return type(self), (self.recognizer, self.pattern)  # crosses the pool's pipe


def pattern_timed_out(recognizer: str, pattern: str, text_chars: int) -> PatternTimeoutError:
    """Log the time-out once (names and length only) and give the error to raise."""
    logger.warning(
        "%s: pattern %s timed out on a %d-char text; the text is refused",
        recognizer,
        pattern,
        text_chars,
    )
    return PatternTimeoutError(recognizer, pattern)


def _pattern_at(error: TimeoutError) -> str:
    """Where a recognizer's own code ran the pattern that timed out: ``module.py:line``
    (``regex`` raises from C, so the last Python frame is the loop or call that ran it)."""
    frames = traceback.extract_tb(error.__traceback__)
    if not frames:
        return "?"
    frame = frames[-1]
    return f"{pathlib.Path(frame.filename).name}:{frame.lineno}"


def timed_out_in(name: str, error: TimeoutError, text_chars: int) -> PatternTimeoutError:
    """``pattern_timed_out`` for a pattern run outside a recognizer (the text view, the NLP
    step, the resolution): ``name`` is the step, the pattern is where it ran."""
    return pattern_timed_out(name, _pattern_at(error), text_chars)


class ProjectPatternRecognizer(PatternRecognizer):
    """A PatternRecognizer declared by class attributes, one instance per language."""

    ENTITY: ClassVar[str]
    PATTERNS_SPEC: ClassVar[tuple[PatternSpec, ...]]
    CONTEXT_WORDS: ClassVar[tuple[str, ...]] = ()
    COUNTRY: ClassVar[str | None] = None
    LANGUAGES: ClassVar[tuple[str, ...]] = ("en", "zh")
    CHECK_EXPLANATION: ClassVar[str] = "format valid"
    FLAGS: ClassVar[int] = DEFAULT_FLAGS
    # Something every match of every pattern holds (a digit, "@"): a text without it is
    # skipped in one search instead of running each pattern over it.
    GUARD: ClassVar[regex.Pattern[str] | None] = None

    def __init__(self, supported_language: str = "en") -> None:
        super().__init__(
            supported_entity=self.ENTITY,
            patterns=[Pattern(name, rx, score) for name, rx, score in self.PATTERNS_SPEC],
            context=list(self.CONTEXT_WORDS),
            supported_language=supported_language,
            name=f"{type(self).__name__}",
            global_regex_flags=self.FLAGS,
        )
        self._compiled = [
            (name, rx, score, regex.compile(rx, flags=self.FLAGS))
            for name, rx, score in self.PATTERNS_SPEC
        ]

    @override
    def analyze(
        self,
        text: str,
        entities: list[str],
        nlp_artifacts: NlpArtifacts | None = None,
        regex_flags: int | None = None,
    ) -> list[RecognizerResult]:
        """Presidio's pattern loop without its per-pattern clock reads and debug logging.

        Same results as ``PatternRecognizer.analyze``: each pattern's matches (empty ones
        skipped), ``validate_result`` True scores 1.0 and False drops, ``invalidate_result``
        True drops, then Presidio's ``remove_duplicates``. Patterns are compiled once. Unlike
        Presidio's, a pattern that runs out of time raises ``PatternTimeoutError`` (Presidio
        skips it and returns the rest: the text would pass with that value unmasked).
        """
        compiled_patterns = self._compiled
        if regex_flags is not None and regex_flags != self.FLAGS:
            compiled_patterns = [
                (name, rx, score, regex.compile(rx, flags=regex_flags))
                for name, rx, score, _compiled in self._compiled
            ]
        if self.GUARD is not None and self.GUARD.search(text, timeout=REGEX_TIMEOUT.secs) is None:
            return []
        name = type(self).__name__  # the recognizer's name (see __init__)
        results: list[RecognizerResult] = []
        for pattern_name, pattern_rx, pattern_score, compiled in compiled_patterns:
            try:
                for match in compiled.finditer(text, timeout=REGEX_TIMEOUT.secs):
                    start, end = match.span()
                    if start == end:
                        continue
                    value = text[start:end]
                    valid = self.validate_result(value)
                    if valid is False or self.invalidate_result(value):
                        continue
                    score = EntityRecognizer.MAX_SCORE if valid else pattern_score
                    if score <= EntityRecognizer.MIN_SCORE:
                        continue
                    explanation = self.build_regex_explanation(
                        name, pattern_name, pattern_rx, pattern_score, valid, self.FLAGS
                    )
                    explanation.score = score
                    results.append(
                        RecognizerResult(
                            entity_type=self.supported_entities[0],
                            start=start,
                            end=end,
                            score=score,
                            analysis_explanation=explanation,
                            recognition_metadata={
                                RecognizerResult.RECOGNIZER_NAME_KEY: name,
                                RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
                            },
                        )
                    )
            except TimeoutError:
                raise pattern_timed_out(name, pattern_name, len(text)) from None
        if len(results) > 1:
            results = EntityRecognizer.remove_duplicates(results)
        return results

    @override
    def build_regex_explanation(  # type: ignore[override]  # presidio's is a staticmethod
        self,
        recognizer_name: str,
        pattern_name: str,
        pattern: str,
        original_score: float,
        validation_result: bool | None,
        regex_flags: int,
    ) -> AnalysisExplanation:
        if validation_result:
            text = self.CHECK_EXPLANATION
        elif validation_result is None:
            text = f"pattern {pattern_name}"
        else:
            text = f"pattern {pattern_name}, check failed"
        return AnalysisExplanation(
            recognizer=recognizer_name,
            original_score=original_score,
            pattern_name=pattern_name,
            pattern=pattern,
            validation_result=bool(validation_result),
            regex_flags=regex_flags,
            textual_explanation=text,
        )


class RegexTimeout:
    """Process-wide regex timeout, set from config once per process."""

    secs: float = 1.0


REGEX_TIMEOUT = RegexTimeout()


def set_regex_timeout(seconds: float) -> None:
    """Timeout for every regex run by our recognizers and by Presidio's PatternRecognizer."""
    REGEX_TIMEOUT.secs = seconds
    import presidio_analyzer.pattern_recognizer as presidio_patterns

    # Presidio reads it as an int from the environment, but regex accepts fractional seconds.
    presidio_patterns.REGEX_TIMEOUT_SECONDS = seconds  # type: ignore[assignment]


def make_result(
    entity: str, start: int, end: int, score: float, recognizer: str, explanation: str
) -> RecognizerResult:
    return RecognizerResult(
        entity_type=entity,
        start=start,
        end=end,
        score=score,
        analysis_explanation=AnalysisExplanation(
            recognizer=recognizer, original_score=score, textual_explanation=explanation
        ),
    )


class ProjectLocalRecognizer(LocalRecognizer):
    """A recognizer with its own ``find`` logic (NER, dictionaries, keyed values)."""

    ENTITY: ClassVar[str]
    CONTEXT_WORDS: ClassVar[tuple[str, ...]] = ()
    COUNTRY: ClassVar[str | None] = None
    LANGUAGES: ClassVar[tuple[str, ...]] = ("en", "zh")

    def __init__(self, supported_language: str = "en") -> None:
        super().__init__(
            supported_entities=[self.ENTITY],
            name=type(self).__name__,
            supported_language=supported_language,
            context=list(self.CONTEXT_WORDS),
        )

    @override
    def load(self) -> None:
        return None

    def find(self, text: str, nlp_artifacts: NlpArtifacts | None) -> list[RecognizerResult]:
        raise NotImplementedError

    @override
    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        if entities and self.ENTITY not in entities:
            return []
        return self.find_or_refuse(text, nlp_artifacts)

    def find_or_refuse(
        self, text: str, nlp_artifacts: NlpArtifacts | None
    ) -> list[RecognizerResult]:
        """``find``, or ``PatternTimeoutError`` when one of its patterns runs out of time:
        never the findings so far, nor none (fail closed)."""
        try:
            return self.find(text, nlp_artifacts)
        except TimeoutError as error:
            raise pattern_timed_out(type(self).__name__, _pattern_at(error), len(text)) from None


class KeyedValueRecognizer(ProjectLocalRecognizer):
    """A value introduced by a key word ("微信号: abc123"); only the ``value`` group is flagged."""

    KEYED_PATTERNS: ClassVar[tuple[tuple[str, regex.Pattern[str], float], ...]]
    EXPLANATION: ClassVar[str] = "value after key word"

    @override
    def find(self, text: str, nlp_artifacts: NlpArtifacts | None) -> list[RecognizerResult]:
        results = []
        for name, pattern, score in self.KEYED_PATTERNS:
            try:
                matches = list(pattern.finditer(text, timeout=REGEX_TIMEOUT.secs))
            except TimeoutError:
                raise pattern_timed_out(type(self).__name__, name, len(text)) from None
            for match in matches:
                start, end = match.span("value")
                results.append(
                    make_result(
                        self.ENTITY,
                        start,
                        end,
                        score,
                        type(self).__name__,
                        f"{self.EXPLANATION} ({name})",
                    )
                )
        return results
