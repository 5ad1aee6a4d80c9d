"""The normalised view of a message that detection runs on, with offsets back to the original.

A customer can hide a value from pattern recognizers by writing it with look-alike
characters: a no-break space or a zero-width space between digits, a soft hyphen,
Arabic-Indic or mathematical digits, an emoji between digit groups. Detection therefore
runs on a view of the text in which those differences are gone, and every finding is
mapped back so that it covers exactly what the customer typed (detectors/README.md, "How a
message is analysed", step 1).

Per character: lone surrogates become U+FFFD; control characters (but tab, CR, LF) and
every Unicode space, line and paragraph separator become an ASCII space; format and other
invisible characters (category Cf: zero-width spaces and joiners, U+2060-2064, BOM, soft
hyphen, bidi controls, tag characters; variation selectors, the combining grapheme joiner,
Hangul fillers) are removed; every Unicode decimal digit (and digit symbol: superscripts,
circled and dingbat digits) becomes its ASCII digit; anything
else is replaced by its NFKC form (fullwidth ASCII, ligatures, circled and mathematical
digits; an NFKC form longer than ``MAX_EXPANSION_CHARS`` is not taken, so the view stays
within a small multiple of the text). Then combining marks right after a digit (keycaps,
strike-through or underline on digits) are removed, and the separators inside a run of
digit groups are collapsed (``digit_groups.py``).

Offsets: view character ``i`` comes from ``original[starts[i]:ends[i]]``; a removed
character is added to the end of the view character before it, so a span of the view maps
to the original span from the start of its first character to the end of its last one,
separators and invisible characters in between included.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import regex

from detectors.digit_groups import collapsible_separators
from detectors.recognizers.base import REGEX_TIMEOUT

MAX_EXPANSION_CHARS = 4
_INVISIBLE_RANGES = (
    (0x034F, 0x034F),  # combining grapheme joiner
    (0x115F, 0x1160),  # Hangul choseong/jungseong fillers
    (0x17B4, 0x17B5),  # Khmer inherent vowels
    (0x180B, 0x180F),  # Mongolian free variation selectors and vowel separator
    (0x3164, 0x3164),  # Hangul filler
    (0xFE00, 0xFE0F),  # variation selectors
    (0xFFA0, 0xFFA0),  # halfwidth Hangul filler
    (0xE0100, 0xE01EF),  # variation selectors supplement
)
_KEEP_CONTROLS = frozenset("\t\n\r")
_MARKS_AFTER_DIGIT = regex.compile(r"(?<=[0-9])[\p{Mn}\p{Me}]+")


def _invisible(code: int) -> bool:
    return any(first <= code <= last for first, last in _INVISIBLE_RANGES)


def _simple(char: str) -> str | None:
    """The replacement that does not depend on NFKC, or None."""
    code = ord(char)
    if 0xD800 <= code <= 0xDFFF:
        return "\ufffd"
    if char in _KEEP_CONTROLS:
        return char
    category = unicodedata.category(char)
    if category == "Cc":
        return " "
    if category == "Cf" or _invisible(code):
        return ""
    if category in ("Zs", "Zl", "Zp"):
        return " "
    digit = unicodedata.decimal(char, None)
    if digit is None:
        digit = unicodedata.digit(char, None)  # ❶ ➀ ➊ ⓵: digits NFKC leaves alone
    if digit is not None:
        return str(digit)
    return None


@lru_cache(maxsize=65536)
def replacement(char: str) -> str:
    """What one character of the original becomes in the view ("" when removed)."""
    simple = _simple(char)
    if simple is not None:
        return simple
    folded = unicodedata.normalize("NFKC", char)
    if folded == char or len(folded) > MAX_EXPANSION_CHARS:
        return char
    parts = []
    for c in folded:
        mapped = _simple(c)
        parts.append(c if mapped is None else mapped)
    return "".join(parts)


def _ascii_table() -> dict[int, str]:
    return {code: " " for code in (*range(0x20), 0x7F) if chr(code) not in _KEEP_CONTROLS}


_ASCII_TABLE = _ascii_table()
_ASCII_CONTROL = regex.compile("[" + "".join(chr(code) for code in _ASCII_TABLE) + "]")
# Characters met so far in this process, the replacements among them that are not the
# character itself, those characters, and those whose replacement is not one character.
# Rebuilt past _MAX_LEARNT_CHARS, so that a stream of rare characters cannot grow them
# without end.
_MAX_LEARNT_CHARS = 100_000
_learnt: set[str] = set()
_table: dict[str, str] = {}
_mapped: set[str] = set()
_changing: set[str] = set()


def _learn(chars: set[str]) -> None:
    if len(_learnt) + len(chars) > _MAX_LEARNT_CHARS or not _learnt:
        for known in (_learnt, _table, _mapped, _changing):
            known.clear()
        for code, ascii_mapped in _ASCII_TABLE.items():
            _table[chr(code)] = ascii_mapped
            _mapped.add(chr(code))
        _learnt.update(chr(code) for code in range(128))
    for char in chars - _learnt:
        mapped = replacement(char)
        if mapped != char:
            _table[char] = mapped
            _mapped.add(char)
            if len(mapped) != 1:
                _changing.add(char)
        _learnt.add(char)


@dataclass(frozen=True, slots=True)
class TextView:
    """``text`` as detection sees it; ``starts``/``ends`` are None when offsets are equal."""

    original: str
    text: str
    starts: Sequence[int] | None = None
    ends: Sequence[int] | None = None

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The span of the original text that the view's ``[start, end)`` came from."""
        if self.starts is None or self.ends is None:
            return start, end
        if start >= end:
            at = self.starts[start] if start < len(self.starts) else len(self.original)
            return at, at
        return self.starts[start], self.ends[end - 1]

    def typed(self, start: int, end: int) -> str:
        """What the customer typed for the view's ``[start, end)``."""
        first, last = self.original_span(start, end)
        return self.original[first:last]


def _per_character(text: str) -> TextView:
    if text.isascii():
        if _ASCII_CONTROL.search(text, timeout=REGEX_TIMEOUT.secs) is None:
            return TextView(text, text)
        return TextView(text, text.translate(_ASCII_TABLE))
    chars = set(text)
    if not chars <= _learnt:
        _learn(chars)
    mapped = chars & _mapped
    if not mapped:
        return TextView(text, text)
    # re.sub over the few characters that change is much faster than str.translate with a
    # dict over a long non-ASCII text.
    finder = re.compile("[" + "".join(re.escape(c) for c in sorted(mapped)) + "]")
    view = finder.sub(lambda m: _table[m.group()], text)
    changing = mapped & _changing
    if not changing:
        return TextView(text, view)
    starts: list[int] = []
    ends: list[int] = []
    cursor = 0
    for match in finder.finditer(text):
        at = match.start()
        width = len(_table[text[at]])
        if width == 1:
            continue
        starts.extend(range(cursor, at))
        ends.extend(range(cursor + 1, at + 1))
        if width == 0:
            if ends:
                ends[-1] = at + 1
        else:
            starts.extend([at] * width)
            ends.extend([at + 1] * width)
        cursor = at + 1
    starts.extend(range(cursor, len(text)))
    ends.extend(range(cursor + 1, len(text) + 1))
    return TextView(text, view, starts, ends)


def _without(view: TextView, spans: list[tuple[int, int]]) -> TextView:
    """``view`` with the view characters in ``spans`` (sorted, disjoint) removed."""
    if not spans:
        return view
    length = len(view.text)
    starts = view.starts if view.starts is not None else range(length)
    ends = list(view.ends) if view.ends is not None else list(range(1, length + 1))
    pieces: list[str] = []
    new_starts: list[int] = []
    new_ends: list[int] = []
    cursor = 0
    for start, end in spans:
        pieces.append(view.text[cursor:start])
        new_starts.extend(starts[cursor:start])
        new_ends.extend(ends[cursor:start])
        if new_ends:
            new_ends[-1] = ends[end - 1]
        cursor = end
    pieces.append(view.text[cursor:])
    new_starts.extend(starts[cursor:])
    new_ends.extend(ends[cursor:])
    return TextView(view.original, "".join(pieces), new_starts, new_ends)


def text_view(text: str) -> TextView:
    """The normalised view of ``text`` with its offset map (see the module docstring)."""
    if not text:  # nothing to read (no pattern runs, as for the recognizers)
        return TextView(text, text)
    view = _per_character(text)
    if not view.text.isascii():
        marks = [
            m.span() for m in _MARKS_AFTER_DIGIT.finditer(view.text, timeout=REGEX_TIMEOUT.secs)
        ]
        view = _without(view, marks)
    return _without(view, collapsible_separators(view.text, view.typed))
