"""Check-digit algorithms used by the recognizers."""

from __future__ import annotations

import datetime as dt

_GB11643_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_GB11643_CHECK = "10X98765432"


def digits_only(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


def luhn_valid(number: str) -> bool:
    """ISO/IEC 7812-1 Annex B (Luhn) over the digits of ``number``."""
    digits = digits_only(number)
    if len(digits) < 2:
        return False
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def gb11643_valid(number: str) -> bool:
    """GB 11643-1999 resident identity number: ISO 7064 MOD 11-2 check digit + birth date."""
    text = number.upper()
    if len(text) != 18 or not text[:17].isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(text[:17], _GB11643_WEIGHTS, strict=True))
    if _GB11643_CHECK[total % 11] != text[17]:
        return False
    return parse_yyyymmdd(text[6:14]) is not None


def parse_yyyymmdd(text: str) -> dt.date | None:
    try:
        born = dt.date(int(text[0:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        return None
    return born if 1900 <= born.year <= 2100 else None


def iban_valid(iban: str) -> bool:
    """ISO 13616 IBAN: move the first four characters to the end, letters to numbers, mod 97."""
    text = "".join(c for c in iban.upper() if c.isalnum())
    if not 15 <= len(text) <= 34 or not text[:2].isalpha() or not text[2:4].isdigit():
        return False
    rearranged = text[4:] + text[:4]
    numeric = "".join(str(int(c, 36)) for c in rearranged)
    return int(numeric) % 97 == 1
