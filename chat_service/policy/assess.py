"""The policy step between detection and storage: what in a message is sensitive, whose
it is, and whether its author is a child.

- A finding is sensitive when the detector says so (config/categories.toml), and every
  finding in a child's own message is sensitive with category `minor` (policy 5: anything
  about a child under 14).
- An AGE or DATE_OF_BIRTH finding in category `minor` is about the author when the words
  just before it speak of themselves ("I am", "im", "我今年") and not of someone else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from chat_service.protocol.events import FindingOut

MINOR = "minor"
_SELF = re.compile(
    r"(\bI\s*(?:am|'m|\u2019m)\b|\bim\b|\bI\s+was\s+born\b|"
    r"\bmy\s+(?:age|birthday|date\s+of\s+birth)\b|"
    r"我(?:今年|才|已经|的生日|的出生日期|是|出生)?|本人)",
    re.IGNORECASE,
)
_OTHER = re.compile(
    r"(\bmy\s+(?:son|daughter|kid|child|boy|girl|nephew|niece|brother|sister|grandson|"
    r"granddaughter)\b|\b(?:he|she)\s*(?:is|'s)\b|孩子|儿子|女儿|宝宝|弟弟|妹妹|孙子|孙女|他|她)",
    re.IGNORECASE,
)
WINDOW_CHARS = 40


def about_author(text: str, finding: FindingOut) -> bool:
    """Does this age/birth date describe the message's author?"""
    before = text[max(0, finding.start - WINDOW_CHARS) : finding.start]
    last_self = max((m.end() for m in _SELF.finditer(before)), default=-1)
    last_other = max((m.end() for m in _OTHER.finditer(before)), default=-1)
    return last_self > last_other


@dataclass(frozen=True, slots=True)
class Assessment:
    findings: list[FindingOut]  # as stored: sensitivity decided by the policy
    author_is_minor: bool


def assess(text: str, findings: list[FindingOut], *, author_known_minor: bool) -> Assessment:
    minor = author_known_minor or any(
        f.category == MINOR and f.entity_type in ("AGE", "DATE_OF_BIRTH") and about_author(text, f)
        for f in findings
    )
    if minor:
        # Categories outside the sensitive ones (contact, identity, ...) become `minor`, so
        # the request names only categories a customer can consent to or withdraw.
        findings = [
            f if f.sensitive else f.model_copy(update={"sensitive": True, "category": MINOR})
            for f in findings
        ]
    return Assessment(findings=findings, author_is_minor=minor)
