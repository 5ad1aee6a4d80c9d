# Chinese punctuation and full-width characters are the data here, on purpose. Regex patterns and one-row-per-case tables read better unwrapped.
# ruff: noqa: E501, RUF001
"""PERSON (English): people's names from spaCy's NER (en_core_web_sm), Latin script only.

A list of single capitalised words ("Torpy and Salinas", "Romi, Erik, Amy and Kristen")
in which NER found a person is a list of people: its other words are names too (0.7); so is
another mention of a found name's word ("by Maciej Borkowski and starring Borkowski").
A first name, a middle initial and a surname ("Ravil G Yefimov") is a name without NER (0.6).

A names lexicon (`en_person_names.txt`, given names and surnames of many cultures from
Faker's locales, common English words left out: scripts/make_person_names.py) finds what NER
does not know: a capitalised given name with the capitalised surname after it ("Antti
Poutiainen", 0.6) or alone ("Vsevolod is very reliable", 0.55); a list of capitalised words
half of which are known names ("Kónya, Becker and Vasquez"); a lower-case list of three or
more words half of which are known given names ("silvana, adam, christopher and caleb");
a known given name before "'s" ("Zofia's phone"); a known surname alone (not a given name
too) where the words around it speak of a person: after "ask", "with", "for", "met",
"thanks", "dear", "cc", "by", "and" ("I spoke with Kowalczyk"), or before a verb of
speaking or acting, "and I", "'s" ("Sørensen said", "Ishikawa will pick it up") (0.55).
"""

from __future__ import annotations

import pathlib
from functools import cache
from typing import override

import regex
from presidio_analyzer import RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts
from spacy.lang.en.stop_words import STOP_WORDS

from detectors.recognizers.base import REGEX_TIMEOUT, ProjectLocalRecognizer, make_result
from detectors.recognizers.en.en_international_address_recognizer import is_street_word

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
_NAMES_FILE = pathlib.Path(__file__).with_name("en_person_names.txt")
# A capitalised word, not part of a hashtag, a handle or a longer word; or two joined by a
# hyphen (a double given name: "Sophie-Louise", "Jean-Claude").
_CAP_WORD = regex.compile(
    r"(?<![\p{L}\p{M}'’\-@#_\d])\p{Lu}\p{Ll}[\p{Ll}\p{M}'’]*(?:-\p{Lu}\p{Ll}[\p{Ll}\p{M}]*)?"
    r"(?![\p{L}\p{M}\d_@\-])"
)
_SURNAME_AFTER = regex.compile(r"[ \t]+(\p{Lu}\p{Ll}[\p{Ll}\p{M}'’\-]*)(?![\p{L}\p{M}\d_@\-])")
# Name particles before a surname ("Tess van Nus", "Ravy da Luz", "Rune De Wilde").
_PARTICLES_AFTER = regex.compile(
    r"(?:[ \t]+(?:[vV]an|[vV]on|[dD]e|[dD]er|[dD]en|ten|ter|[dD]a|[dD]i|[dD]u|[dD]el|[dD]ella|[dD]os|[dD]as"
    r"|la|le|bin|binti|ibn|al|el))+(?=[ \t]+\p{Lu}\p{Ll})"
)
_LOWER_LIST_WORD = r"\p{Ll}[\p{Ll}\p{M}'’\-]+"
_LOWER_LIST = regex.compile(
    rf"(?<![\p{{L}}\p{{M}}@#])({_LOWER_LIST_WORD}(?:,[ \t]*{_LOWER_LIST_WORD}){{1,}},?[ \t]+(?:and|or|&)[ \t]+{_LOWER_LIST_WORD})(?![\p{{L}}\p{{M}}])"
)
_LOWER_LIST_WORD_RE = regex.compile(_LOWER_LIST_WORD)
# A lone known name right after one of these is a place or a thing ("made in India",
# "delivery to Rotterdam"); one before a number is a model ("Reno 11").
# So is one after a word that starts a place's name ("Lake Lori", "West Christine") or after
# a house number ("838 Raven Mew").
_PLACE_BEFORE = frozenset(
    {
        "in", "to", "from", "at", "near", "via", "of", "into", "across", "north", "south",
        "east", "west", "new", "lake", "port", "mount", "mt", "saint", "st", "san", "santa",
        "fort", "glen", "upper", "lower", "old",
    }
)  # fmt: skip
_WORD_BEFORE = regex.compile(r"([\p{L}\d]+)\.?[ \t]+$")
_NUMBER_AFTER = regex.compile(r"[ \t]*\d")
LEXICON_FULL_SCORE = 0.6
# Festivals named like people ("when ramadan is", "noel was lovely").
_FESTIVALS = frozenset({"ramadan", "diwali", "noel", "hanukkah", "navratri", "vesak", "nowruz"})
_LOWER_SUBJECT = regex.compile(
    r"(?<![\p{L}\p{M}'’\-@#_\d])(?P<name>\p{Ll}[\p{Ll}\p{M}]+)(?:[ \t]+(?:is|was|had|has|said|says|told|asked)(?![\p{L}])|['’]s[ \t]|[ \t]*:[ \t]*[\"“])"
)
LEXICON_ALONE_SCORE = 0.55
# Words around a surname alone that make it a person's (see the module's docstring).
_SURNAME_CUE_BEFORE = regex.compile(
    r"(?<![\p{L}])(?i:ask|asked|with|for|met|meet|thanks|thank you|dear|cc|by|and|tell|told|call|called|contact|professor|prof\.|dr\.|mr\.|mrs\.|ms\.)[ \t,]+$"
)
_SURNAME_CUE_AFTER = regex.compile(
    r"(?:['’]s[ \t]|[ \t]+(?:said|says|told|asked|wrote|called|replied|will|would|can|could|should|and[ \t]+I|has[ \t]+been|is[ \t]+(?:very|not|a|an|my|our|the|from|still|always)|was[ \t]+(?:very|not|a|an|my|our|the|still|always))(?![\p{L}]))"
)
_NAME_SHAPE = regex.compile(r"\p{Lu}[\p{L}\p{M}'’\-]+(?:\s+\p{Lu}[\p{L}\p{M}'’\-.]+)*")


def _touches(found: list[RecognizerResult], start: int, end: int) -> bool:
    """Whether the span start..end overlaps any finding of `found`."""
    return any(r.start < end and start < r.end for r in found)


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
                if not _ORG_AS_NAME.fullmatch(span, timeout=REGEX_TIMEOUT.secs) or any(
                    w.lower().rstrip(".") in _COMPANY_WORDS for w in span.split()
                ):
                    continue
                score, why = ORG_AS_NAME_SCORE, "spaCy NER ORG shaped as a person's name"
            title = _TITLE.match(span, timeout=REGEX_TIMEOUT.secs)
            if title:
                start += title.end()
                span = text[start:end]
            span = span.split("\n")[0].rstrip()  # never across a line break
            if span.endswith(("'s", "’s")):
                span = span[:-2]
            span = _UNIT_TAIL.sub(
                "", span, timeout=REGEX_TIMEOUT.secs
            )  # "Barbara Yudina Apt. 675": the unit is the address's
            end = start + len(span)
            if (
                not _NAME_SHAPE.fullmatch(span, timeout=REGEX_TIMEOUT.secs)
                or span.lower() in _NOT_NAMES
            ):
                continue
            results.append(make_result(self.ENTITY, start, end, score, type(self).__name__, why))
        results += self._initialled(text, results)
        results += self._lexicon(text, results)
        results += self._list_members(text, results)
        results += self._lower_list(text, results)
        results += self._lower_subject(text, results)
        results += self._repeats(text, results)
        # A hashtag or a handle names a topic or an account, not a person written out
        # ("#KraftFightsHunger", "#YomKippur", "@WanderingRyu").
        return [r for r in results if text[r.start - 1 : r.start] not in {"#", "@"}]

    def _lexicon(self, text: str, found: list[RecognizerResult]) -> list[RecognizerResult]:
        """A known given name, with the capitalised surname after it when there is one."""
        given, _surnames = person_names()
        extra: list[RecognizerResult] = []
        for match in _CAP_WORD.finditer(text, timeout=REGEX_TIMEOUT.secs):
            start, end = match.span()
            word = match.group()
            if word.endswith(("'s", "’s")):
                word, end = word[:-2], end - 2  # "Zofia's phone"
            if "-" in word:
                # A double given name counts when both halves are given names; two that are
                # surnames too, with no surname after them, are more often a firm ("I work for
                # Ellis-Ingram"; "Jean-Claude Duvallier" is a person).
                parts = word.split("-")
                if not all(p in given for p in parts) or (
                    all(p in _surnames for p in parts)
                    and not _SURNAME_AFTER.match(text, end, timeout=REGEX_TIMEOUT.secs)
                ):
                    continue
            elif word not in given:
                if word in _surnames and self._cued_surname(text, start, end, found + extra):
                    why = "a known surname where a person is spoken of"
                    extra.append(
                        make_result(
                            self.ENTITY, start, end, LEXICON_ALONE_SCORE, type(self).__name__, why
                        )
                    )
                continue
            if _touches(found + extra, start, end):
                continue
            score, why = LEXICON_ALONE_SCORE, "a known given name"
            particles = _PARTICLES_AFTER.match(text, end, timeout=REGEX_TIMEOUT.secs)
            after = _SURNAME_AFTER.match(
                text, particles.end() if particles else end, timeout=REGEX_TIMEOUT.secs
            )
            if after is not None and after.group(1).lower() in _COMPANY_WORDS:
                continue  # a company named after a person ("Russell Investments")
            if after is not None and not (
                not_a_name_word(after.group(1)) or is_street_word(after.group(1))
            ):
                third = _SURNAME_AFTER.match(text, after.end(), timeout=REGEX_TIMEOUT.secs)
                if third is not None:
                    if (
                        after.group(1) not in _surnames
                        or third.group(1) not in _surnames
                        or not_a_name_word(third.group(1))
                        or is_street_word(third.group(1))
                        or _SURNAME_AFTER.match(text, third.end(), timeout=REGEX_TIMEOUT.secs)
                    ):
                        continue  # a run of capitalised words: a heading ("Mac Sync Completed")
                    after = third  # two surnames ("Leonardo Sánchez Acevedo")
                end = after.end()
                score, why = LEXICON_FULL_SCORE, "a known given name and a surname"
            if score == LEXICON_ALONE_SCORE:
                before = _WORD_BEFORE.search(
                    text, max(0, start - 16), start, timeout=REGEX_TIMEOUT.secs
                )
                word_before = before.group(1).lower() if before else ""
                if (
                    word_before in _PLACE_BEFORE
                    or word_before.isdigit()
                    or _NUMBER_AFTER.match(text, end, timeout=REGEX_TIMEOUT.secs)
                    or len(match.group()) < 4
                ):
                    continue
            extra.append(make_result(self.ENTITY, start, end, score, type(self).__name__, why))
        return extra

    @staticmethod
    def _cued_surname(text: str, start: int, end: int, found: list[RecognizerResult]) -> bool:
        """Whether a known surname alone at start..end is a person's by the words around it."""
        if (
            end - start < 4
            or _touches(found, start, end)
            or _NUMBER_AFTER.match(text, end, timeout=REGEX_TIMEOUT.secs)
        ):
            return False
        before = _WORD_BEFORE.search(text, max(0, start - 16), start, timeout=REGEX_TIMEOUT.secs)
        if before is not None and before.group(1).lower() in _PLACE_BEFORE:
            return False
        if (
            _SURNAME_AFTER.match(text, end, timeout=REGEX_TIMEOUT.secs)
            or text[max(0, start - 2) : start].strip()[-1:].isupper()
        ):
            return False  # a capitalised word after it (a title, a firm) or an initial before
        return bool(
            _SURNAME_CUE_BEFORE.search(text, max(0, start - 16), start, timeout=REGEX_TIMEOUT.secs)
            or _SURNAME_CUE_AFTER.match(text, end, timeout=REGEX_TIMEOUT.secs)
        )

    def _lower_subject(self, text: str, found: list[RecognizerResult]) -> list[RecognizerResult]:
        """A lower-case known given name as the subject of a verb or a speaker ("selma is
        from ...", "cormac had given ...", 'mika: "who are you?"')."""
        given, _surnames = person_names()
        extra = []
        for match in _LOWER_SUBJECT.finditer(text, timeout=REGEX_TIMEOUT.secs):
            start, end = match.span("name")
            word = match.group("name")
            if (
                len(word) < 4
                or word.capitalize() not in given
                or word in STOP_WORDS
                or word in _FESTIVALS
            ):
                continue
            if _touches(found, start, end):
                continue
            why = "a lower-case known given name before a verb"
            extra.append(
                make_result(self.ENTITY, start, end, LEXICON_ALONE_SCORE, type(self).__name__, why)
            )
        return extra

    def _lower_list(self, text: str, found: list[RecognizerResult]) -> list[RecognizerResult]:
        """A lower-case list of three or more words, half of them known given names."""
        given, _surnames = person_names()
        extra = []
        for match in _LOWER_LIST.finditer(text, timeout=REGEX_TIMEOUT.secs):
            members = list(
                _LOWER_LIST_WORD_RE.finditer(
                    text, match.start(), match.end(), timeout=REGEX_TIMEOUT.secs
                )
            )
            members = [m for m in members if m.group() not in {"and", "or"}]
            known = sum(m.group().capitalize() in given for m in members)
            if len(members) < 3 or 2 * known < len(members):
                continue
            for member in members:
                start, end = member.span()
                if member.group() in STOP_WORDS or _touches(found, start, end):
                    continue
                extra.append(
                    make_result(
                        self.ENTITY,
                        start,
                        end,
                        LIST_SCORE,
                        type(self).__name__,
                        "in a lower-case list of given names",
                    )
                )
        return extra

    def _initialled(self, text: str, found: list[RecognizerResult]) -> list[RecognizerResult]:
        extra = []
        for match in _INITIALLED.finditer(text, timeout=REGEX_TIMEOUT.secs):
            start, end = match.span()
            words = [match.group(1).lower(), match.group(2).lower()]
            if any(w in STOP_WORDS or w in _COMPANY_WORDS or w in _NOT_NAMES for w in words):
                continue
            if _touches(found, start, end):
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
            for w in _LIST_WORD_RE.finditer(text, r.start, r.end, timeout=REGEX_TIMEOUT.secs)
            if len(w.group()) > 2 and w.group().lower() not in _NOT_NAMES
        }
        if not words:
            return []
        extra = []
        for match in _LIST_WORD_RE.finditer(text, timeout=REGEX_TIMEOUT.secs):
            start, end = match.span()
            if match.group() not in words or (end < len(text) and text[end].isalpha()):
                continue
            if _touches(found, start, end):
                continue
            extra.append(
                make_result(
                    self.ENTITY, start, end, LIST_SCORE, type(self).__name__, "a found name again"
                )
            )
        return extra

    def _list_members(self, text: str, found: list[RecognizerResult]) -> list[RecognizerResult]:
        given, surnames = person_names()
        extra = []
        for match in _LIST.finditer(text, timeout=REGEX_TIMEOUT.secs):
            members = list(
                _LIST_WORD_RE.finditer(text, match.start(), match.end(), timeout=REGEX_TIMEOUT.secs)
            )
            spans = [(m.start(), m.end()) for m in members]
            known = sum(m.group() in given or m.group() in surnames for m in members)
            if 2 * known < len(members) and not any(
                r.start <= s and e <= r.end for r in found for s, e in spans
            ):
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


# A firm named after its partners ("Owens, Duran and Oneal", "the Clark, Romero and Hall
# Orchestra"): three or more surnames joined by commas and "and"/"&", in any case.
_FIRM_WORD = r"[\p{L}][\p{L}\p{M}'’\-]+"
_FIRM = regex.compile(
    rf"(?<![\p{{L}}\p{{M}}@#])({_FIRM_WORD}(?:,[ \t]*{_FIRM_WORD})+,?[ \t]+(?:and|&)[ \t]+{_FIRM_WORD})(?![\p{{L}}\p{{M}}])"
)
_FIRM_WORD_RE = regex.compile(_FIRM_WORD)
# What makes such a list one firm: a singular verb or a company word after it ("... is a
# design agency", "... Orchestra"), a word before it that puts someone in a firm ("from",
# "work for", "at"), or a line of its own (a letterhead or a signature's company line).
_FIRM_AFTER = regex.compile(r"[ \t]+(?:(?:is|has|was)(?![\p{L}])|([\p{L}]+))", regex.I)
_FIRM_BEFORE = regex.compile(r"(?<![\p{L}])(?:from|for|at|the|of)[ \t]+$", regex.I)
_LINE_START = regex.compile(r"(?:^|\n)[ \t>]*$")
_LINE_END = regex.compile(r"[ \t]*(?:\n|$)")


def firm_spans(text: str) -> list[tuple[int, int]]:
    """Spans of firms named after partners: none of their words is a given name only."""
    given, surnames = person_names()
    spans = []
    for match in _FIRM.finditer(text, timeout=REGEX_TIMEOUT.secs):
        words = [
            w.group() for w in _FIRM_WORD_RE.finditer(match.group(1), timeout=REGEX_TIMEOUT.secs)
        ]
        words = [w for w in words if w.lower() not in {"and"}]
        if len(words) < 3:
            continue
        if any(w.lower() in STOP_WORDS for w in words):
            continue
        if any((c := w[:1].upper() + w[1:]) in given and c not in surnames for w in words):
            continue  # "Romi, Erik, Amy and Kristen" are people
        start, end = match.span(1)
        after = _FIRM_AFTER.match(text, end, timeout=REGEX_TIMEOUT.secs)
        company = after is not None and (after.group(1) or "").lower() in _COMPANY_WORDS
        if (
            (after is not None and after.group(1) is None)
            or company
            or _FIRM_BEFORE.search(text, max(0, start - 12), start, timeout=REGEX_TIMEOUT.secs)
            is not None
            or (
                "\n" in text
                and _LINE_START.search(text, max(0, start - 8), start, timeout=REGEX_TIMEOUT.secs)
                is not None
                and _LINE_END.match(text, end, timeout=REGEX_TIMEOUT.secs) is not None
            )
        ):
            spans.append((start, after.end() if company and after else end))
    return spans


def not_a_name_word(word: str) -> bool:
    folded = word.lower()
    return folded in STOP_WORDS or folded in _COMPANY_WORDS or folded in _NOT_NAMES


@cache
def person_names() -> tuple[frozenset[str], frozenset[str]]:
    """(given names, surnames) of the lexicon, read once per process."""
    given: set[str] = set()
    surnames: set[str] = set()
    with _NAMES_FILE.open(encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("#") or "\t" not in line:
                continue
            name, kind = line.rstrip("\n").split("\t")
            if "G" in kind:
                given.add(name)
            if "S" in kind:
                surnames.add(name)
    return frozenset(given), frozenset(surnames)
