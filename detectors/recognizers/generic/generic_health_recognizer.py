# Chinese punctuation is the data here, on purpose. Regex patterns and one-row-per-case tables read better unwrapped.
# ruff: noqa: E501, RUF001
"""HEALTH: medical conditions, medications, allergies and pregnancy, in English and Chinese.

A curated lexicon (``health_terms.toml``, its sources in its header) looked up word by word
in English and character by character in Chinese, longest term first; no NER model covers
health here. Allergy phrases ("allergic to penicillin", "peanut allergy", "对花生过敏") and
pregnancy with its duration ("8 weeks pregnant", "怀孕8周", "孕三个月") are flagged whole.

Context decides between a person's health and product talk:

- ``strong`` terms are flagged alone; ``cued`` ones (everyday words: "cancer", "surgery",
  "抑郁", "孕妇") only with a personal cue ("I", "my son", "diagnosed", "我", "孩子", "得了")
  before them in the same clause.
- A Chinese term must start one of jieba's words ("集中风险" holds no 中风).
- A term with a ``general`` word around it ("asthma inhaler case", "allergy-free pillow",
  "safe for diabetics", "孕妇专用", "防过敏") is dropped unless a personal cue stands
  before it in the same clause.
"""

from __future__ import annotations

import pathlib
import tomllib
from dataclasses import dataclass
from functools import cache
from typing import override

import regex
from presidio_analyzer import RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from detectors.longest_match import LongestMatch
from detectors.recognizers.base import REGEX_TIMEOUT, ProjectLocalRecognizer, make_result

LEXICON_PATH = pathlib.Path(__file__).with_name("health_terms.toml")
STRONG_SCORE = 0.7
PHRASE_SCORE = 0.75
CUED_SCORE = 0.65
CLAUSE_CHARS = 60
MIN_ZH_TERM_CHARS = 2  # one character alone is never read as a health term

_WORD = regex.compile(r"[a-z0-9]+(?:['\u2019][a-z]+)?")
_WORD_GAP = regex.compile(r"[ \t-]{1,3}")
_ZH_NUM = "一二两三四五六七八九十半"
_PHRASES = (
    regex.compile(
        r"(?<![A-Za-z])(?:(?:severe(?:ly)?\s)?allergic\sto\s(?:[A-Za-z-]+(?:,?\s(?:and|&|or)\s)?){1,3}"
        r"|(?:[A-Za-z-]+\s)?allerg(?:y|ies)(?:\sto\s[A-Za-z-]+)?)",
        regex.IGNORECASE,
    ),
    regex.compile(
        r"(?<![A-Za-z0-9])(?:\d{1,2}|a\sfew|few|two|three|four|five|six|seven|eight|nine)\s?(?:-\s?)?"
        r"(?:weeks?|months?|wks?|mos?)\s(?:pregnant|along)(?![A-Za-z])",
        regex.IGNORECASE,
    ),
    regex.compile(
        rf"对[\p{{Han}}A-Za-z]{{1,8}}?过敏|(?:花生|海鲜|芒果|青霉素|酒精|花粉|尘螨|牛奶|鸡蛋|坚果|小麦|大豆|头孢|药物|猫毛|狗毛|虾|蟹|乳胶|麸质|芝麻|酒精|紫外线)过敏"
        rf"|过敏性[\p{{Han}}]{{1,3}}?(?:炎|症|哮喘)"
        rf"|(?:怀孕|孕)(?:了)?\s?(?:\d{{1,2}}|[{_ZH_NUM}]{{1,3}})\s?(?:周|个多?月|个半月)(?:了)?"
    ),
)
_NOT_ALLERGEN = frozenset(
    {"a", "an", "the", "my", "any", "no", "food", "skin", "is", "have", "has", "for", "with"}
)
_CUE_EN = regex.compile(
    r"(?<![a-z])(?:i|i['\u2019]m|im|i['\u2019]ve|ive|me|my|mine|myself|he|she|his|her|him|we|our|us|"
    r"son|daughter|husband|wife|partner|mom|mum|mother|dad|father|baby|kid|kids|child|grandma|"
    r"grandpa|grandmother|grandfather|brother|sister|diagnosed|suffer(?:s|ing)?|recovering)(?![a-z])"
)
_CUE_ZH = regex.compile(
    r"我|本人|他|她|孩子|儿子|女儿|宝宝|老婆|老公|丈夫|妻子|母亲|父亲|妈|爸|爷爷|奶奶|外婆|外公|家人|"
    r"确诊|诊断|患有|得了|得过|查出"
)
_CLAUSE_END = regex.compile(r"[.!?;,\n。！？；，]")


@dataclass(frozen=True, slots=True)
class Lexicon:
    strong_en: dict[tuple[str, ...], bool]  # word tuple -> cued?
    first_words: dict[str, list[tuple[str, ...]]]  # first word -> terms, longest first
    zh: LongestMatch[bool]  # term -> cued?
    general_before_en: regex.Pattern[str]
    general_after_en: regex.Pattern[str]
    general_before_zh: tuple[str, ...]
    general_after_zh: tuple[str, ...]


@cache
def lexicon() -> Lexicon:
    data = tomllib.loads(LEXICON_PATH.read_text(encoding="utf-8"))
    terms: dict[tuple[str, ...], bool] = {}
    for key, cued in (("strong", False), ("cued", True)):
        for term in data[key]["en"]:
            terms[tuple(_WORD.findall(term.lower()))] = cued
    first_words: dict[str, list[tuple[str, ...]]] = {}
    for words in sorted(terms, key=len, reverse=True):
        first_words.setdefault(words[0], []).append(words)
    zh = {t: False for t in data["strong"]["zh"]} | {t: True for t in data["cued"]["zh"]}
    general = data["general"]
    before = "|".join(regex.escape(w) for w in sorted(general["before_en"], key=len, reverse=True))
    after = "|".join(regex.escape(w) for w in sorted(general["after_en"], key=len, reverse=True))
    return Lexicon(
        strong_en=terms,
        first_words=first_words,
        zh=LongestMatch({t: cued for t, cued in zh.items() if len(t) >= MIN_ZH_TERM_CHARS}),
        general_before_en=regex.compile(rf"(?<![a-z])(?:{before})[\s-]?$"),
        # the general word right after the term, or after one more word ("insulin cooler bag")
        general_after_en=regex.compile(rf"^(?:[\s-]?[a-z0-9']+)?[\s-]?(?:{after})(?![a-z])"),
        general_before_zh=tuple(general["before_zh"]),
        general_after_zh=tuple(general["after_zh"]),
    )


def _en_terms(text: str, lex: Lexicon) -> list[tuple[int, int, bool]]:
    lowered = text.lower()
    words = list(_WORD.finditer(lowered))
    found: list[tuple[int, int, bool]] = []
    index = 0
    while index < len(words):
        word = words[index].group(0)
        candidates = lex.first_words.get(word) or lex.first_words.get(word.removesuffix("s"), [])
        matched = 0
        for term in candidates:
            size = len(term)
            if index + size > len(words):
                continue
            span = words[index : index + size]
            if all(
                _WORD_GAP.fullmatch(lowered, span[k].end(), span[k + 1].start())
                for k in range(size - 1)
            ) and all(
                span[k].group(0) == term[k]
                or (k == size - 1 and span[k].group(0).removesuffix("s") == term[k])
                for k in range(size)
            ):
                found.append((span[0].start(), span[-1].end(), lex.strong_en[term]))
                matched = size
                break
        index += matched or 1
    return found


def _word_starts(text: str) -> set[int]:
    """Where jieba's words start: a Chinese term must start a word ("集中风险" holds no 中风)."""
    import jieba  # loaded and initialised by cn_person_recognizer already

    starts, offset = set(), 0
    for word in jieba.lcut(text, HMM=False):
        starts.add(offset)
        offset += len(word)
    return starts


def _clause_before(text: str, start: int) -> str:
    before = text[max(0, start - CLAUSE_CHARS) : start]
    ends = [m.end() for m in _CLAUSE_END.finditer(before)]
    return before[ends[-1] :] if ends else before


def _has_cue(text: str, start: int) -> bool:
    clause = _clause_before(text, start).lower()
    return bool(_CUE_EN.search(clause) or _CUE_ZH.search(clause))


def _is_general(text: str, start: int, end: int, lex: Lexicon) -> bool:
    before = text[max(0, start - 20) : start].lower()
    after = text[end : end + 30].lower()
    if lex.general_before_en.search(before) or lex.general_after_en.match(after):
        return True
    if any(before.endswith(w) for w in lex.general_before_zh):
        return True
    return any(w in after[: len(w) + 2] for w in lex.general_after_zh)


class GenericHealthRecognizer(ProjectLocalRecognizer):
    ENTITY = "HEALTH"
    CONTEXT_WORDS = ("medical", "doctor", "hospital", "diagnosed", "医生", "医院", "确诊", "病")

    @override
    def load(self) -> None:
        lexicon()

    @override
    def find(self, text: str, nlp_artifacts: NlpArtifacts | None) -> list[RecognizerResult]:
        lex = lexicon()
        zh_terms = lex.zh.find(text)
        if zh_terms:
            starts = _word_starts(text)
            zh_terms = [term for term in zh_terms if term[0] in starts]
        spans: list[tuple[int, int, bool, float, str]] = [
            (start, end, cued, CUED_SCORE if cued else STRONG_SCORE, "health term")
            for start, end, cued in _en_terms(text, lex) + zh_terms
        ]
        for pattern in _PHRASES:
            for match in pattern.finditer(text, timeout=REGEX_TIMEOUT.secs):
                start, end = match.span()
                phrase = match.group(0).rstrip(" ,")
                first = phrase.split()[0] if phrase.split() else ""
                if first.lower() in _NOT_ALLERGEN and len(phrase.split()) > 1:
                    start += len(first) + 1
                end = match.start() + len(phrase)
                spans.append((start, end, False, PHRASE_SCORE, "allergy or pregnancy phrase"))
        results: list[RecognizerResult] = []
        for start, end, cued, score, why in spans:
            if (cued or _is_general(text, start, end, lex)) and not _has_cue(text, start):
                continue
            results.append(make_result(self.ENTITY, start, end, score, type(self).__name__, why))
        return results
