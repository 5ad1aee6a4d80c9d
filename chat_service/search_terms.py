"""The search terms of a message's stored (masked) text, and of a search query (docs/search.md).

One tokenisation serves both sides, so a query finds exactly the messages whose terms hold
all of its terms (`{"search_terms": {"$all": [...]}}`, a multikey index; MongoDB and the
embedded store answer that query the same way):

- Only the text as stored is read: every sensitive value is already a placeholder there
  (`[CREDIT_CARD]`, chat_service/protocol/render.py), and placeholders are dropped, so a
  value is never a term, not even after the customer consents to an agent seeing it.
- NFKC folds full-width letters and digits to their usual form; text is case-folded.
- Han characters: every overlapping pair of a run (character bigrams: 退款申请 ->
  退款 款申 申请), a lone character as itself. No dictionary: the same text always gives
  the same terms, and a word of two or more characters is found wherever it appears.
- Other letters and digits: words (runs of word characters), without stemming; a few
  English function words are left out, as are words over `MAX_TERM_CHARS`.
- A message keeps at most `MAX_TERMS` distinct terms (the first ones in the text).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

MAX_TERMS: Final = 256
MAX_TERM_CHARS: Final = 40
MAX_QUERY_CHARS: Final = 200
MAX_QUERY_TERMS: Final = 12

_PLACEHOLDER: Final = re.compile(r"\[[A-Z][A-Z0-9_]*\]")
# Han ideographs (CJK Unified Ideographs, Extension A, compatibility ideographs).
_HAN: Final = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN: Final = re.compile(rf"[{_HAN}]+|[^\W_{_HAN}]+")
_HAN_RUN: Final = re.compile(rf"[{_HAN}]+")
STOP_WORDS: Final = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "but",
        "by",
        "do",
        "for",
        "from",
        "has",
        "have",
        "i",
        "in",
        "is",
        "it",
        "its",
        "me",
        "my",
        "of",
        "on",
        "or",
        "our",
        "so",
        "that",
        "the",
        "this",
        "to",
        "was",
        "we",
        "were",
        "will",
        "with",
        "you",
        "your",
    ]
)


def _tokens(text: str) -> list[str]:
    folded = unicodedata.normalize("NFKC", _PLACEHOLDER.sub(" ", text)).casefold()
    out: list[str] = []
    for match in _TOKEN.finditer(folded):
        token = match.group(0)
        if _HAN_RUN.fullmatch(token):
            out.extend(token[i : i + 2] for i in range(max(1, len(token) - 1)))
        elif token not in STOP_WORDS and len(token) <= MAX_TERM_CHARS:
            out.append(token)
    return out


def terms_of(text: str | None) -> list[str]:
    """The distinct search terms of a stored message's masked `text`, in text order."""
    if not text:
        return []
    return list(dict.fromkeys(_tokens(text)))[:MAX_TERMS]


def query_terms(query: str) -> list[str]:
    """The terms a query must all match (same rules as `terms_of`); may be empty."""
    return list(dict.fromkeys(_tokens(query)))
