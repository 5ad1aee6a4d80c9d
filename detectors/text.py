# Chinese punctuation and full-width characters are the data here, on purpose.
# ruff: noqa: RUF001
"""Text helpers: offset-preserving normalisation, script-based language detection, chunking."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import regex

Language = Literal["en", "zh"]
SUPPORTED_LANGUAGES: tuple[Language, ...] = ("en", "zh")

_FULLWIDTH_FIRST = 0xFF01
_FULLWIDTH_LAST = 0xFF5E
_FULLWIDTH_OFFSET = 0xFEE0
_IDEOGRAPHIC_SPACE = 0x3000
_SURROGATE_FIRST = 0xD800
_SURROGATE_LAST = 0xDFFF


def _build_table() -> dict[int, str]:
    table = {cp: chr(cp - _FULLWIDTH_OFFSET) for cp in range(_FULLWIDTH_FIRST, _FULLWIDTH_LAST + 1)}
    table[_IDEOGRAPHIC_SPACE] = " "
    for cp in range(_SURROGATE_FIRST, _SURROGATE_LAST + 1):
        table[cp] = "\ufffd"
    for cp in range(0x20):
        if chr(cp) not in "\t\n\r":
            table[cp] = " "
    table[0x7F] = " "
    return table


_TABLE = _build_table()


def normalize(text: str) -> str:
    """Map full-width ASCII to ASCII, lone surrogates to U+FFFD and controls to spaces.

    Every replacement is one code point for one code point, so offsets found in the result
    are offsets in the original text.
    """
    return text.translate(_TABLE)


def is_cjk(char: str) -> bool:
    code = ord(char)
    return 0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or 0xF900 <= code <= 0xFAFF


def script_counts(text: str) -> tuple[int, int]:
    """(CJK ideographs, ASCII letters) in ``text``."""
    cjk = latin = 0
    for char in text:
        if char.isascii():
            if char.isalpha():
                latin += 1
        elif is_cjk(char):
            cjk += 1
    return cjk, latin


def detect_language(text: str) -> Language:
    """``zh`` when the message holds Chinese ideographs in any real amount, else ``en``.

    Mixed messages come out as ``zh``; the Chinese recogniser set is a superset that also runs
    the English NER on the Latin-script parts (see engine.py).
    """
    cjk, latin = script_counts(text)
    if cjk == 0:
        return "en"
    return "zh" if cjk * 3 >= latin or cjk >= 4 else "en"


def mask_cjk(text: str) -> str:
    """Replace CJK ideographs with spaces so English NER sees only the Latin parts."""
    return "".join(" " if is_cjk(c) else c for c in text)


@dataclass(frozen=True, slots=True)
class Chunk:
    start: int
    text: str


def chunk_text(text: str, size: int, overlap: int) -> list[Chunk]:
    """Split ``text`` into chunks of at most ``size`` chars overlapping by ``overlap`` chars.

    Cuts prefer whitespace or sentence punctuation near the limit so entities are rarely split;
    the overlap catches the ones that are.
    """
    if len(text) <= size:
        return [Chunk(0, text)]
    chunks: list[Chunk] = []
    start = 0
    while start < len(text):
        end = min(start + size, len(text))
        if end < len(text):
            floor = start + size // 2
            cut = max(text.rfind(sep, floor, end) for sep in (" ", "\n", "。", "，", ". ", ","))
            if cut > floor:
                end = cut + 1
        chunks.append(Chunk(start, text[start:end]))
        if end >= len(text):
            break
        start = end - overlap
    return chunks


# A house number, then a word in lower case: an address written in lower case may follow.
# (`timeout`: the callers pass the recognizers' REGEX_TIMEOUT; this module stays free of
# Presidio, which detectors/pool.py does not load.)
_LOWER_ADDRESS_HINT = regex.compile(r"\d[ \t,]+\p{Ll}{2}")
_WORD_START_LOWER = regex.compile(r"(?<![\p{L}\p{M}'’\d])\p{Ll}")
_WORD_START_UPPER = regex.compile(r"(?<![\p{L}\p{M}'’\d])\p{Lu}")


def lower_case_address_hint(text: str, *, timeout: float) -> bool:
    """Whether ``text`` has a number before a lower-case word (a lower-case address may be in
    it: "i live at 807 deborah estate apt. 573")."""
    return _LOWER_ADDRESS_HINT.search(text, timeout=timeout) is not None


def has_capitalised_word(text: str, start: int, end: int, *, timeout: float) -> bool:
    """Whether a word of ``text[start:end]`` starts with a capital letter."""
    return _WORD_START_UPPER.search(text, start, end, timeout=timeout) is not None


def has_lower_case_word(text: str, start: int, end: int, *, timeout: float) -> bool:
    """Whether a word of ``text[start:end]`` starts with a lower-case letter."""
    return _WORD_START_LOWER.search(text, start, end, timeout=timeout) is not None


_WORD_AND_SPACE = regex.compile(r"(\p{L}+)[ \t]+")


def skip_stop_words(text: str, start: int, end: int, *, timeout: float) -> int:
    """Where ``text[start:end]`` starts past its leading English stop words ("it to ...")."""
    # Imported on first use, so that importing this module does not load spaCy.
    from spacy.lang.en.stop_words import STOP_WORDS

    while (word := _WORD_AND_SPACE.match(text, start, end, timeout=timeout)) and word.group(
        1
    ).lower() in STOP_WORDS:
        start = word.end()
    return start


def capitalised(text: str, *, timeout: float) -> str:
    """``text`` with the first letter of every word upper-cased, offsets unchanged (a letter
    whose capital is longer, "ß" -> "SS", stays as it is)."""

    def upper(match: regex.Match[str]) -> str:
        letter = match.group()
        capital = letter.upper()
        return capital if len(capital) == 1 else letter

    return _WORD_START_LOWER.sub(upper, text, timeout=timeout)
