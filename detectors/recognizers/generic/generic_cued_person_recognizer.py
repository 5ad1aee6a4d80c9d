# Regex patterns read better unwrapped; names use the typographic apostrophe.
# ruff: noqa: E501, RUF001
"""PERSON after a cue, in any script: "my name is Ludmiła", "Mr. Kozłowski", "hi im 陳金龍".

spaCy's small English model misses many names from outside its training data (Finnish,
Icelandic, Arabic, Hindi, Vietnamese) and every name not written in Latin letters. A cue
that introduces a person (``_CUE``) is strong evidence whatever the name looks like, so the
words right after it are taken when they look like a name:

- one to four capitalised words in any alphabet (``\\p{Lu}`` then letters and marks:
  Gústav Sófóníasson, Kadri Sisask, John Đặng), or
- one to four words of a script without letter case (Arabic, Devanagari, Bengali, Thai ...),
  or two to four Han characters (a Chinese name in an English sentence), or
- after "my name is" / "name:" only, lower-case words (chat writing), none of them a common
  English word.

After a title (Mr., Ms., Mrs., Dr., Miss) one word is enough: a surname alone is a name.
"""

from __future__ import annotations

from typing import override

import regex
from presidio_analyzer import RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts
from spacy.lang.en.stop_words import STOP_WORDS

from detectors.recognizers.base import REGEX_TIMEOUT, ProjectLocalRecognizer, make_result

_CAPITALISED = r"\p{Lu}[\p{L}\p{M}'’\-]*\p{L}"
_UNCASED = r"[\p{Arabic}\p{Devanagari}\p{Bengali}\p{Thai}\p{Hebrew}\p{Hangul}\p{Tamil}\p{Telugu}\p{Gujarati}\p{Gurmukhi}\p{Cyrillic}][\p{L}\p{M}\u200c\u200d]*"
_HAN = r"\p{Han}{2,4}"
_NAME = rf"(?:{_HAN}|{_CAPITALISED}(?:[ \t]+{_CAPITALISED}){{0,3}}|{_UNCASED}(?:[ \t]+{_UNCASED}){{0,3}})"
_LOWER = r"[a-z][a-z'’\-]+(?:[ \t]+[a-z][a-z'’\-]+){0,2}"
_CUE = (
    r"(?:my name is|my name's|name is|name\s?:|i am|i'm|i’m|im|this is|it's for|it is for|"
    r"called|named|recipient\s?:|recipient is|put|send it to(?: my \w+)?|"
    r"to my (?:sister|brother|mother|mum|mom|father|dad|wife|husband|friend|son|daughter))"
)
# The cue in any case; the name's capital letters must be real ones.
_CUED = regex.compile(rf"(?<![\p{{L}}])(?P<cue>(?i:{_CUE}))[ \t]+(?P<value>{_NAME})")
_STRONG_LOWER = regex.compile(
    rf"(?<![\p{{L}}])(?i:my name is|my name's|name\s?:)[ \t]*(?P<value>{_LOWER})"
)
_TITLED = regex.compile(
    rf"(?<![\p{{L}}])(?:Mr|Mrs|Ms|Miss|Dr|Mx)\.?[ \t]+(?P<value>{_CAPITALISED}(?:[ \t]+{_CAPITALISED})?|{_HAN}|\p{{Han}}|{_UNCASED})"
)
# Capitalised words after a cue that are not names.
_NOT_NAMES = frozenset(
    {
        "the", "a", "an", "my", "your", "our", "this", "that", "it", "not", "so", "very", "here",
        "from", "with", "in", "at", "on", "for", "and", "or", "but", "just", "still", "also",
        "really", "sorry", "happy", "okay", "ok", "fine", "good", "thanks", "hi", "hello",
        "customer", "order", "item", "package", "parcel", "box", "refund", "please", "waiting",
        "looking", "trying", "going", "calling", "writing", "asking", "back", "again", "now",
    }
)  # fmt: skip
_CHAT_WORDS = frozenset({"lol", "pls", "plz", "thx", "btw", "im", "ur", "u", "ok", "okay", "hi"})


class GenericCuedPersonRecognizer(ProjectLocalRecognizer):
    ENTITY = "PERSON"
    CUE_SCORE = 0.8

    @override
    def find(self, text: str, nlp_artifacts: NlpArtifacts | None) -> list[RecognizerResult]:
        results = []
        name = type(self).__name__
        for pattern, why in ((_CUED, "name after a cue"), (_TITLED, "name after a title")):
            for match in pattern.finditer(text, timeout=REGEX_TIMEOUT.secs):
                start, end = trim(text, *match.span("value"))
                if end > start:
                    results.append(make_result(self.ENTITY, start, end, self.CUE_SCORE, name, why))
        for match in _STRONG_LOWER.finditer(text, timeout=REGEX_TIMEOUT.secs):
            start, end = trim(text, *match.span("value"))
            if end > start:
                why = "lower-case name after my name is"
                results.append(make_result(self.ENTITY, start, end, self.CUE_SCORE, name, why))
        return results


def trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Drop leading/trailing words that are common words, not parts of a name."""
    words = list(regex.finditer(r"\S+", text[start:end]))
    kept = []
    for word in words:
        lowered = word.group().lower()
        if lowered in _NOT_NAMES or lowered in _CHAT_WORDS or lowered in STOP_WORDS:
            break
        kept.append(word)
    if not kept:
        return start, start
    return start + kept[0].start(), start + kept[-1].end()
