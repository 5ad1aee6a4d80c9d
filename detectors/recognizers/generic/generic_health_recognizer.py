# Chinese punctuation is the data here, on purpose. Regex patterns and one-row-per-case tables read better unwrapped.
# ruff: noqa: E501, RUF001
"""HEALTH: medical conditions, medications, allergies and pregnancy, in English and Chinese.

A curated lexicon (``health_terms.toml``, its sources in its header) looked up word by word
in English and character by character in Chinese, longest term first; no NER model covers
health here. Allergy phrases ("allergic to penicillin", "peanut allergy", "对花生过敏") and
pregnancy with its duration ("8 weeks pregnant", "怀孕8周", "孕三个月", "怀了二胎") or its
subject ("I'm expecting", "we're expecting a baby", "I'm due in March") are flagged whole, the
name after "prescribed" as a medication ("prescribed Lexapro"), and "on the pill" with a
personal cue.

Context decides between a person's health and product talk:

- ``strong`` terms are flagged alone; ``cued`` ones (everyday words: "cancer", "surgery",
  "抑郁", "孕妇") only with a personal cue ("I", "my son", "diagnosed", "我", "孩子", "得了")
  before them in the same clause.
- A Chinese term must start one of jieba's words ("集中风险" holds no 中风).
- A term with a ``general`` word around it ("asthma inhaler case", "allergy-free pillow",
  "safe for diabetics", "孕妇专用", "防过敏") is dropped unless a personal cue stands
  before it in the same clause.

Terms outside the lexicon are found by their shape, always as ``cued`` terms (a personal or
medication cue earlier in the clause: "taking", "prescribed", "on", "have", "吃", "得了"):
lower-case English words (a capitalised one is as often a name: "Thomas") with the endings of condition names ("-itis", "-osis", "-emia", "-oma",
"-pathy", "-plasia") or of the drug-name stems of the USAN/INN naming schemes ("-pril",
"-sartan", "-olol", "-statin", "-mab", "-tinib", "-cillin", "-floxacin", "-prazole"...), a
condition's head noun with the one or two words before it ("capillary disease",
"locked-in syndrome", "lead poisoning"), with the adjective before a condition's name
("unstable angina"); Chinese: what follows a diagnosis verb (患有, 确诊, 诊断为) up to the
clause's end, a run ending in a condition's character (病, 症, 炎, 癌, 瘤, 综合征, 骨折...)
after 有, 患, 得了 or 查出 ("得了" alone is any winning: 得了勋章), and a run ending in a dosage form (片, 胶囊, 颗粒, 丸,
口服液, 注射液, 栓...) after a verb of taking (吃, 服用, 开了, 用了).
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
_PREGNANT_SUBJECT = (
    r"(?:i['\u2019]m|im|i\sam|we['\u2019]re|we\sare|she['\u2019]s|she\sis|"
    r"(?:wife|partner|girlfriend|daughter|sister)(?:['\u2019]s|\sis))"
)
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
        rf"对[\p{{Han}}A-Za-z]{{1,12}}?过敏|(?:花生|海鲜|芒果|青霉素|酒精|花粉|尘螨|牛奶|鸡蛋|坚果|小麦|大豆|头孢|药物|猫毛|狗毛|虾|蟹|乳胶|麸质|芝麻|酒精|紫外线)过敏"
        rf"|过敏性[\p{{Han}}]{{1,3}}?(?:炎|症|哮喘)"
        rf"|(?:怀孕|孕)(?:了)?\s?(?:\d{{1,2}}|[{_ZH_NUM}]{{1,3}})\s?(?:周|个多?月|个半月)(?:了)?"
        r"|怀(?:了|上了?)(?:二胎|三胎|老二|老三|宝宝|孩子|双胞胎|龙凤胎)"
    ),
    # Pregnancy said with its subject: "I'm expecting", "we're expecting a baby", "I'm due in March".
    regex.compile(
        rf"(?<=(?<![A-Za-z]){_PREGNANT_SUBJECT}\s(?:currently\s|also\s)?)expecting"
        r"(?:\s(?:a\s(?:baby|boy|girl)(?!\s(?:monitor|carrier|gate|bath|seat|bottle|food|wipes|clothes|stroller|items?|order|parcel|package|box|delivery)\b)|twins"
        r"|(?:our|my|her)\s(?:first|second|third|1st|2nd|3rd)(?:\s(?:baby|child|kid))?)"
        r"|(?=\s*(?:$|[.,!?;:)]|(?:and|so|soon|now|next|too|lol|btw)\b)))",
        regex.IGNORECASE,
    ),
    regex.compile(
        rf"(?<=(?<![A-Za-z]){_PREGNANT_SUBJECT}\s)due\s(?:in|on|at\sthe\s(?:end|start|beginning)\sof|early|mid|late|end\sof)\s"
        r"(?:january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec|"
        r"spring|summer|autumn|fall|winter|\d{1,2}\s?(?:weeks?|wks?|months?))(?![A-Za-z])",
        regex.IGNORECASE,
    ),
    # "I'm 30 weeks" / "my wife is 20 weeks along": weeks of a pregnancy (a baby's weeks are its age).
    regex.compile(
        r"(?<=(?<![A-Za-z])(?:i['\u2019]m|im|i\sam|(?:wife|partner|girlfriend)(?:['\u2019]s|\sis))\s)"
        r"\d{1,2}\+?\s?(?:weeks?|wks?)(?:\s(?:along|pregnant))?(?=\s*(?:$|[.,!?;:)]|(?:now|today|and|so)\b))",
        regex.IGNORECASE,
    ),
)
# Phrases that are health data only with a personal cue before them ("I'm on the pill").
_CUED_PHRASES = (
    regex.compile(
        r"(?<![A-Za-z])on\sthe\s(?:mini[-\s])?pill(?![A-Za-z]|\s?(?:box|organi[sz]ers?|case|dispenser|holder|bottle))"
        r"|(?<![A-Za-z])on\sthe\s(?:autism\s|autistic\s)?spectrum(?![A-Za-z])",
        regex.IGNORECASE,
    ),
    # "我一直在吃中药": a medicine taken day to day.
    regex.compile(
        r"(?<=(?:在吃|一直吃|长期吃|每天吃|天天吃|吃着|在服用|长期服用))\p{Han}{1,5}?药(?![店房品材膳])"
    ),
)
# The name after "prescribed" is a medication, whatever its shape ("prescribed Lexapro").
_PRESCRIBED = regex.compile(
    r"(?<![A-Za-z])(?:prescribed|prescribing|prescription\sfor)\s(?:me\s|him\s|her\s|them\s|us\s)?(?:some\s)?"
    r"(?P<term>[A-Za-z][A-Za-z-]{3,})(?![A-Za-z])"
)
_NOT_PRESCRIBED = frozenset({
    "some", "medicine", "medication", "medications", "meds", "pills", "tablets", "something", "this", "that", "them", "these", "those", "with", "from", "before", "after", "when", "until", "last", "only", "online", "glasses", "lenses", "by", "for", "the", "and",
})  # fmt: skip
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
    r"确诊|诊断|患有|得了|得过|查出|做了|做过|动了|动过|做完"
)
_CLAUSE_END = regex.compile(r"[.!?;,\n。！？；，]")
# A term found by its shape also counts as cued after a verb of taking or having.
_CUE_MEDICATION_EN = regex.compile(
    r"(?<![a-z])(?:taking|take|takes|took|prescribed|prescription|on|have|has|had|with|using|"
    r"started|stopped|dose|diagnosed)(?![a-z])"
)
_NOT_CONDITION = frozenset(
    {"aroma", "aromas", "diploma", "diplomas", "academia", "hypnosis", "osmosis", "symbiosis"}
)
_EN_CONDITION_WORD = regex.compile(
    r"(?<![A-Za-z-])(?:[a-z][a-z-]*)?(?:itis|osis|oses|iasis|aemia|emia|omas?|pathy|plasia|"
    r"trophy|algia|philia|ectasis|ectomy|otomy|cele|uria|cephaly|aneurysm|urticaria|paralysis|"
    r"plegia|paresis|penia|rrhea|rrhoea|spasm|pituitarism|thyroidism)(?![A-Za-z])"
)
_EN_HEAD_NOUN = regex.compile(
    r"(?<![A-Za-z-])(?P<mods>(?:[A-Za-z][A-Za-z'-]+\s){1,2})(?:disease|disorder|syndrome|deficiency|"
    r"dysplasia|dystrophy|infection|carcinoma|cancer|tumou?r|palsy|insufficiency|poisoning|"
    r"anomaly|malformation|atresia|stenosis|neuropathy)(?![A-Za-z])",
    regex.IGNORECASE,
)
# Words that start no condition name: pronouns, articles, verbs of having, fillers.
_NOT_MODIFIER = frozenset({
    "i", "i'm", "im", "my", "his", "her", "their", "our", "your", "a", "an", "the", "this", "that", "these", "has", "have", "had", "with", "of", "and", "or", "is", "was", "be", "been", "got", "get", "gets", "from", "for", "to", "in", "on", "at", "by", "son", "daughter", "kid", "child", "baby", "mum", "mom", "dad", "husband", "wife", "he", "she", "we", "they", "it", "diagnosed", "suffers", "suffering", "recovering", "rare", "some", "any", "no", "pending", "during", "nothing", "something", "total", "usual", "possible", "vegetable", "table",
})  # fmt: skip
_MODIFIER_BEFORE = regex.compile(
    r"(?<![A-Za-z-])(?P<word>[A-Za-z][a-z-]{2,}(?:al|ic|ar|ous|ary|ive|oid|form|ile|ial|ant|ent|ble))[ ]$"
)
# Drug-name stems of the USAN/INN schemes (word endings), 6+ letters in all.
_EN_DRUG_WORD = regex.compile(
    r"(?<![A-Za-z-])[a-z]{3,}(?:pril|prilat|sartan|olol|alol|statin|cillin|mycin|micin|"
    r"floxacin|oxacin|cycline|conazole|azole|prazole|tidine|dipine|gliptin|gliflozin|glitazone|"
    r"formin|afil|triptan|setron|lukast|parin|xaban|gatran|platin|rubicin|caine|azepam|zepam|"
    r"zolam|oxetine|triptyline|pramine|peridol|piprazole|semide|thiazide|dronate|relix|"
    r"mab|tinib|fenib|rafenib|ciclib|profen|navir|previr|buvir|ciclovir|vir|sone|olone|"
    r"sterone|gestrol|estradiol|terol|stigmine|tropin|relin|barbital|thimide|amide|idine|"
    r"pindolol|fasin|arabine|osine|dopa|pezil|cept|afinil|astine|kacin|lisant|bicin|"
    r"vudine|tabine|fovir|trexate|azine|oxone|ipine)(?![A-Za-z])|(?<![A-Za-z-])(?:cef|ceph)[a-z]{4,}"
)
_NOT_DRUG = frozenset({"provir", "elvir", "person", "amide", "guanidine"})
_ZH_BOUNDARY = r"(?=[^\p{Han}]|$|[的了吗呢啊要能会还也和跟这那就都])"
_ZH_DIAGNOSED = regex.compile(
    r"(?:患有|患了|确诊(?:为|是|了|出)?|诊断(?:为|出|是))"
    rf"(?P<term>\p{{Han}}{{2,10}}?){_ZH_BOUNDARY}"
)
_ZH_CONDITION = regex.compile(
    r"(?:有|患|得了?|得过|查出(?:了|来)?)(?P<term>(?![有了过出来])\p{Han}{0,8}?(?:病|症|炎|癌|瘤|癣|痢|疹|疮|综合征|综合症|中毒|结石|溃疡|"
    rf"囊肿|障碍|不全|硬化|贫血|出血|麻痹|瘫痪|斜视|积液|梗死|梗塞|畸形|肿大|变性|头痛|疼痛|疝|痹|斜|"
    rf"咯血|癫痫|哮喘|痔|瘘|疽|疖|耳聋|失明|骨折|异常|结节)){_ZH_BOUNDARY}"
)
_ZH_DRUG = regex.compile(
    r"(?:在吃|吃了|吃的|吃着|服用|服|吃|开了|开的|用了|用的|在用|打了)"
    r"(?P<term>[\p{Han}A-Za-z0-9]{1,12}?(?:片|胶囊|颗粒|丸|散|口服液|口服乳|口服溶液|溶液|注射液|注射剂|"
    rf"栓|软膏|乳膏|膏|糖浆|滴眼液|滴丸|喷雾剂|气雾剂|冲剂|合剂|霉素|西林|沙星|他汀|地平|普利|沙坦|洛尔)){_ZH_BOUNDARY}"
)
_NOT_ZH_TERM = frozenset({"毛病", "通病", "语病", "病毒", "照片", "名片", "芯片", "薯片"})
_NOT_ZH_DRUG_START = ("维生素", "钙片", "鱼油", "益生菌", "蛋白", "零食", "薯片", "糖")


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
            # The project's own lexicon at start-up, not a message: no message time limit
            # (a worker started with a tiny limit must still start).
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
    words = list(_WORD.finditer(lowered, timeout=REGEX_TIMEOUT.secs))
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
                _WORD_GAP.fullmatch(
                    lowered, span[k].end(), span[k + 1].start(), timeout=REGEX_TIMEOUT.secs
                )
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
    ends = [m.end() for m in _CLAUSE_END.finditer(before, timeout=REGEX_TIMEOUT.secs)]
    return before[ends[-1] :] if ends else before


def _has_cue(text: str, start: int) -> bool:
    clause = _clause_before(text, start).lower()
    return bool(
        _CUE_EN.search(clause, timeout=REGEX_TIMEOUT.secs)
        or _CUE_ZH.search(clause, timeout=REGEX_TIMEOUT.secs)
    )


def _is_general(text: str, start: int, end: int, lex: Lexicon) -> bool:
    before = text[max(0, start - 20) : start].lower()
    after = text[end : end + 30].lower()
    if lex.general_before_en.search(
        before, timeout=REGEX_TIMEOUT.secs
    ) or lex.general_after_en.match(after, timeout=REGEX_TIMEOUT.secs):
        return True
    if any(before.endswith(w) for w in lex.general_before_zh):
        return True
    return any(w in after[: len(w) + 2] for w in lex.general_after_zh)


def _with_modifier(text: str, start: int) -> int:
    """Where a condition's name starts with the adjective before it ("unstable angina",
    "vestibular schwannoma", "secondary diabetes")."""
    match = _MODIFIER_BEFORE.search(text[max(0, start - 30) : start], timeout=REGEX_TIMEOUT.secs)
    if match is None or match.group("word").lower() in _NOT_MODIFIER:
        return start
    return start - len(match.group(0))


def _has_medication_cue(text: str, start: int) -> bool:
    return bool(
        _CUE_MEDICATION_EN.search(_clause_before(text, start).lower(), timeout=REGEX_TIMEOUT.secs)
    )


def _shaped_terms(text: str) -> list[tuple[int, int, bool]]:
    """Condition and drug names outside the lexicon, found by their shape (module doc), and
    whether the shape holds its own cue (the Chinese verb before it)."""
    found: list[tuple[int, int, bool]] = []
    if regex.search(r"[a-z]", text, timeout=REGEX_TIMEOUT.secs):
        for pattern, excluded in ((_EN_CONDITION_WORD, _NOT_CONDITION), (_EN_DRUG_WORD, _NOT_DRUG)):
            for match in pattern.finditer(text, timeout=REGEX_TIMEOUT.secs):
                word = match.group(0).lower()
                if len(word) >= 6 and word not in excluded:
                    found.append((*match.span(), False))
        for match in _EN_HEAD_NOUN.finditer(text, timeout=REGEX_TIMEOUT.secs):
            start = match.start()
            for word in match.group("mods").split():
                if word.lower() not in _NOT_MODIFIER:
                    break
                start = text.index(word, start) + len(word) + 1
            if start < match.start("mods") + len(match.group("mods")):
                found.append((start, match.end(), False))
    if regex.search(r"\p{Han}", text, timeout=REGEX_TIMEOUT.secs):
        for pattern in (_ZH_DIAGNOSED, _ZH_CONDITION, _ZH_DRUG):
            for match in pattern.finditer(text, timeout=REGEX_TIMEOUT.secs, overlapped=True):
                term = match.group("term")
                if term in _NOT_ZH_TERM or term.startswith(_NOT_ZH_DRUG_START) or len(term) < 2:
                    continue
                if term.endswith("异常") and len(term) < 4:  # 有异常: anything can be off
                    continue
                found.append((*match.span("term"), True))
    return found


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
        # A shaped term has passed its cue here; it is then read as a strong term is.
        spans.extend(
            (start, end, False, CUED_SCORE, "shape of a condition or drug name")
            for start, end, own_cue in _shaped_terms(text)
            if own_cue or _has_cue(text, start) or _has_medication_cue(text, start)
        )
        for pattern in _PHRASES:
            for match in pattern.finditer(text, timeout=REGEX_TIMEOUT.secs):
                start, end = match.span()
                phrase = match.group(0).rstrip(" ,")
                first = phrase.split()[0] if phrase.split() else ""
                if first.lower() in _NOT_ALLERGEN and len(phrase.split()) > 1:
                    start += len(first) + 1
                end = match.start() + len(phrase)
                spans.append((start, end, False, PHRASE_SCORE, "allergy or pregnancy phrase"))
        spans.extend(
            (*match.span(), True, PHRASE_SCORE, "allergy or pregnancy phrase")
            for pattern in _CUED_PHRASES
            for match in pattern.finditer(text, timeout=REGEX_TIMEOUT.secs)
        )
        spans.extend(
            (*match.span("term"), False, PHRASE_SCORE, "prescribed medication")
            for match in _PRESCRIBED.finditer(text, timeout=REGEX_TIMEOUT.secs)
            if match.group("term").lower() not in _NOT_PRESCRIBED
        )
        results: list[RecognizerResult] = []
        for start, end, cued, score, why in spans:
            if why != "allergy or pregnancy phrase":
                start = start if why == "prescribed medication" else _with_modifier(text, start)
            if (cued or _is_general(text, start, end, lex)) and not _has_cue(text, start):
                continue
            results.append(make_result(self.ENTITY, start, end, score, type(self).__name__, why))
        return results
