"""Separators between digit groups that the normalised view removes (see view.py).

A card number written ``4111.1111.1111.1111``, ``4111🙂1111🙂1111🙂1111``, one group per line
or with no-break spaces reaches the recognizers as ``4111111111111111``; they need no
separator rules of their own. A run is up to 1-4 separator characters (white space, line
breaks, ``. - / \\ _ | · • * ~ , + = #``, dashes, symbols and emoji, private-use
characters) between groups of ASCII digits (the view has mapped every Unicode digit), and
its separators go when:

- the run starts with a country code and check digits (``DE89``) and the whole run is an
  IBAN with valid MOD 97-10 check digits (letters allowed in its groups); or
- some separator is not what plain typing gives (anything but one ASCII space or one
  ASCII dash, so a no-break space counts) and the run holds 8-19 digits; or
- the separators are plain but the run has 3+ groups and 16-19 digits (a card or a
  resident ID spaced in any grouping; telephone numbers have at most 15 digits).

Never collapsed, so that what other recognizers and the shop-identifier rules read stays
as written: runs with a group over 8 digits unless the run has 13+ digits (a telephone
number and its extension stay apart), coordinate pairs (``-20.1304,-138.9384``), and, up to
12 digits, dotted IPv4 addresses, North American telephone numbers (``207.504.9996``,
read by the phone recognizer as written), decimal numbers, amounts with thousands
separators and dates; nor a run holding a dotted IPv4 address set off from other groups by
another separator (``%20|19.253.176.22|``). A run over 19
digits is cut at its longer separators (`` / ``) and each part judged alone; ``, `` and
``; `` always cut (a list, not one value).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from detectors.recognizers.checksums import iban_valid

_SYMBOL_CATEGORIES = frozenset({"Pd", "So", "Sk", "Sm"})
_PRIVATE_USE = ((0xE000, 0xF8FF), (0xF0000, 0x10FFFF))
_LAST_SYMBOL = 0x2FFFF  # the last plane with symbols and emoji


def _symbol_ranges() -> str:
    """Dashes, symbols and emoji, private-use characters, as a stdlib ``re`` class body."""
    ranges: list[tuple[int, int]] = []
    for code in range(0x80, _LAST_SYMBOL + 1):
        if unicodedata.category(chr(code)) in _SYMBOL_CATEGORIES:
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1] = (ranges[-1][0], code)
            else:
                ranges.append((code, code))
    ranges.extend(_PRIVATE_USE)
    return "".join(
        re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}"
        for a, b in ranges
    )


# The standard library's re, with the Unicode categories spelt out, scans a long message
# several times faster than the regex module's \p{..}.
_SEP_CLASS = rf"[\s.\-/\\_|*~,+=#·•‧・{_symbol_ranges()}]"
_SEP = rf"{_SEP_CLASS}{{1,4}}"
_RUN = re.compile(rf"(?<![0-9])[0-9]+(?:{_SEP}[0-9]+)+")
_IBAN_RUN = re.compile(
    rf"(?<![0-9A-Za-z])[A-Z]{{2}}(?:{_SEP})?[0-9]{{2}}[0-9A-Z]*(?:{_SEP}[0-9A-Z]+){{1,16}}"
)
_PIECE = re.compile(rf"[0-9A-Z]+|{_SEP_CLASS}+")
_LIST_SEPARATOR = re.compile(r"[,;]\s")
_PLAIN = frozenset({" ", "-"})

_IPV4 = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")
# A dotted IPv4 address inside a longer run, set off by a separator that is not a dot.
_OCTET = r"(?:25[0-5]|2[0-4]\d|1?\d?\d)"
_IPV4_INSIDE = re.compile(rf"(?<![\d.]){_OCTET}(?:\.{_OCTET}){{3}}(?![\d.])")
_COORDINATES = re.compile(r"\d{1,3}[.,]\d+[\s,;/-]{1,4}\d{1,3}[.,]\d+")
_NANP = re.compile(r"(?:1[.-])?\d{3}([.-])\d{3}\1\d{4}")
_DECIMAL = re.compile(r"\d+[.,]\d+")
_THOUSANDS = re.compile(r"\d{1,3}(?:([ ,.'])\d{3})(?:\1\d{3})*(?:[.,]\d{1,2})?")
_DATE = re.compile(
    r"(?:\d{4}([./-])\d{1,2}\1\d{1,2}|\d{1,2}([./-])\d{1,2}\2\d{4})(?:\D.*)?", re.DOTALL
)
_LONG_GROUP_DIGITS = 8
_MIN_DIGITS = 8
_MAX_DIGITS = 19
_MIN_PLAIN_DIGITS = 16
_MAX_PROTECTED_DIGITS = 12

# (start, end) of a group or a separator inside the view, and whether it is a group.
Piece = tuple[int, int, bool]
Typed = Callable[[int, int], str]


def collapsible_separators(text: str, typed: Typed) -> list[tuple[int, int]]:
    """Sorted (start, end) spans of ``text`` (the view) whose separators should go.

    ``typed(start, end)`` gives what the customer typed for the view's ``[start, end)``.
    """
    spans: list[tuple[int, int]] = []
    taken: list[tuple[int, int]] = []
    for match in _IBAN_RUN.finditer(text):
        found = _iban_separators(text, match.start(), match.end())
        if found is not None:
            spans.extend(found[0])
            taken.append((match.start(), found[1]))
    for match in _RUN.finditer(text):
        if any(s < match.end() and match.start() < e for s, e in taken):
            continue
        prefix = _prefix(text, match.start())
        pieces = _pieces(text, match.start() - len(prefix), match.end())
        spans.extend(_judge_list(text, pieces, prefix, typed))
    return sorted(spans)


def _prefix(text: str, start: int) -> str:
    """One or two capital letters glued to the run (a passport's E, an IBAN's country)."""
    at = start
    while at > 0 and start - at < 2 and "A" <= text[at - 1] <= "Z":
        at -= 1
    if at < start and at > 0 and text[at - 1].isascii() and text[at - 1].isalnum():
        return ""
    return text[at:start]


def _pieces(text: str, start: int, end: int) -> list[Piece]:
    return [
        (start + m.start(), start + m.end(), m.group()[0].isalnum())
        for m in _PIECE.finditer(text[start:end])
    ]


def _iban_separators(text: str, start: int, end: int) -> tuple[list[tuple[int, int]], int] | None:
    """The separators of the longest valid IBAN that the run starting at ``start`` begins with."""
    pieces = _pieces(text, start, end)
    while len(pieces) > 1:
        compact = "".join(text[s:e] for s, e, group in pieces if group)
        if iban_valid(compact):
            return [(s, e) for s, e, group in pieces if not group], pieces[-1][1]
        pieces = pieces[:-2]
    return None


def _judge_list(text: str, pieces: list[Piece], prefix: str, typed: Typed) -> list[tuple[int, int]]:
    parts: list[list[Piece]] = [[]]
    for piece in pieces:
        start, end, group = piece
        if not group and _LIST_SEPARATOR.search(text[start:end]):
            parts.append([])
        else:
            parts[-1].append(piece)
    spans: list[tuple[int, int]] = []
    for index, part in enumerate(parts):
        spans.extend(_judge(text, _trimmed(part), prefix if index == 0 else "", typed))
    return spans


def _trimmed(pieces: list[Piece]) -> list[Piece]:
    while pieces and not pieces[0][2]:
        pieces = pieces[1:]
    while pieces and not pieces[-1][2]:
        pieces = pieces[:-1]
    return pieces


def _judge(text: str, pieces: list[Piece], prefix: str, typed: Typed) -> list[tuple[int, int]]:
    groups = [text[s:e] for s, e, group in pieces if group]
    separators = [(s, e) for s, e, group in pieces if not group]
    if len(groups) < 2:
        return []
    if prefix and groups[0].startswith(prefix):
        groups[0] = groups[0][len(prefix) :]
    digits = sum(len(g) for g in groups)
    if digits > _MAX_DIGITS:
        return _split_at_long_separators(text, pieces, prefix, typed)
    if digits < _MIN_DIGITS:
        return []
    if max(len(g) for g in groups) > _LONG_GROUP_DIGITS and digits < 13:
        return []
    run = text[pieces[0][0] : pieces[-1][1]]
    if not prefix and _protected(run, digits):
        return []
    plain = typed(pieces[0][0], pieces[-1][1]) == run and all(
        text[s:e] in _PLAIN for s, e in separators
    )
    if plain and (len(groups) < 3 or digits < _MIN_PLAIN_DIGITS):
        return []
    return separators


def _split_at_long_separators(
    text: str, pieces: list[Piece], prefix: str, typed: Typed
) -> list[tuple[int, int]]:
    parts: list[list[Piece]] = [[]]
    for piece in pieces:
        start, end, group = piece
        if not group and end - start > 1:
            parts.append([])
        else:
            parts[-1].append(piece)
    if len(parts) == 1:
        return []
    spans: list[tuple[int, int]] = []
    for index, part in enumerate(parts):
        spans.extend(_judge(text, part, prefix if index == 0 else "", typed))
    return spans


def _protected(run: str, digits: int) -> bool:
    if _COORDINATES.fullmatch(run) is not None:
        return True
    if _IPV4_INSIDE.search(run) is not None:
        return True  # an IPv4 address beside other digits ("%20|19.253.176.22|")
    return digits <= _MAX_PROTECTED_DIGITS and any(
        pattern.fullmatch(run) is not None
        for pattern in (_IPV4, _NANP, _DECIMAL, _THOUSANDS, _DATE)
    )
