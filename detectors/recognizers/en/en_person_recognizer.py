# Chinese punctuation and full-width characters are the data here, on purpose. Regex patterns and one-row-per-case tables read better unwrapped.
# ruff: noqa: E501, RUF001
"""PERSON (English): people's names from spaCy's NER (en_core_web_sm), Latin script only.

A list of single capitalised words ("Torpy and Salinas", "Romi, Erik, Amy and Kristen")
in which NER found a person is a list of people: its other words are names too (0.7); so is
another mention of a found name's word ("by Maciej Borkowski and starring Borkowski").
A first name, a middle initial and a surname ("Ravil G Yefimov") is a name without NER (0.6).
"""

from __future__ import annotations

from typing import override

import regex
from presidio_analyzer import RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts
from spacy.lang.en.stop_words import STOP_WORDS

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
# Two or three words: a capitalised first name, an optional initial, a capitalised surname.
_ORG_AS_NAME = regex.compile(
    r"\p{Lu}\p{Ll}[\p{Ll}\p{M}'’\-]+(?:[ \t]+\p{Lu}\.?)?[ \t]+\p{Lu}\p{Ll}[\p{Ll}\p{M}'’\-]+"
)
_COMPANY_WORDS = frozenset(
    {
        "inc", "ltd", "llc", "plc", "corp", "corporation", "company", "co", "group", "holdings",
        "bank", "capital", "partners", "markets", "club", "health", "data", "solutions",
        "systems", "services", "technologies", "technology", "labs", "software", "media",
        "agency", "consulting", "industries", "international", "global", "digital", "network",
        "foundation", "university", "college", "school", "hospital", "airlines", "airways",
        "motors", "energy", "insurance", "trust", "fund", "store", "shop", "market", "news",
        "times", "post", "express", "logistics", "supply", "studio", "studios", "records",
        "entertainment", "games", "pictures", "films", "books", "press", "hotel", "resort",
        "restaurant", "cafe", "pharma", "pharmaceuticals", "analytics", "cloud", "security",
        "stanley", "sachs", "chase", "hathaway", "fargo", "weekly", "daily", "magazine",
        "orchestra", "band", "team", "united", "city", "council", "ministry", "department",
        "office", "centre", "center", "institute", "association", "society", "union",
        "investments", "investment", "ventures", "associates", "enterprises", "brands",
    }
)  # fmt: skip
ORG_AS_NAME_SCORE = 0.6
_UNIT_TAIL = regex.compile(r"(?:\s+(?:Apt|Apartment|Suite|Ste|Unit|Flat|Room|Box)\.?)+$")
_LIST_WORD = r"\p{Lu}[\p{Ll}\p{M}'’\-]+"
_LIST = regex.compile(
    rf"(?<![\p{{L}}]){_LIST_WORD}(?:(?:,[ \t]*|,?[ \t]+(?:and|or|&)[ \t]+){_LIST_WORD}(?![\p{{L}}]))+"
)
_LIST_WORD_RE = regex.compile(_LIST_WORD)
LIST_SCORE = 0.7
# A first name, a middle initial and a surname ("Ravil G Yefimov", "Tamara T. Stanković"): the
# shape of a person's name whether NER knows the words or not. Not "I" or "A" as the initial.
_INITIALLED = regex.compile(
    r"(?<![\p{L}\p{M}'’\-])(\p{Lu}\p{Ll}[\p{Ll}\p{M}'’\-]+)[ \t]+(?![AI]\b)\p{Lu}\.?[ \t]+"
    r"(\p{Lu}\p{Ll}[\p{Ll}\p{M}'’\-]+)(?![\p{L}\p{M}])"
)
INITIALLED_SCORE = 0.6
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
            if entity.label_ not in {"PERSON", "ORG"}:
                continue
            start, end = entity.start_char, entity.end_char
            span = text[start:end]
            score, why = self.NER_SCORE, "spaCy NER PERSON"
            if entity.label_ == "ORG":
                # The small model calls many names it does not know organisations: a
                # first name and a surname ("Hanna Ukkonen") with no company word is a person.
                span = span.removesuffix("'s").removesuffix("’s")
                if not _ORG_AS_NAME.fullmatch(span) or any(
                    w.lower().rstrip(".") in _COMPANY_WORDS for w in span.split()
                ):
                    continue
                score, why = ORG_AS_NAME_SCORE, "spaCy NER ORG shaped as a person's name"
            title = _TITLE.match(span)
            if title:
                start += title.end()
                span = text[start:end]
            span = span.split("\n")[0].rstrip()  # never across a line break
            if span.endswith(("'s", "’s")):
                span = span[:-2]
            span = _UNIT_TAIL.sub("", span)  # "Barbara Yudina Apt. 675": the unit is the address's
            end = start + len(span)
            if not _NAME_SHAPE.fullmatch(span) or span.lower() in _NOT_NAMES:
                continue
            results.append(make_result(self.ENTITY, start, end, score, type(self).__name__, why))
        results += self._initialled(text, results)
        results += self._list_members(text, results)
        return results + self._repeats(text, results)

    def _initialled(self, text: str, found: list[RecognizerResult]) -> list[RecognizerResult]:
        extra = []
        for match in _INITIALLED.finditer(text):
            start, end = match.span()
            words = [match.group(1).lower(), match.group(2).lower()]
            if any(w in STOP_WORDS or w in _COMPANY_WORDS or w in _NOT_NAMES for w in words):
                continue
            if any(r.start < end and start < r.end for r in found):
                continue
            extra.append(
                make_result(
                    self.ENTITY,
                    start,
                    end,
                    INITIALLED_SCORE,
                    type(self).__name__,
                    "first name, initial, surname",
                )
            )
        return extra

    def _repeats(self, text: str, found: list[RecognizerResult]) -> list[RecognizerResult]:
        """Other mentions of a found name's words ("directed by Maciej Borkowski and starring
        Borkowski"): the same capitalised word is the same person."""
        words = {
            w.group()
            for r in found
            for w in _LIST_WORD_RE.finditer(text, r.start, r.end)
            if len(w.group()) > 2 and w.group().lower() not in _NOT_NAMES
        }
        if not words:
            return []
        extra = []
        for match in _LIST_WORD_RE.finditer(text):
            start, end = match.span()
            if match.group() not in words or (end < len(text) and text[end].isalpha()):
                continue
            if any(r.start <= start < r.end or start <= r.start < end for r in found):
                continue
            extra.append(
                make_result(
                    self.ENTITY, start, end, LIST_SCORE, type(self).__name__, "a found name again"
                )
            )
        return extra

    def _list_members(self, text: str, found: list[RecognizerResult]) -> list[RecognizerResult]:
        if not found:
            return []
        extra = []
        for match in _LIST.finditer(text):
            members = list(_LIST_WORD_RE.finditer(text, match.start(), match.end()))
            spans = [(m.start(), m.end()) for m in members]
            if not any(r.start <= s and e <= r.end for r in found for s, e in spans):
                continue
            for start, end in spans:
                if text[start:end].lower() in _NOT_NAMES:
                    continue
                if any(r.start <= start and end <= r.end for r in found):
                    continue
                extra.append(
                    make_result(
                        self.ENTITY,
                        start,
                        end,
                        LIST_SCORE,
                        type(self).__name__,
                        "in a list of names",
                    )
                )
        return extra
