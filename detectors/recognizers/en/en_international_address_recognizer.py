# Regex patterns and word tables read better unwrapped; names use the typographic apostrophe.
# ruff: noqa: E501, RUF001
"""STREET_ADDRESS in Latin script from anywhere, as ONE span: street, unit, town, postcode, country.

en_street_address_recognizer.py reads US and UK shapes with ASCII words on one line. This
one reads the street first, in any alphabet, then follows the address to its end:

1. A street (the anchor), one of
   - a house number then up to four words ending in a street word ("217 Lovers Lane",
     "385 Gemsbok St", "24 Clarke Avenue", "69 Gordon Terrace");
   - up to four words with a street word then the number, the European order
     ("Koskikatu 25", "Pohlstrasse 9", "Mellemstræde 74", "ul. Miła 53", "Rua Igreja 25",
     "Erzsébet tér 19."); a street word is a whole word (Rua, Calle, Via, ul., Rue, Lane) or
     a word ending ("-katu", "-tie", "-vej", "-gade", "-straße", "-weg", "-vägen", "-veien",
     "-laan", "-straat", "-utca", "-bulevardi", "-Ring" after a hyphen ...);
   - a number, one to three capitalised words and a number ("72134 Coronilla 3599"): a
     weak shape, kept only with a context word or when an address part follows.
2. Left: a building or unit number before the street ("6750 Koskikatu 25", "Apt. 117 5720
   Skoanveien 226").
3. Right, part after part, separated by a comma, spaces or a line break (a quoted "> "
   line too): a unit ("Apt. 864", "Suite 860", "Box 9168"), a postcode ("64677", "340 12",
   "SR08 7UX"), a state or region code ("CO", "NSW"), a town or country (one to four
   capitalised or upper-case words ending the line or before a postcode: "Nijmegen",
   "UPPLANDS VÄSBY", "New Zealand 15896"); right after the number, a street word
   ("Dalmatinova 68 St."), which makes the weak shape a street.
4. After "the corner of" the street, the street it crosses, without a number ("the corner of
   Asselsestraat 7 St. and Martinez Mall St.").
5. A postcode after its label ("ZIP: 394 13", "my zip code is 610", "postcode SR8 7UX").
6. A street of any name when a postcode and a town follow the house number after a comma
   or a line break ("Bergemarka 1C, 9403 Andreaås", "Šilobodov put 93, 51450 Slunj",
   "Rua das Bolas, 37, 7742-180 Figueira da Foz", "Roelpad 6\n5304 Asse"): one to four
   words before the number, capitalised but for the last ("put", "vijenac") and name
   particles. A four-digit code that reads as a year (1900-2099) after a comma on one line
   is not taken ("Windows 10, 2004 Update"). Without a postcode, the same street after an
   address cue right before it ("I live at Bergemarka 1C", "deliver to Ribarska obala 12",
   "my address is Na Louži 8"), when the number ends the clause or lower-case words follow.

Scores: a labelled postcode 0.6; a street word 0.55 (one-digit house number before it: 0.3, "3 Apple Park mugs"),
the weak shape 0.35; plus 0.1 for each address part found after the street (up to 0.85).
Context words ("address", "live at", "ship to") add the engine's boost.
"""

from __future__ import annotations

from typing import override

import regex
from presidio_analyzer import RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from detectors.recognizers.base import REGEX_TIMEOUT, ProjectLocalRecognizer, make_result
from detectors.recognizers.en.en_street_address_recognizer import SUFFIXES

# Whole words that name a street, in many languages (compared case-folded, trailing dot kept).
STREET_WORDS = frozenset(
    {s.casefold() for s in SUFFIXES}
    | {f"{s.casefold()}." for s in ("St", "Ave", "Rd", "Dr", "Ln", "Blvd", "Ct", "Pl", "Sq", "Cir", "Hwy", "Pkwy")}
    | {
        "rua", "avenida", "av.", "calle", "c/", "carrer", "camino", "paseo", "plaza", "travessa",
        "via", "viale", "strada", "piazza", "corso", "vicolo", "largo", "rue", "chemin", "allée",
        "quai", "impasse", "cours", "ul.", "ulica", "al.", "aleja", "plac", "os.", "osiedle",
        "tér", "utca", "út", "útja", "körút", "rkp.", "náměstí", "nám.", "třída", "ulice",
        "trg", "cesta", "straße", "strasse", "str.", "gasse", "weg", "platz", "allee",
        "ring", "damm", "ufer", "markt", "laan", "straat", "gracht", "plein", "kade", "singel",
        "vej", "gade", "stræde", "torv", "vägen", "väg", "gatan", "gata", "gränd", "veien",
        "vei", "gate", "gaten", "katu", "tie", "kuja", "polku", "tori", "raitti", "tänav",
        "tee", "iela", "gatvė", "sokak", "caddesi", "bulevar", "odos", "leoforos", "street",
        "mnt", "mnt.", "maantee", "tn", "tn.", "pst", "pst.", "puiestee", "väljak", "põik",
        "pasaje", "pasadizo", "callejón", "glorieta", "rambla", "ronda", "travesía", "cuesta",
        "carretera", "avinguda", "passeig", "contrada", "rotonda", "piazzale", "lungomare",
        "praça", "alameda", "beco", "estrada", "rodovia", "r.", "av", "vijenac", "šetalište",
    }
)  # fmt: skip
# Street words written before the street's name, in languages where that is the order.
STREET_WORDS_FIRST = frozenset(
    {
        "rue", "rua", "rúa", "calle", "carrer", "avenida", "av.", "via", "viale", "strada",
        "piazza", "corso", "ul.", "ulica", "al.", "aleja", "chemin", "boulevard", "allée", "quai",
        "plac", "trg", "travessa", "largo", "paseo", "camino", "c/", "avenue", "impasse",
        "place", "praça", "alameda", "pasaje", "pasadizo", "callejón", "glorieta", "rambla",
        "ronda", "travesía", "carretera", "avinguda", "passeig", "contrada", "piazzale", "r.",
        "av", "estrada", "beco",
    }
)  # fmt: skip
# Words that end a street name written in lower case.
_NOT_STREET = frozenset(
    {"and", "or", "in", "at", "on", "to", "for", "is", "was", "street", "st.", "st"}
)
# Word endings that name a street (Finnish, Nordic, German, Dutch, Hungarian, Baltic ...).
STREET_ENDINGS = (
    "katu", "kuja", "tie", "polku", "väylä", "kaari", "rinne", "vej", "vejen", "gade", "gaden",
    "stræde", "straße", "strasse", "weg", "gasse", "platz", "allee", "damm", "ufer", "vägen",
    "gatan", "gränd", "veien", "veg", "vegen", "gata", "gate", "gaten", "laan", "straat",
    "gracht", "plein", "kade", "utca", "tänav", "iela", "gatvė", "centret", "stien", "bakken",
    "bulevardi", "puistikko", "-ring", "-damm", "-chaussee",
)  # fmt: skip
# Lower-case words allowed inside a street or town name.
CONNECTORS = frozenset(
    {"de", "del", "della", "di", "da", "do", "dos", "das", "la", "le", "les", "des", "du",
     "van", "von", "der", "den", "z", "u", "y", "e", "am", "an", "im", "o'", "sur", "sous"}
)  # fmt: skip
_WORD = regex.compile(r"(?:[\p{L}\p{M}][\p{L}\p{M}'’\-]*\.?|c/|C/)")
# A house number, with the flat after a dash or a slash in the Baltic and Nordic way ("31-5").
_HOUSE_NUMBER = regex.compile(r"\d{1,6}[A-Za-z]?(?:[-/]\d{1,4})?\.?")
_TOKEN = regex.compile(r"[^\s,]+")
# A house number and the postcode on the next line, which the digit-group view joins into
# one run ("Schleichgasse 2259\n33007 Gerolzhofen" is read "Schleichgasse 225933007
# Gerolzhofen"): after a street word and before a town, the run is both.
_JOINED_NUMBER = regex.compile(r"\d{7,12}")
_SEP = regex.compile(r"[ \t]*,?[ \t]*(?:\n[ \t>]*)?,?[ \t]*")
_UNIT = regex.compile(
    r"(?i:apt\.?|apartment|suite|ste\.?|unit|flat|room|rm\.?|floor|fl\.?|box|p\.?\s?o\.?\s?box|#)[ \t]?\d{1,6}[A-Za-z]?(?![\w-])"
)
# Right after the house number: a staircase letter and the flat ("Koskikatu 25 B 12"), or
# the flat after its Finnish, Estonian or Polish word ("as. 5", "kv 5", "lok. 4").
_STAIR_UNIT = regex.compile(
    r"(?:[A-H][ \t]?\d{1,4}|(?i:as\.?|kv\.?|lok\.?|m\.)[ \t]?\d{1,4})(?![\w-])"
)
_POSTCODE = regex.compile(
    r"(?:\d{2,6}(?:[ -]\d{2,4})?|[A-Z]{1,2}\d[A-Z\d]?[ ]?\d[A-Z]{2}|[A-Z]\d[A-Z][ ]?\d[A-Z]\d|[A-Z]{1,2}-\d{4,5})(?![\w-]|[ .\-]\d)"
)
_REGION = regex.compile(r"(?:[A-Z]{2,3}|nan)(?![\w-])")
_PLACE_WORD = r"(?:\p{Lu}[\p{L}\p{M}'’\-]*(?![\p{L}\p{M}])\.?|\p{Lu}')"
_PLACE = regex.compile(
    rf"{_PLACE_WORD}(?:[ \t]+(?:{_PLACE_WORD}|(?:de|del|da|do|dos|la|le|u|am|an|im|sur)(?=[ \t]+\p{{Lu}}))){{0,4}}"
    r"(?=[ \t]*(?:[,\n]|$|\.(?:\s|$)|\d{3,6}(?![\w])|[A-Z]{2,3}(?![\w])))"
)
# A town after the postcode on its line, whatever follows ("51450 Zerbst tomorrow").
_TOWN_AFTER_CODE = regex.compile(
    rf"{_PLACE_WORD}(?:[ \t]+(?:{_PLACE_WORD}|(?:de|del|da|do|dos|la|le|u|am|an|im|sur|vorm|nad|pod)(?=[ \t]+\p{{Lu}}))){{0,3}}"
)
_UPPER_PLACE = regex.compile(
    r"\p{Lu}[\p{Lu}\p{M}'’\-]+(?:[ \t]+\p{Lu}[\p{Lu}\p{M}'’\-]+){0,3}(?![\p{L}])"
)
_UNIT_BEFORE = regex.compile(
    r"(?i:apt\.?|apartment|suite|ste\.?|unit|flat)[ \t]?\d{1,6}[A-Za-z]?[ \t]+$"
)
_TRAILING_STREET_WORD = regex.compile(r"\p{Lu}[\p{L}]*\.?(?![\p{L}])")
_ZIP = regex.compile(
    r"(?<![\p{L}])(?i:zip(?:[ \t]?code)?|post[ \t]?code|postal[ \t]code|postleitzahl|PLZ|CEP)[ \t]*(?:is|:)?[ \t]*"
    r"(?P<value>\d{3,6}(?:[ -]\d{2,4})?|[A-Z]{1,2}\d[A-Z\d]?[ ]?\d[A-Z]{2})(?![\w-])"
)
# "the corner of A 12 and B Street": the crossing street has no number.
_CORNER_BEFORE = regex.compile(r"(?i:corner)[ \t]+(?:of[ \t]+)?(?:the[ \t]+)?$")
_AND = regex.compile(r"[ \t]+(?:and|&)[ \t]+")
_CROSSING_WORD = regex.compile(r"\p{Lu}[\p{L}\p{M}'’\-]*\.?(?![\p{L}\p{M}])")
_GAP = regex.compile(r"[ \t]+")
# The house number of a street named by nothing but its place in the address (item 6):
# digits with a letter or a flat ("7c", "9c/3"), or "S/N" (no number, Portuguese).
_POSTAL_NUMBER = regex.compile(r"(?:\d{1,5}[A-Za-z]?(?:/\d{1,4})?|S/N|s/n)")
# A postcode as written in the address line after a street: 4-5 digits, "NNN NN"
# (Czech, Slovak, Swedish, Greek), "NNNN-NNN" (Portugal), "NN-NNN" (Poland), "NNNN AB"
# (Netherlands); then a town, on the same line or the next.
_POSTAL_TOWN = regex.compile(
    r"[ \t]*(?:,[ \t]*(?:\n[ \t>]*)?|\n[ \t>]*)"
    r"(?P<code>\d{4,5}|\d{3}[ ]\d{2}|\d{4}-\d{3}|\d{2}-\d{3}|\d{4}[ ]?[A-Z]{2})(?![\w-])"
    r"[ \t]*,?[ \t]*\n?[ \t>]*\p{Lu}"
)
_ADDRESS_CUE = regex.compile(
    r"(?i:\b(?:(?:i|we|he|she|they|who)[ \t]+(?:live|lives|lived|stay|stays)[ \t]+(?:at|on)"
    r"|(?:living|located|staying|based)[ \t]+at"
    r"|(?:deliver|ship|send|post|mail|forward|return)(?:[ \t]+(?:it|them|this|that|the[ \t]+\w+|my[ \t]+\w+)){0,2}[ \t]+to"
    r"|address(?:[ \t]+is|[ \t]*:))"
    r")[ \t]*$"
)
_CLAUSE_END = regex.compile(r"(?:[ \t]*(?:[.,;!?)]|$|\n)|[ \t]+\p{Ll})")
_YEAR = regex.compile(r"(?:19|20)\d\d")
# Words that cannot end the name of a street before its number (item 6).
_NOT_POSTAL_STREET = frozenset(
    {"the", "a", "an", "at", "to", "in", "on", "of", "is", "was", "my", "our", "your", "and",
     "or", "for", "from", "with", "by", "i", "we", "you", "he", "she", "it", "they", "no",
     "nr", "number", "page", "room", "order", "item", "version", "step", "part", "chapter"}
)  # fmt: skip
ZIP_SCORE = 0.6
_MAX_PARTS = 8
_MAX_STREET_WORDS = 4
STREET_SCORE = 0.55
ONE_DIGIT_SCORE = 0.3
WEAK_SCORE = 0.35
PART_BONUS = 0.1
MAX_SCORE = 0.85


def is_street_word(word: str) -> bool:
    folded = word.casefold()
    if folded in STREET_WORDS:
        return True
    bare = folded.rstrip(".")
    return len(bare) > 4 and bare.endswith(STREET_ENDINGS)


def is_name_word(word: str) -> bool:
    return word[:1].isupper() or is_street_word(word)


class EnInternationalAddressRecognizer(ProjectLocalRecognizer):
    ENTITY = "STREET_ADDRESS"
    CONTEXT_WORDS = (
        "address", "live at", "lives at", "lived in", "live in", "living at", "located at",
        "ship to", "deliver to", "delivery", "send it to", "return to", "meet me at", "moved to",
        "地址", "收货地址", "寄到", "送到",
    )  # fmt: skip

    @override
    def find(self, text: str, nlp_artifacts: NlpArtifacts | None) -> list[RecognizerResult]:
        if not any(ch.isdigit() for ch in text):
            return []
        results: list[RecognizerResult] = []
        tokens = [
            (m.start(), m.end(), m.group())
            for m in _TOKEN.finditer(text, timeout=REGEX_TIMEOUT.secs)
        ]
        covered_to = -1
        name = type(self).__name__
        for index, (start, _end, token) in enumerate(tokens):
            if start < covered_to:
                continue
            joined = not _HOUSE_NUMBER.fullmatch(token, timeout=REGEX_TIMEOUT.secs)
            if joined and not (
                _JOINED_NUMBER.fullmatch(token, timeout=REGEX_TIMEOUT.secs)
                and _town_after(text, tokens, index)
            ):
                continue
            street = street_around(text, tokens, index)
            if street is None or (joined and street[0] >= start):
                continue  # a joined run only after the street's name, European order
            first, last, score = street
            first = extend_left(text, first)
            end, parts, street_word_after = extend_right(text, last, after_postcode=joined)
            end = corner_street(text, first, end)
            if score == WEAK_SCORE and street_word_after:
                score = STREET_SCORE
            if score == WEAK_SCORE and parts == 0 and not self._has_context(text, first):
                continue
            score = min(MAX_SCORE, score + PART_BONUS * parts)
            why = f"street and {parts} address parts"
            results.append(make_result(self.ENTITY, first, end, score, name, why))
            covered_to = end
        found = [(r.start, r.end) for r in results]
        for index, (start, n_end, token) in enumerate(tokens):
            if not _POSTAL_NUMBER.fullmatch(token, timeout=REGEX_TIMEOUT.secs) or any(
                a <= start < b for a, b in found
            ):
                continue
            street_start = postal_street(text, tokens, index)
            if street_start is None:
                continue
            end, parts, _ = extend_right(text, n_end)
            score = min(MAX_SCORE, STREET_SCORE + PART_BONUS * parts)
            why = "street before a postcode and town"
            results.append(make_result(self.ENTITY, street_start, end, score, name, why))
            found.append((street_start, end))
        for match in _ZIP.finditer(text, timeout=REGEX_TIMEOUT.secs):
            start, end = match.span("value")
            results.append(
                make_result(self.ENTITY, start, end, ZIP_SCORE, name, "postcode after a label")
            )
        return results

    def _has_context(self, text: str, start: int) -> bool:
        before = text[max(0, start - 40) : start].lower()
        return any(word in before for word in self.CONTEXT_WORDS)


def _town_after(text: str, tokens: list[tuple[int, int, str]], index: int) -> bool:
    """A capitalised word right after the number on its line."""
    if index + 1 >= len(tokens):
        return False
    nxt = tokens[index + 1]
    return same_line(text, tokens[index][1], nxt[0]) and nxt[2][:1].isupper()


def same_line(text: str, a_end: int, b_start: int) -> bool:
    gap = text[a_end:b_start]
    return "\n" not in gap and len(gap) <= 3


def street_around(
    text: str, tokens: list[tuple[int, int, str]], index: int
) -> tuple[int, int, float] | None:
    """The street around the number at ``tokens[index]``: (start, end, score) or None."""
    n_start, n_end, number = tokens[index]
    if number.endswith("."):
        n_end -= 1  # the end of a sentence ("Rua Diadema 1903.")
    # European order: street words, then the number.
    words: list[tuple[int, int, str]] = []
    position = index - 1
    right = n_start
    while position >= 0 and len(words) < _MAX_STREET_WORDS:
        w_start, w_end, word = tokens[position]
        if not same_line(text, w_end, right) or "," in text[w_end:right]:
            break
        if not _WORD.fullmatch(word, timeout=REGEX_TIMEOUT.secs) or not (
            is_name_word(word) or word in CONNECTORS
        ):
            break
        words.insert(0, tokens[position])
        right = w_start
        position -= 1
    while words and words[0][2] in CONNECTORS:
        words.pop(0)
    if words and any(is_street_word(w[2]) for w in words):
        # Start at the street word or the capitalised words before it.
        return words[0][0], n_end, STREET_SCORE
    # Number first: words ending in a street word (Anglo order), or a number after them.
    after: list[tuple[int, int, str]] = []
    position, left = index + 1, n_end
    while position < len(tokens) and len(after) < _MAX_STREET_WORDS + 1:
        w_start, w_end, word = tokens[position]
        french = not after and word.casefold() in STREET_WORDS_FIRST  # "97, rue de Riou"
        if not same_line(text, left, w_start) or ("," in text[left:w_start] and not french):
            break
        if _HOUSE_NUMBER.fullmatch(word, timeout=REGEX_TIMEOUT.secs) and after:
            if any(is_street_word(w[2]) for w in after):
                return n_start, w_end, STREET_SCORE
            if all(w[2][:1].isupper() for w in after) and len(after) <= 3:
                return n_start, w_end, WEAK_SCORE
            break
        if not _WORD.fullmatch(word, timeout=REGEX_TIMEOUT.secs) or not (
            is_name_word(word) or word in CONNECTORS
        ):
            break
        after.append(tokens[position])
        left = w_end
        position += 1
        if is_street_word(word) and len(after) >= 2:
            digits = sum(ch.isdigit() for ch in number)
            end = w_end
            if position < len(tokens):
                # A street number written after the street word ("Agnostou Stratioti Square").
                nxt = tokens[position]
                if same_line(text, end, nxt[0]) and _HOUSE_NUMBER.fullmatch(
                    nxt[2], timeout=REGEX_TIMEOUT.secs
                ):
                    end = nxt[1]
            return n_start, end, STREET_SCORE if digits > 1 else ONE_DIGIT_SCORE
    if after and after[0][2].casefold() in STREET_WORDS_FIRST:
        # Lower-case words may follow: "26 rue des lieutemants Thomazo".
        after = after[:1]
        position, left = index + 2, after[0][1]
        while position < len(tokens) and len(after) < _MAX_STREET_WORDS + 1:
            w_start, w_end, word = tokens[position]
            if not same_line(text, left, w_start) or "," in text[left:w_start]:
                break
            if (
                not _WORD.fullmatch(word, timeout=REGEX_TIMEOUT.secs)
                or word.casefold() in _NOT_STREET
            ):
                break
            after.append(tokens[position])
            left, position = w_end, position + 1
    while after and after[-1][2] in CONNECTORS:
        after.pop()
    if (
        len(after) >= 2
        and is_street_word(after[0][2])
        and (after[0][2][:1].isupper() or after[0][2].casefold() in STREET_WORDS_FIRST)
    ):
        # A street word first, as in French, Spanish, Portuguese: "29 Rue de Tanger".
        return n_start, after[-1][1], STREET_SCORE
    return None


def postal_street(text: str, tokens: list[tuple[int, int, str]], index: int) -> int | None:
    """Where the street before the house number at ``tokens[index]`` starts, when a postcode
    and a town follow the number (item 6 of the module's docstring); None otherwise."""
    n_end = tokens[index][1]
    tail = _POSTAL_TOWN.match(text, n_end, timeout=REGEX_TIMEOUT.secs)
    if tail is None:
        return _cued_street(text, tokens, index)
    if _YEAR.fullmatch(tail.group("code"), timeout=REGEX_TIMEOUT.secs) and "\n" not in tail.group():
        return None
    position, right = index - 1, tokens[index][0]
    if position >= 0 and text[tokens[position][1] : right].strip() == ",":
        # "Rua das Bolas, 37, ...": the street's name, a comma, the number; only after a
        # street word, which says the words before the comma are a street.
        words = _street_words_before(text, tokens, position, tokens[position][1])
        if words is None or not any(
            is_street_word(tokens[i][2]) for i in range(words, position + 1)
        ):
            return None
        return tokens[words][0]
    words = _street_words_before(text, tokens, position, right)
    return None if words is None else tokens[words][0]


def _cued_street(text: str, tokens: list[tuple[int, int, str]], index: int) -> int | None:
    """A street of any name then its number, right after an address cue, the number ending
    the clause ("I live at Bergemarka 1C."); where it starts, or None."""
    n_start, n_end, number = tokens[index]
    if not number[:1].isdigit() or not _CLAUSE_END.match(text, n_end, timeout=REGEX_TIMEOUT.secs):
        return None
    words = _street_words_before(text, tokens, index - 1, n_start)
    if words is None:
        return None
    start = tokens[words][0]
    before = text[max(0, start - 40) : start]
    return start if _ADDRESS_CUE.search(before, timeout=REGEX_TIMEOUT.secs) else None


def _street_words_before(
    text: str, tokens: list[tuple[int, int, str]], position: int, right: int
) -> int | None:
    """The index of the first of one to four name words on the line ending at ``right``
    (the last at ``position``): capitalised, a name particle, or, last only, a lower-case
    word after a capitalised one ("Šilobodov put")."""
    first = None
    while position >= 0 and (first is None or first - position <= _MAX_STREET_WORDS - 1):
        w_start, w_end, word = tokens[position]
        if not same_line(text, w_end, right) or "," in text[w_end:right]:
            break
        if (
            not _WORD.fullmatch(word, timeout=REGEX_TIMEOUT.secs)
            or word.casefold().rstrip(".") in _NOT_POSTAL_STREET
        ):
            break
        last = first is None
        if not (word[:1].isupper() or word in CONNECTORS or is_street_word(word) or last):
            break
        first, right, position = position, w_start, position - 1
    if first is None:
        return None
    while tokens[first][2] in CONNECTORS:
        first += 1
    word = tokens[first][2]
    if not word[:1].isupper() and not is_street_word(word):
        return None  # a lower-case word alone: "at 12, 3456 ..."
    return first


def corner_street(text: str, start: int, end: int) -> int:
    """After "the corner of <street>", the street it crosses: " and Inna Loop St." (one to
    four capitalised words up to the last street word); ``end`` when there is none."""
    if _CORNER_BEFORE.search(text[max(0, start - 24) : start], timeout=REGEX_TIMEOUT.secs) is None:
        return end
    joint = _AND.match(text, end, timeout=REGEX_TIMEOUT.secs)
    if joint is None:
        return end
    crossing = end
    at = joint.end()
    for _ in range(_MAX_STREET_WORDS):
        word = _CROSSING_WORD.match(text, at, timeout=REGEX_TIMEOUT.secs)
        if word is None:
            break
        if is_street_word(word.group()):
            crossing = word.end()
        at = word.end()
        gap = _GAP.match(text, at, timeout=REGEX_TIMEOUT.secs)
        if gap is None:
            break
        at = gap.end()
    return crossing


def extend_left(text: str, start: int) -> int:
    """Take a building number or a unit written right before the street."""
    before = text[max(0, start - 24) : start]
    unit = _UNIT_BEFORE.search(before, timeout=REGEX_TIMEOUT.secs)
    if unit:
        return start - (len(before) - unit.start())
    number = regex.search(r"(?<![\w\-.])\d{1,6}[ \t]+$", before, timeout=REGEX_TIMEOUT.secs)
    if number:
        start -= len(before) - number.start()
        before = text[max(0, start - 24) : start]
        unit = _UNIT_BEFORE.search(before, timeout=REGEX_TIMEOUT.secs)
        if unit:
            start -= len(before) - unit.start()
    return start


def extend_right(text: str, end: int, *, after_postcode: bool = False) -> tuple[int, int, bool]:
    """Follow the address's parts after the street; (end, number of parts, whether the
    first was a street word after the number). ``after_postcode``: the street ends with a
    postcode (a joined run), so a town may follow on the same line."""
    parts = 0
    street_word_after = False
    timeout = REGEX_TIMEOUT.secs
    while parts < _MAX_PARTS:
        if parts == 0 and text[end : end + 1] == "." and text[end + 1 : end + 2] in (",", "\n"):
            end += 1  # the dot after a house number ("Szerbtóti utca 48., H-9792")
        sep = _SEP.match(text, end, timeout=timeout)
        if sep is None:  # never: the pattern matches the empty string
            break
        at = sep.end()
        if at == end and at < len(text) and not text[at].isspace():
            break
        broke = "," in sep.group() or "\n" in sep.group()
        word = _TRAILING_STREET_WORD.match(text, at, timeout=timeout)
        if word is not None and parts == 0 and is_street_word(word.group()):
            end, parts, street_word_after = word.end(), parts + 1, True
            continue
        stair = _STAIR_UNIT.match(text, at, timeout=timeout) if parts == 0 and not broke else None
        postcode = None if stair else _POSTCODE.match(text, at, timeout=timeout)
        piece = (
            stair
            or _UNIT.match(text, at, timeout=timeout)
            or postcode
            # A town after a postcode on the same line ("00100 Helsinki"), or on its own line.
            or (_PLACE.match(text, at, timeout=timeout) if broke or after_postcode else None)
            or (
                _TOWN_AFTER_CODE.match(text, at, timeout=timeout)
                if after_postcode and not broke and at > end
                else None
            )
            or _UPPER_PLACE.match(text, at, timeout=timeout)
            or _REGION.match(text, at, timeout=timeout)
        )
        if piece is None or piece.end() == at:
            break
        after_postcode = piece is postcode
        end = piece.end()
        parts += 1
    return end, parts, street_word_after
