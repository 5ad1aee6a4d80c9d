"""The synchronous detector: Presidio's AnalyzerEngine with our recognizers, built once.

See detectors/README.md. Used by pool workers (one per process) and by the CLI filter.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence

from presidio_analyzer import (
    AnalyzerEngine,
    EntityRecognizer,
    RecognizerRegistry,
    RecognizerResult,
)
from presidio_analyzer.nlp_engine import NlpArtifacts
from spacy.lang.en.stop_words import STOP_WORDS

from detectors.config import DetectionConfig
from detectors.context import WindowContextEnhancer
from detectors.findings import Finding, KnownCustomer
from detectors.known_customer import KnownCustomerRecognizer
from detectors.nlp import ProjectNlpEngine
from detectors.not_personal import NotPersonalFilter
from detectors.offline import make_tldextract_offline
from detectors.recognizers import build_recognizers, supported_entities
from detectors.recognizers.base import REGEX_TIMEOUT, set_regex_timeout, timed_out_in
from detectors.recognizers.en.en_international_address_recognizer import is_street_word
from detectors.recognizers.generic.generic_age_recognizer import parse_age
from detectors.recognizers.generic.generic_date_of_birth_recognizer import parse_date
from detectors.resolve import Candidate, Suppressor, resolve_overlaps
from detectors.text import (
    SUPPORTED_LANGUAGES,
    capitalised,
    chunk_text,
    detect_language,
    has_capitalised_word,
    has_lower_case_word,
    lower_case_address_hint,
    skip_stop_words,
)
from detectors.view import TextView, text_view

logger = logging.getLogger(__name__)

DetectItem = tuple[str, str | None, KnownCustomer | None]


class TextTooLongError(ValueError):
    """The message is longer than ``engine.max_text_chars``."""


def years_between(born: dt.date, today: dt.date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


class Detector:
    """Builds the analyzer once; ``detect``/``detect_batch`` return our own ``Finding``s."""

    def __init__(self, config: DetectionConfig, today: Callable[[], dt.date] | None = None) -> None:
        self.config = config
        engine = config.detection.engine
        missing = supported_entities() - set(config.categories.entities)
        if missing:
            raise ValueError(f"categories.toml has no category for {sorted(missing)}")
        reference = config.detection.minors.reference_date
        self._today = today or (lambda: reference or dt.datetime.now(dt.UTC).date())
        set_regex_timeout(engine.regex_timeout_secs)
        make_tldextract_offline()
        self._nlp = ProjectNlpEngine(engine.spacy_model, engine.ner_batch_size)
        self._nlp.load()
        registry = RecognizerRegistry(supported_languages=list(SUPPORTED_LANGUAGES))
        for recognizer in build_recognizers(SUPPORTED_LANGUAGES):
            recognizer.load()
            recognizer.is_loaded = True
            registry.add_recognizer(recognizer)
        self._analyzer = AnalyzerEngine(
            registry=registry,
            nlp_engine=self._nlp,
            supported_languages=list(SUPPORTED_LANGUAGES),
            context_aware_enhancer=WindowContextEnhancer(
                boost=engine.context_boost,
                before_chars=engine.context_window_before_chars,
                after_chars=engine.context_window_after_chars,
            ),
            default_score_threshold=engine.score_threshold,
        )
        suppress = config.detection.suppress
        self._suppressor = Suppressor(
            [p.regex for p in suppress.patterns],
            list(suppress.negative_context),
            engine.negative_context_window_chars,
        )
        self._not_personal = NotPersonalFilter(config.detection.not_personal)
        self._thresholds = config.detection.entity_thresholds
        self._sensitive = config.sensitive_entities()
        logger.info("detector ready: %d recognizers", len(list(registry.recognizers)))

    def detect(
        self, text: str, language: str | None = None, known: KnownCustomer | None = None
    ) -> list[Finding]:
        return self.detect_batch([(text, language, known)])[0]

    def detect_batch(self, items: Sequence[DetectItem]) -> list[list[Finding]]:
        """Findings for each item. A pattern that runs out of time anywhere (recognizers,
        text view, NLP step, resolution) raises ``PatternTimeoutError``: the batch is
        refused whole (fail closed)."""
        try:
            return self._detect_batch(items)
        except TimeoutError as error:
            chars = sum(len(text) for text, _language, _known in items if isinstance(text, str))
            raise timed_out_in("Detector", error, chars) from None

    def _detect_batch(self, items: Sequence[DetectItem]) -> list[list[Finding]]:
        engine = self.config.detection.engine
        chunk_owner: list[int] = []
        chunk_starts: list[int] = []
        chunk_texts: list[str] = []
        chunk_languages: list[str] = []
        chunk_deep: list[bool] = []
        views: list[TextView] = []
        for index, (text, language, _known) in enumerate(items):
            if not isinstance(text, str):
                raise TypeError("text must be a str")
            if language is not None and language not in SUPPORTED_LANGUAGES:
                raise ValueError(f"unsupported language {language!r}; use one of en, zh")
            if len(text) > engine.max_text_chars:
                raise TextTooLongError(f"text longer than {engine.max_text_chars} characters")
            view = text_view(text)
            views.append(view)
            for chunk in chunk_text(view.text, engine.chunk_chars, engine.chunk_overlap_chars):
                detected = detect_language(chunk.text)
                chunk_owner.append(index)
                chunk_starts.append(chunk.start)
                chunk_texts.append(chunk.text)
                chunk_languages.append("zh" if "zh" in (language, detected) else detected)
                chunk_deep.append(chunk.start < engine.deep_nlp_max_chars)
        artifacts = self._nlp.artifacts(chunk_texts, chunk_languages, chunk_deep)
        raw: list[list[Candidate]] = [[] for _ in items]
        for owner, start, text, language, nlp_artifacts in zip(
            chunk_owner, chunk_starts, chunk_texts, chunk_languages, artifacts, strict=True
        ):
            known = items[owner][2]
            ad_hoc: list[EntityRecognizer] | None = (
                [KnownCustomerRecognizer(known, language)] if known else None
            )
            results = self._analyzer.analyze(
                text=text,
                language=language,
                nlp_artifacts=nlp_artifacts,
                score_threshold=engine.score_threshold,
                return_decision_process=True,
                ad_hoc_recognizers=ad_hoc,
            )
            if language == "en" and lower_case_address_hint(text, timeout=REGEX_TIMEOUT.secs):
                results += [
                    r
                    for r in self._lower_case_addresses(text, language, nlp_artifacts)
                    if not any(
                        o.entity_type == r.entity_type
                        and r.start < o.end
                        and o.start < r.end
                        and has_capitalised_word(text, o.start, o.end, timeout=REGEX_TIMEOUT.secs)
                        for o in results
                    )
                ]
            raw[owner].extend(self._candidate(r, start) for r in results)
        return [self._finish(views[i], raw[i]) for i in range(len(items))]

    def _lower_case_addresses(
        self, text: str, language: str, nlp_artifacts: NlpArtifacts
    ) -> list[RecognizerResult]:
        """Addresses written in lower case ("i live at 807 deborah estate apt. 573"): the
        address recognizers read capitals, so they are run again on the text with every word
        capitalised (same offsets). An address that has a lower-case word and a word that is
        no stop word is kept unless it overlaps an address with capitals found in the text as
        written (that one was read as written: "meet you at Tungata 11" read capitalised would
        take "Meet You At" in)."""
        results = self._analyzer.analyze(
            text=capitalised(text, timeout=REGEX_TIMEOUT.secs),
            language=language,
            entities=["STREET_ADDRESS"],
            nlp_artifacts=nlp_artifacts,
            score_threshold=self.config.detection.engine.score_threshold,
            return_decision_process=True,
        )
        kept = []
        for r in results:
            if r.entity_type != "STREET_ADDRESS":
                continue
            # Words of the sentence before it read capitalised as a street's: "it to" of
            # "ship it to ul. kwiatowa 12" is not the address's.
            r.start = skip_stop_words(text, r.start, r.end, timeout=REGEX_TIMEOUT.secs)
            # Capitalised, "3 To 5" of "takes 3 to 5 days" reads as a street and its
            # number: one written in lower case is kept only with a word that is a street
            # word or no stop word ("kwiatowa", "midtvollen", "ul.").
            if has_lower_case_word(text, r.start, r.end, timeout=REGEX_TIMEOUT.secs) and any(
                is_street_word(w) or (w.isalpha() and w.lower() not in STOP_WORDS)
                for w in text[r.start : r.end].replace(",", " ").split()
            ):
                kept.append(r)
        return kept

    @staticmethod
    def _candidate(result: RecognizerResult, offset: int) -> Candidate:
        explanation = result.analysis_explanation
        text = explanation.textual_explanation if explanation is not None else ""
        word = explanation.supportive_context_word if explanation is not None else ""
        recognizer = explanation.recognizer if explanation is not None else ""
        return Candidate(
            entity_type=result.entity_type,
            start=result.start + offset,
            end=result.end + offset,
            score=float(result.score),
            explanation=text or "",
            context_word=word or "",
            known_customer=recognizer == KnownCustomerRecognizer.__name__,
        )

    def _finish(self, view: TextView, candidates: list[Candidate]) -> list[Finding]:
        """Resolve candidates found in the view; findings carry offsets into the original."""
        engine = self.config.detection.engine
        text = view.text
        spans = self._suppressor.identifier_spans(text, REGEX_TIMEOUT.secs)
        kept = [
            c
            for c in candidates
            if c.score >= self._thresholds.get(c.entity_type, engine.score_threshold)
            and self._suppressor.keep(text, c, spans)
            and self._not_personal.keep(text, c)
        ]
        return [self._finding(view, c) for c in resolve_overlaps(kept, self._sensitive)]

    def _finding(self, view: TextView, candidate: Candidate) -> Finding:
        category, sensitive = self.config.category_of(candidate.entity_type)
        explanation = candidate.explanation
        if candidate.context_word:
            explanation = f"{explanation}; context word {candidate.context_word!r}"
        if self._is_minor(candidate, view.text[candidate.start : candidate.end]):
            category, sensitive = self.config.minor()
            explanation = f"{explanation}; under {self.config.detection.minors.age_threshold_years}"
        start, end = view.original_span(candidate.start, candidate.end)
        return Finding(
            entity_type=candidate.entity_type,
            start=start,
            end=end,
            score=min(1.0, candidate.score),
            category=category,
            sensitive=sensitive,
            explanation=explanation,
        )

    def _is_minor(self, candidate: Candidate, span: str) -> bool:
        limit = self.config.detection.minors.age_threshold_years
        if candidate.entity_type == "AGE":
            age = parse_age(span)
            if age is not None and ("month" in span.lower() or "月" in span or age < limit):
                return True
        if candidate.entity_type == "DATE_OF_BIRTH":
            born = parse_date(span)
            today = self._today()
            if born is not None and born <= today and years_between(born, today) < limit:
                return True
        return False
