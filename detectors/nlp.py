# Chinese punctuation and full-width characters are the data here, on purpose. Regex patterns and one-row-per-case tables read better unwrapped.
# ruff: noqa: E501, RUF001
"""The spaCy side of detection: English NER only, only where it can find something.

Presidio's default engine runs the whole en_core_web_sm pipeline (tagger, parser,
lemmatizer, NER) on every message. Our recognizers read only NER entities, and context words
are matched on raw text (context.py), so this engine loads just the ``ner`` component (it has
its own tok2vec in the small model), skips messages with no capitalised Latin word, blanks
out Chinese characters (offsets kept) so English NER sees only the Latin parts of mixed
messages, and batches with ``nlp.pipe``.
"""

from __future__ import annotations

import pathlib
from collections.abc import Iterable, Iterator, Sequence
from typing import override

import regex
import spacy
from presidio_analyzer.nlp_engine import NlpArtifacts, NlpEngine
from spacy.lang.en.stop_words import STOP_WORDS

from detectors.recognizers.base import REGEX_TIMEOUT
from detectors.text import SUPPORTED_LANGUAGES, mask_cjk

_KEEP = "ner"
# A capitalised word in any cased alphabet ("Novák" whole, not "Nov"), or an upper-case one.
_CAPITALISED = regex.compile(
    r"(?<!\p{LC})\p{Lu}[\p{Ll}\p{M}'’]+(?!\p{Ll})|(?<!\p{LC})\p{Lu}{2,}(?!\p{LC})"
)
_COMMON_STARTERS = frozenset(
    [
        "Hi",
        "Hello",
        "Hey",
        "My",
        "I",
        "The",
        "Thanks",
        "Thank",
        "Please",
        "Can",
        "Could",
        "Would",
        "Is",
        "It",
        "This",
        "That",
        "What",
        "When",
        "Where",
        "Why",
        "How",
        "Yes",
        "No",
        "Ok",
        "Okay",
        "Sorry",
        "We",
        "You",
        "Do",
        "Does",
        "Did",
        "Have",
        "Has",
        "Also",
        "And",
        "But",
        "So",
        "Just",
        "Still",
        "Order",
        "Dear",
        "Good",
        "Great",
        "Any",
        "Are",
        "Will",
        "Should",
        "If",
        "Then",
        "There",
        "Our",
        "Your",
        "Me",
        "Not",
        "Still",
        "Ah",
        "Oh",
        "Also",
        "Yeah",
        "Sure",
        "Cheers",
        "Regards",
        "Best",
        "Kind",
        "OK",
        "ID",
        "SKU",
        "PS",
    ]
)


# Capitalised words that never make a message worth NER: month and weekday names (NER
# reads them as dates, which no recognizer uses) and the acronyms of the data a customer
# types a value after ("IBAN", "IMEI": the value is found by its pattern).
_NOT_NAMES = frozenset(
    [
        "january",
        "february",
        "march",
        "april",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "mon",
        "tue",
        "tues",
        "thu",
        "thur",
        "thurs",
        "fri",
        "iban",
        "bic",
        "swift",
        "imei",
        "imsi",
        "meid",
        "ip",
        "ssn",
        "dob",
        "pin",
        "cvv",
        "otp",
        "sms",
        "vat",
        "sku",
        "url",
        "pdf",
        "qr",
        "gps",
        "sim",
        "usb",
        "wifi",
        "ok",
        "id",
        "ps",
    ]
)


_CODE_AFTER = regex.compile(r"[-_/#]?\d")
_CODE_BEFORE = regex.compile(r"\d[-_/#]?$")


def _is_name_trigger(text: str, match: regex.Match[str]) -> bool:
    word = match.group(0)
    if word in _COMMON_STARTERS:
        return False
    lowered = word.split("'")[0].split("’")[0].lower()
    if lowered in STOP_WORDS or lowered in _NOT_NAMES:
        return False
    # Letters joined to digits are part of a code ("ORD46598", "NB-2025...", "A72598-WHT").
    start, end = match.span()
    return not (
        _CODE_AFTER.match(text, end, timeout=REGEX_TIMEOUT.secs)
        or _CODE_BEFORE.search(text, max(0, start - 2), start, timeout=REGEX_TIMEOUT.secs)
    )


def needs_ner(text: str) -> bool:
    """True when the text has a capitalised word that could start a name or a place.

    Not: a common sentence opener, a stop word ("For", "It's"), a month or weekday, the
    acronym of a data type, or letters of a token that holds a digit (an order or SKU code).
    """
    return any(
        _is_name_trigger(text, m) for m in _CAPITALISED.finditer(text, timeout=REGEX_TIMEOUT.secs)
    )


class ProjectNlpArtifacts(NlpArtifacts):
    """NlpArtifacts plus ``deep``: False past ``deep_nlp_max_chars`` (jieba then skips)."""

    deep: bool = True


class ProjectNlpEngine(NlpEngine):
    def __init__(self, model_name: str, batch_size: int) -> None:
        self.model_name = model_name
        self.batch_size = batch_size
        self._nlp: spacy.language.Language | None = None

    @override
    def load(self) -> None:
        config = spacy.util.load_config(
            pathlib.Path(spacy.util.get_package_path(self.model_name))
            / f"{self.model_name}-{spacy.util.get_package_version(self.model_name)}"
            / "config.cfg"
        )
        names = config["nlp"]["pipeline"]
        self._nlp = spacy.load(self.model_name, exclude=[n for n in names if n != _KEEP])

    @override
    def is_loaded(self) -> bool:
        return self._nlp is not None

    @property
    def nlp(self) -> spacy.language.Language:
        if self._nlp is None:
            self.load()
        if self._nlp is None:
            raise RuntimeError(f"spaCy model {self.model_name} did not load")
        return self._nlp

    def artifacts(
        self, texts: Sequence[str], languages: Sequence[str], deep: Sequence[bool] | None = None
    ) -> list[NlpArtifacts]:
        """NLP artifacts for each text; NER runs (batched) only where ``needs_ner``.

        ``deep[i]`` False skips NER for text i and marks its artifacts so that other
        model-based recognizers (jieba) skip it too (see ``deep_nlp_max_chars``).
        """
        deep = deep if deep is not None else [True] * len(texts)
        wanted = [i for i, text in enumerate(texts) if deep[i] and needs_ner(text)]
        docs = dict(
            zip(
                wanted,
                self.nlp.pipe((mask_cjk(texts[i]) for i in wanted), batch_size=self.batch_size),
                strict=True,
            )
        )
        out: list[NlpArtifacts] = []
        for index, language in enumerate(languages):
            doc = docs.get(index)
            artifacts = ProjectNlpArtifacts(
                entities=list(doc.ents) if doc is not None else [],
                tokens=doc if doc is not None else self.nlp.make_doc(""),
                tokens_indices=[t.idx for t in doc] if doc is not None else [],
                lemmas=[],
                nlp_engine=self,
                language=language,
            )
            artifacts.deep = deep[index]
            out.append(artifacts)
        return out

    @override
    def process_text(self, text: str, language: str) -> NlpArtifacts:
        return self.artifacts([text], [language])[0]

    @override
    def process_batch(
        self,
        texts: Iterable[str],
        language: str,
        batch_size: int = 1,
        n_process: int = 1,
        **kwargs: object,
    ) -> Iterator[tuple[str, NlpArtifacts]]:
        items = list(texts)
        yield from zip(items, self.artifacts(items, [language] * len(items)), strict=True)

    @override
    def is_stopword(self, word: str, language: str) -> bool:
        return False

    @override
    def is_punct(self, word: str, language: str) -> bool:
        return False

    @override
    def get_supported_entities(self) -> list[str]:
        return ["PERSON", "GPE", "LOC"]

    @override
    def get_supported_languages(self) -> list[str]:
        return list(SUPPORTED_LANGUAGES)
