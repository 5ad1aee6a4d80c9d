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
- after "my name is" / "name:" or a lower-case title ("mr. elliott"; not "miss", a verb) only, lower-case words (chat
  writing), none of them a common English word.

After a title (Mr., Ms., Mrs., Dr., Miss) one word is enough: a surname alone is a name.
Cues include a question for the name answered in the same message ("What's your last
name? Turgeon"), "it's under X" / "booked under X", and reported speech ("said X",
"told X", "speak to X", "said X to Y"); a capitalised word opening the message before a
request ("Aloisia, can I ...", "Danial, could you ...") is a name (0.6) unless it is an
interjection, a greeting or a common word ("Sorry, can you"); a capitalised word before "'s daughter", "'s wife", "'s boss" ...
is a name too, and so is the speaker heading a quoted line ('Alice: "Who are you?"'). A title is never taken as the name ("this is Mr. Wirth"). In a message of
three or more lines with a number (a signature or contact card), a line that is only two to
four name-shaped words ("Marta Palermo", "Ella H. Snider", "Maika van de Noort") is a name
(0.6), unless a word is a heading word ("Best Regards", "Customer Service", "Asc Partners");
so is a first line of two to four lower-case words ("leone mazzi", "emidio p lombardo")
heading such a block that holds a phone number or an e-mail address, none of them a common
English word.
"""

from __future__ import annotations

from typing import override

import regex
from presidio_analyzer import RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts
from spacy.lang.en.stop_words import STOP_WORDS

from detectors.recognizers.base import REGEX_TIMEOUT, ProjectLocalRecognizer, make_result
from detectors.recognizers.en.en_person_recognizer import person_names

_CAPITALISED = r"\p{Lu}[\p{L}\p{M}'’\-]*\p{L}"
_UNCASED = r"[\p{Arabic}\p{Devanagari}\p{Bengali}\p{Thai}\p{Hebrew}\p{Hangul}\p{Tamil}\p{Telugu}\p{Gujarati}\p{Gurmukhi}\p{Cyrillic}][\p{L}\p{M}\u200c\u200d]*"
_HAN = r"\p{Han}{2,4}"
_NAME = rf"(?:{_HAN}|{_CAPITALISED}(?:[ \t]+{_CAPITALISED}){{0,3}}|{_UNCASED}(?:[ \t]+{_UNCASED}){{0,3}})"
_LOWER = r"[a-z][a-z'’\-]+(?:[ \t]+[a-z][a-z'’\-]+){0,2}"
_CUE = (
    r"(?:my name is|my name's|name is|name\s?:|i am|i'm|i’m|im|this is|it's for|it is for|"
    r"called|named|recipient\s?:|recipient is|put|send it to(?: my \w+)?|"
    r"(?:last |first |full |sur)?name\?|name on the (?:account|order|card|booking) is|"
    r"(?:it's|it is|it’s|booked|ordered|registered|reserved|account is) under|"
    r"said|told|asked|said to|speak to|talk to|ask for|call me|calls me|named (?:him|her)|"
    r"to my (?:sister|brother|mother|mum|mom|father|dad|wife|husband|friend|son|daughter))"
)
# The cue in any case; the name's capital letters must be real ones.
_CUED = regex.compile(rf"(?<![\p{{L}}])(?P<cue>(?i:{_CUE}))[ \t]+(?P<value>{_NAME})")
# "said Erle to Maurice": the one spoken to (the speaker is the cue's own name).
_SAID_TO = regex.compile(
    rf"(?<![\p{{L}}])(?i:said)[ \t]+{_CAPITALISED}[ \t]+(?i:to)[ \t]+(?P<value>{_NAME})"
)
_STRONG_LOWER = regex.compile(
    rf"(?<![\p{{L}}])(?:(?i:my name is|my name's|name\s?:)[ \t]*(?P<value>{_LOWER})|(?:mr|mrs|ms|dr)\.?[ \t]+(?P<value>[a-z][a-z'’\-]+))"
)
# Lower-case chat after a cue ("hi im marek drobot", "people call me višeslav"): a known given
# name of the lexicon (en_person_names.txt), with a known surname after it when there is one.
_LOWER_LEXICON_CUED = regex.compile(
    r"(?<![\p{L}])(?i:i'm|i’m|im|i am|this is|call me|calls me|it's for|it is for|speak to|talk to|ask for)"
    r"[ \t]+(?P<first>\p{Ll}[\p{Ll}\p{M}'’\-]+)(?:[ \t]+(?P<second>\p{Ll}[\p{Ll}\p{M}'’\-]+))?(?![\p{L}\p{M}])"
)
# "Melvin's daughter": a name before a family or social relation.
_RELATION = regex.compile(
    rf"(?<![\p{{L}}])(?P<value>{_CAPITALISED})['’]s[ \t]+(?:daughter|son|wife|husband|mother|mum|mom|"
    r"father|dad|brother|sister|friend|boss|partner|kid|kids|child|children|baby|girlfriend|boyfriend|"
    r"fiancée?|uncle|aunt|cousin|grandmother|grandfather|grandma|grandpa|niece|nephew)\b"
)
_TITLED = regex.compile(
    rf"(?<![\p{{L}}])(?:Mr|Mrs|Ms|Miss|Dr|Mx)\.?[ \t]+(?P<value>{_CAPITALISED}(?:[ \t]+{_CAPITALISED})?|{_HAN}|\p{{Han}}|{_UNCASED})"
)
# A speaker's name heading a quoted line of a transcript: 'Alice: "Who are you?"'.
_SPEAKER = regex.compile(
    r"^[ \t>]*(?P<value>\p{Lu}[\p{Ll}\p{M}'’\-]+)[ \t]*:[ \t]*[\"“]", regex.MULTILINE
)
# A name the message opens by addressing, before a request: "Aloisia, can I please speak to
# your boss?", "Danial, could you check".
_VOCATIVE = regex.compile(
    r"\A[ \t]*(?P<value>\p{Lu}[\p{Ll}\p{M}'’\-]+),[ \t]+(?:can|could|would|will)[ \t]+(?:I|you|we)\b"
)
# Words that open a request that way and are not names.
_NOT_VOCATIVE = frozenset(
    {
        "sorry", "hello", "hey", "hiya", "please", "well", "also", "anyway", "anyways", "btw",
        "team", "guys", "folks", "sir", "madam", "maam", "ma'am", "mate", "dear", "friend",
        "support", "admin", "seller", "shop", "store", "yeah", "yep", "yup", "nope", "oh",
        "ah", "um", "hmm", "honestly", "seriously", "sure", "alright", "right", "great",
        "cool", "perfect", "excellent", "wow", "damn", "ugh", "besides", "otherwise", "today",
        "tomorrow", "tonight", "meanwhile", "now", "first", "second", "finally", "lastly",
        "again", "however", "therefore", "actually", "basically", "quick",
        "question", "morning", "afternoon", "evening", "everyone", "everybody", "all",
    }
)  # fmt: skip
# Capitalised words after a cue that are not names.
_NOT_NAMES = frozenset(
    {
        "the", "a", "an", "my", "your", "our", "this", "that", "it", "not", "so", "very", "here",
        "from", "with", "in", "at", "on", "for", "and", "or", "but", "just", "still", "also",
        "really", "sorry", "happy", "okay", "ok", "fine", "good", "thanks", "hi", "hello",
        "customer", "order", "item", "package", "parcel", "box", "refund", "please", "waiting",
        "looking", "trying", "going", "calling", "writing", "asking", "back", "again", "now",
        "mr", "mrs", "ms", "miss", "dr", "mx", "me", "him", "her", "them", "us", "you", "we",
        "they", "he", "she", "i", "someone", "somebody", "nobody", "everyone", "support",
        "manager", "agent", "team", "service", "supervisor", "boss", "staff", "yes", "no",
    }
)  # fmt: skip
# A line that is only a name, in a block of lines with a number (a signature, a contact
# card, a label): ">Marta Palermo", "Landerico B Hidalgo", "Ella H. Snider".
_PARTICLE = r"(?:van|von|de|der|den|ten|ter|da|di|du|del|della|la|le|bin|binti|al|el)"
_NAME_LINE = regex.compile(
    rf"^[ \t>]*(?P<value>\p{{Lu}}[\p{{Ll}}\p{{M}}'’\-]+(?:[ \t]+(?:\p{{Lu}}\.?|\p{{Lu}}[\p{{Ll}}\p{{M}}'’\-]+|{_PARTICLE})){{0,3}}[ \t]+\p{{Lu}}[\p{{Ll}}\p{{M}}'’\-]+)[ \t]*$",
    regex.MULTILINE,
)
# The first line of a contact card written in lower case ("leone mazzi", "emidio p lombardo",
# "bertram m. jørgensen"): two to four lower-case words (a middle initial allowed) and
# nothing else, when the card below it holds a phone number or an e-mail address.
_LOWER_HEAD_LINE = regex.compile(
    r"\A[ \t>]*(?P<value>\p{Ll}[\p{Ll}\p{M}'’\-]+(?:[ \t]+(?:\p{Ll}\.?|\p{Ll}[\p{Ll}\p{M}'’\-]+)){0,2}[ \t]+\p{Ll}[\p{Ll}\p{M}'’\-]+)[ \t]*\n"
)
_CARD_CONTACT = regex.compile(r"@|\d[\d \-().]{5,}\d")
# Capitalised words that head a line in a signature or a form and are not names.
_HEADING_WORDS = frozenset(
    {
        "best", "kind", "warm", "regards", "thanks", "thank", "cheers", "sincerely", "yours",
        "personal", "info", "information", "contact", "details", "order", "shipping", "billing",
        "delivery", "address", "phone", "mobile", "email", "website", "customer", "service",
        "support", "team", "sales", "department", "office", "manager", "director", "inc", "ltd",
        "llc", "gmbh", "group", "partners", "markets", "company", "corporation", "limited",
        "street", "road", "avenue", "lane", "floor", "building", "new", "status", "update",
        "technologies", "technology", "tech", "agency", "solutions", "systems", "services",
        "labs", "software", "consulting", "holdings", "industries", "media", "bank", "capital",
        "transit", "data", "analytics", "network", "networks", "studio", "studios", "digital",
        "global", "international", "associates", "enterprises", "ventures", "foundation",
    }
)  # fmt: skip
NAME_LINE_SCORE = 0.6
_SELF_CUES = frozenset({"i am", "i'm", "i’m", "im"})
_CHAT_WORDS = frozenset({"lol", "pls", "plz", "thx", "btw", "im", "ur", "u", "ok", "okay", "hi"})


class GenericCuedPersonRecognizer(ProjectLocalRecognizer):
    ENTITY = "PERSON"
    CUE_SCORE = 0.8

    @override
    def find(self, text: str, nlp_artifacts: NlpArtifacts | None) -> list[RecognizerResult]:
        results = []
        name = type(self).__name__
        cued = (
            (_CUED, "name after a cue"),
            (_TITLED, "name after a title"),
            (_RELATION, "name before a relation"),
            (_SPEAKER, "speaker of a quoted line"),
            (_SAID_TO, "name after said X to"),
        )
        for pattern, why in cued:
            for match in pattern.finditer(text, timeout=REGEX_TIMEOUT.secs):
                start, end = trim(text, *match.span("value"))
                if end > start and not shouted(match, text[start:end]):
                    results.append(make_result(self.ENTITY, start, end, self.CUE_SCORE, name, why))
        if text.count("\n") >= 2 and any(ch.isdigit() for ch in text):
            for match in _NAME_LINE.finditer(text, timeout=REGEX_TIMEOUT.secs):
                words = match.group("value").lower().split()
                if any(w.rstrip(".") in _HEADING_WORDS or w in STOP_WORDS for w in words):
                    continue
                start, end = match.span("value")
                why = "a line that is a name, in a block with a number"
                results.append(make_result(self.ENTITY, start, end, NAME_LINE_SCORE, name, why))
        if text.count("\n") >= 2:
            results.extend(self._lower_case_card_head(text))
        vocative = _VOCATIVE.match(text, timeout=REGEX_TIMEOUT.secs)
        if vocative is not None:
            word = vocative.group("value").lower()
            if not (
                word in _NOT_VOCATIVE
                or word in _NOT_NAMES
                or word in _CHAT_WORDS
                or word in STOP_WORDS
                or word in _HEADING_WORDS
            ):
                start, end = vocative.span("value")
                why = "a name the message addresses before a request"
                results.append(make_result(self.ENTITY, start, end, NAME_LINE_SCORE, name, why))
        results.extend(self._lower_known_name(text))
        for match in _STRONG_LOWER.finditer(text, timeout=REGEX_TIMEOUT.secs):
            start, end = trim(text, *match.span("value"))
            if end > start:
                why = "lower-case name after my name is or a title"
                results.append(make_result(self.ENTITY, start, end, self.CUE_SCORE, name, why))
        return results

    def _lower_known_name(self, text: str) -> list[RecognizerResult]:
        given, surnames = person_names()
        results = []
        for match in _LOWER_LEXICON_CUED.finditer(text, timeout=REGEX_TIMEOUT.secs):
            first = match.group("first")
            if first.capitalize() not in given or first in _CHAT_WORDS or first in STOP_WORDS:
                continue
            start, end = match.span("first")
            second = match.group("second")
            if second and (second.capitalize() in surnames or second.capitalize() in given):
                end = match.end("second")
            why = "lower-case known given name after a cue"
            results.append(
                make_result(self.ENTITY, start, end, self.CUE_SCORE, type(self).__name__, why)
            )
        return results

    def _lower_case_card_head(self, text: str) -> list[RecognizerResult]:
        head = _LOWER_HEAD_LINE.match(text, timeout=REGEX_TIMEOUT.secs)
        if head is None or not _CARD_CONTACT.search(text, head.end(), timeout=REGEX_TIMEOUT.secs):
            return []
        words = [w.rstrip(".") for w in head.group("value").split()]
        if any(
            w in STOP_WORDS or w in _HEADING_WORDS or w in _NOT_NAMES or w in _CHAT_WORDS
            for w in words
        ):
            return []
        start, end = head.span("value")
        why = "a lower-case line heading a contact card"
        return [make_result(self.ENTITY, start, end, NAME_LINE_SCORE, type(self).__name__, why)]


def shouted(match: regex.Match[str], value: str) -> bool:
    """'IM SORRY', 'I'M HAVIN A BAD DAY': capitals after "I'm" are shouting, not a name."""
    cue = match.groupdict().get("cue") or ""
    return cue.lower() in _SELF_CUES and len(value) > 2 and value.isupper()


def trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Drop leading/trailing words that are common words, not parts of a name."""
    words = list(regex.finditer(r"\S+", text[start:end], timeout=REGEX_TIMEOUT.secs))
    kept = []
    for word in words:
        lowered = word.group().lower()
        if lowered in _NOT_NAMES or lowered in _CHAT_WORDS or lowered in STOP_WORDS:
            break
        kept.append(word)
    if not kept:
        return start, start
    end = start + kept[-1].end()
    if text[end - 2 : end] in {"'s", "’s"}:
        end -= 2  # "I'm Misty's daughter": the name without its possessive
    return start + kept[0].start(), end
