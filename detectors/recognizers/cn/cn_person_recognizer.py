# Chinese punctuation and full-width characters are the data here, on purpose. Regex patterns and one-row-per-case tables read better unwrapped.
# ruff: noqa: E501, RUF001
"""PERSON (Chinese): names from the surname list, key words and jieba's part-of-speech tags.

A Chinese name is a surname (single or compound) and a one- or two-character given name.
Signals, strongest first: a key word right before it ("收件人", "我叫", "姓名"), an honorific
right after it ("先生", "女士"), or jieba.posseg tagging the word ``nr`` (person name) and it
starting with a known surname. jieba is noisy (it tags roads such as 张江路 as names), so a
candidate directly followed by a place suffix is dropped. A surname and a given name listed
beside a name found (向京和瞿广慈) are a name too.
"""

from __future__ import annotations

import functools
import logging
import math
import pathlib
import warnings
from typing import override

import regex
from presidio_analyzer import RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from detectors.recognizers.base import REGEX_TIMEOUT, ProjectLocalRecognizer, make_result

with warnings.catch_warnings():
    # jieba 0.42 has invalid escape sequences and imports pkg_resources at import time.
    warnings.simplefilter("ignore", SyntaxWarning)
    warnings.simplefilter("ignore", DeprecationWarning)
    warnings.simplefilter("ignore", UserWarning)
    import jieba
    import jieba.posseg

jieba.setLogLevel(logging.WARNING)

SINGLE_SURNAMES = (
    "王李张刘陈杨黄吴赵周徐孙马朱胡林郭何高罗郑梁谢宋唐许邓冯韩曹曾彭萧蔡潘田董袁于余叶蒋杜苏魏程吕"
    "丁沈任姚卢傅钟姜崔谭廖范汪陆金石戴贾韦夏邱方侯邹熊孟秦白江阎薛尹段雷黎史龙陶贺顾毛郝龚邵万钱严"
    "赖覃洪武莫孔汤向常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚"
    "符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农"
    "司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁"
    "沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝官封谈匡鞠惠荆乐冀郁胥南班储原栗燕楚鄢劳谌奚皮粟冼蔺楼"
    "盘满闻位厉伊仝区郜海阚花权强帅屠豆朴盖练廉禹井祖漆巴丰支卿国狄平计索宣晋相初门云容敬来扈晁芮都"
    "普阙浦戈伏鹿薄邸雍辜羊阿乌母裘亓修邰赫杭况那宿鲜印逯隆茹诸战慕危玉银亢嵇公哈湛宾戎勾茅利呼居揭"
    "干但尉冶斯元束檀衣信展阴昝智幸奉植衡富尧闭由"
    # Among the hundred commonest (付, 闫 and 肖 are the usual forms of 傅, 阎 and 萧 today).
    "付闫肖"
    # Traditional forms (Taiwan, Hong Kong, Macao) of the surnames above that differ.
    "張劉陳楊黃趙孫馬鄭謝許鄧馮韓蕭葉蔣蘇呂盧鍾譚範陸賈韋鄒孟賀顧龔萬錢嚴賴莊聶魯"
    "吳羅喬龐齊練華聞蘭關鳳車閔農貝"
    "紀畢單裴涂駱藍遊靳鮑蒲饒項連蘆竇費衛鄔邊師欒隋鄺荊樂冀胥儲欒藺樓閻歐陽龍陶湯溫顏"
)
COMPOUND_SURNAMES = (
    "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文",
    "司徒", "夏侯", "令狐", "端木", "独孤", "南宫", "西门",
)  # fmt: skip
_SURNAME = "(?:" + "|".join(COMPOUND_SURNAMES) + f"|[{SINGLE_SURNAMES}])"
_GIVEN_STOP = "的了是在和与电手地先女小老号码住址身证给到说要想需请吗呢吧啊也都还就从把被让向对帮查看问寄收发买退换"
_GIVEN = rf"(?:(?![{_GIVEN_STOP}])\p{{Han}})"
_KEYS = (
    r"(?:我叫|我是|本人|姓名|名字|名叫|叫做|收件人|收货人|联系人|签收人|寄件人|持卡人|户名|"
    r"客户|寄给|交给|转交|找一下|联系|麻烦|患者|孩子|儿子|女儿|老公|老婆|丈夫|妻子|妈妈|爸爸)"
)
_KEYED = regex.compile(rf"{_KEYS}\s*(?:是|为|叫|:|：)?\s*(?P<value>{_SURNAME}{_GIVEN}{{1,2}})")
_TITLED = regex.compile(
    rf"(?P<value>{_SURNAME}{_GIVEN}{{0,2}}?)(?P<title>先生|女士|小姐|老师|同学|经理|医生)"
)
# A name in another script before a Chinese honorific or after a Chinese key word
# ("Bryant先生", "请联系झा女士", "我叫أريج الخزرج"): 1-4 words, each a capitalised word of a
# cased alphabet (Latin, Cyrillic, Greek) or a word of an uncased script other than
# Chinese, Japanese and Korean (Arabic, Devanagari...).
_UNCASED_LETTER = (
    r"(?:(?![\p{Han}\p{Latin}\p{Cyrillic}\p{Greek}\p{Hangul}\p{Hiragana}\p{Katakana}])[\p{L}\p{M}])"
)
_OTHER_SCRIPT_WORD = rf"(?:\p{{Lu}}[\p{{Ll}}\p{{M}}'’-]*|{_UNCASED_LETTER}+)"
_OTHER_SCRIPT_NAME = (
    rf"(?<!(?!\p{{Han}})[\p{{L}}\p{{M}}]){_OTHER_SCRIPT_WORD}(?: {_OTHER_SCRIPT_WORD}){{0,3}}"
)
_HONORIFICS = "先生|女士|小姐"
_OTHER_SCRIPT_TITLED = regex.compile(rf"(?P<value>{_OTHER_SCRIPT_NAME})\s?(?:{_HONORIFICS})")
_OTHER_SCRIPT_KEYED = regex.compile(
    rf"(?:我叫|姓名|名字|收件人|收货人|联系人)\s*(?:是|为|:|：)?\s*(?P<value>{_OTHER_SCRIPT_NAME})(?!(?!\p{{Han}})[\p{{L}}\p{{M}}])"
)
# A transliterated foreign name: its parts joined by a middle dot (詹姆斯·卡梅隆).
_NAME_DOTS = "·•・"
_HAN_WORD = regex.compile(r"\p{Han}{1,6}")
_PLACE_AFTER = "路街道区县市省镇村巷弄号楼"
# 小X / 老X with X a common surname is how people call each other (小李, 老王): the hundred
# most common surnames only, and not the everyday words of that shape (jieba's dictionary).
_COMMON_SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏"
    "吕丁沈任姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严"
    "覃武戴莫孔向汤吳張劉陳楊黃趙周孫馬鄭謝許韓馮鄧葉蘇"
)
_NOT_XIAO_LAO = frozenset(
    [
        "小于",
        "小农",
        "小包",
        "小区",
        "小商",
        "小国",
        "小孔",
        "小宗",
        "小康",
        "小房",
        "小时",
        "小曲",
        "小楼",
        "小牛",
        "小童",
        "小米",
        "小花",
        "小费",
        "小路",
        "小车",
        "小钱",
        "小门",
        "小鹿",
        "小麦",
        "小龙",
        "小白",
        "小姐",
        "小孩",
        "小方",
        "小金",
        "小石",
        "小程",
        "小田",
        "小夏",
        "小江",
        "小叶",
        "小史",
        "老公",
        "老区",
        "老母",
        "老牛",
        "老祖",
        "老练",
        "老翁",
        "老成",
        "老庄",
        "老乡",
        "老师",
        "老板",
        "老婆",
        "老大",
        "老方",
        "老江",
        "老金",
        "老石",
        "老龙",
        "老白",
        "老毛",
        "老史",
        "老汤",
        "老夏",
        "老田",
        "老任",
        "老钱",
        "老实",
    ]
)
# Surnames that are far more often function words (和 and, 都 all, 来 come, 由 by): a name
# starting with one needs jieba's dictionary (or a key word, an honorific) to be believed.
_FUNCTION_WORD_SURNAMES = frozenset(
    "和都来但由于向祝那位成连时路门修公从以把将被让给为也还就在是有上下中不之其所与及而又对到要会能可"
    "很更最再已只才每些各该此本"
)
_ORGANISATION_LAST = "会局部委院厅所队社司处团"
_NAME_TAGS = frozenset({"nr", "nrfg", "nrt"})
# Everyday words jieba tags nr that start with a surname character.
_NOT_NAMES = frozenset(
    [
        "谢谢",
        "谢啦",
        "银行",
        "银行卡",
        "明天",
        "明白",
        "高兴",
        "和平",
        "安全",
        "方便",
        "常常",
        "向来",
        "全部",
        "成功",
        "原来",
        "宁可",
        "平安",
        "海关",
        "金额",
        "白天",
        "高速",
        "于是",
        "余额",
        "司机",
        "华为",
        "小米",
        "苏宁",
        "京东",
        "顺丰",
        "申通",
        "韵达",
        "圆通",
        "中通",
        "邮政",
        "支付宝",
        "微信",
        "淘宝",
        "天猫",
        "拼多多",
        "美团",
        "万达",
        "温馨",
        "文明",
        "和谐",
        "时候",
        "时间",
        "江南",
        "黄金",
        "石油",
        "钱包",
    ]
)
_SURNAME_RX = regex.compile(_SURNAME)
# jieba's dictionary tags many everyday words nr (智慧 1581, 宁静 652, 明星 2130); real names in
# it are rare (李宇春 15, 林志玲 17). A dictionary word this frequent is taken for the word.
_COMMON_NR_WORD_2 = 30
_COMMON_NR_WORD_3 = 100
# A surname character after a numeral or "这/那/每" is a measure word (一张, 几位, 这张).
_COUNTING_BEFORE = frozenset("0123456789一二两三四五六七八九十百千万几每这那哪某多整半")
# Tags of a following token that is not a given name: particles, pronouns, prepositions...
_NOT_GIVEN_TAGS = frozenset(
    {"uj", "ul", "uz", "uv", "ud", "ug", "r", "p", "c", "u", "y", "e", "o", "x", "m", "q", "f"}
)
# A name followed by one of these is part of a place or an organisation (张江路, 宋庆龄基金会).
_NOT_PERSON_AFTER = regex.compile(
    r"[路街道区县市省镇村巷弄号楼州山河湖江桥港湾寺庙]|大学|学院|中学|小学|公司|集团|医院|银行|基金会|广场|大厦|酒店"
)
# Given-name characters: those jieba's dictionary uses at least this often in 3-character
# person names (nr) that start with a surname.
_GIVEN_CHAR_MIN_COUNT = 20
_given_chars: frozenset[str] | None = None


def given_name_chars() -> frozenset[str]:
    """Characters that Chinese given names use, counted in jieba's dictionary of names."""
    global _given_chars
    if _given_chars is None:
        initialize()
        counts: dict[str, int] = {}
        for word, tag in jieba.posseg.dt.word_tag_tab.items():
            if tag == "nr" and len(word) == 3 and word[0] in SINGLE_SURNAMES:
                for char in word[1:]:
                    counts[char] = counts.get(char, 0) + 1
        _given_chars = frozenset(
            c for c, n in counts.items() if n >= _GIVEN_CHAR_MIN_COUNT and c not in _GIVEN_STOP
        )
    return _given_chars


# A character model of given names: how much more often a character is used in given names
# than in running text (jieba's dictionary, weighted by word frequency). Given names count
# half from the labelled names of the Weibo and CLUENER messages outside both evaluation
# samples (cn_given_chars.txt, scripts/make_cn_given_chars.py) and half from jieba's
# 3-character person names. A surname and two characters that jieba did not tag as a name
# (仲 + 跻伟, 曾 + 梵志) are one when the mean log ratio of the two is at least this.
_GIVEN_MODEL_MIN_SCORE = 3.0
# With a cue around it (a speech verb or a title after it, a role or a person's word before
# it: "高源指出", "江本胜博士", "记者赵燕华", "告诉于海") the given-name characters need only
# not be much rarer in names than in text, and a name frequent in jieba's dictionary
# (刘亦菲 256, 成龙 56) is believed.
_CUED_MODEL_MIN_SCORE = -1.0
_GIVEN_MODEL_SMOOTHING = 0.1
_GIVEN_CHARS_FILE = pathlib.Path(__file__).with_name("cn_given_chars.txt")


@functools.cache
def given_name_model() -> tuple[dict[str, float], float]:
    """Per character, log(P(char in a given name) / P(char in text)); the unseen character's."""
    initialize()
    corpus: dict[str, int] = {}
    for line in _GIVEN_CHARS_FILE.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            char, count = line.split("\t")
            corpus[char] = int(count)
    dictionary: dict[str, int] = {}
    for word, tag in jieba.posseg.dt.word_tag_tab.items():
        if tag == "nr" and len(word) == 3 and word[0] in SINGLE_SURNAMES:
            for char in word[1:]:
                dictionary[char] = dictionary.get(char, 0) + 1
    text: dict[str, int] = {}
    for word, frequency in jieba.dt.FREQ.items():
        if frequency:
            for char in word:
                text[char] = text.get(char, 0) + frequency
    k = _GIVEN_MODEL_SMOOTHING
    corpus_total = sum(corpus.values()) + k * len(text)
    dictionary_total = sum(dictionary.values()) + k * len(text)
    text_total = sum(text.values())

    def log_ratio(char: str) -> float:
        in_names = (
            0.5 * (corpus.get(char, 0) + k) / corpus_total
            + 0.5 * (dictionary.get(char, 0) + k) / dictionary_total
        )
        return math.log(in_names * text_total / (text.get(char, 0) + 1))

    chars = set(corpus) | set(dictionary) | set(text)
    return {c: log_ratio(c) for c in chars}, log_ratio("")


# A 3-character name frequent in jieba's dictionary (刘亦菲 256, 王琦瑶 1997) is a famous
# person's when its given name looks Chinese: the given-name model finds its two characters
# likelier in names than in text (亦菲 1.5; not 字塔, 全性), the surname and the next
# character are no everyday word (安全性, 黄金周, 申请人), and the two given characters are not
# both ones that transliterations use (阿森纳, 莫斯科, 欧佩克: clubs, cities and organisations
# jieba tags nr).
_FAMOUS_NAME_MIN_SCORE = 1.0
# Characters that jieba's dictionary uses in at least this many transliterated names (nrt).
_TRANSLITERATION_MIN_COUNT = 30


def _famous_name(word: str) -> bool:
    if len(word) != 3 or word[:2] in COMPOUND_SURNAMES:
        return False
    head_tag, head_frequency = jieba_word_tag(word[:2])
    if head_tag not in (None, *_NAME_TAGS) and head_frequency >= _COMMON_GIVEN_WORD:
        return False
    if all(c in transliteration_chars() for c in word[1:]):
        return False
    ratios, unseen = given_name_model()
    return sum(ratios.get(c, unseen) for c in word[1:]) / 2 >= _FAMOUS_NAME_MIN_SCORE


@functools.cache
def transliteration_chars() -> frozenset[str]:
    """Characters used in many of jieba's transliterated names (尔, 斯, 拉, 克, 纳...)."""
    initialize()
    counts: dict[str, int] = {}
    for word, tag in jieba.posseg.dt.word_tag_tab.items():
        if tag == "nrt":
            for char in set(word):
                counts[char] = counts.get(char, 0) + 1
    return frozenset(c for c, n in counts.items() if n >= _TRANSLITERATION_MIN_COUNT)


def _not_a_person_after(text: str, end: int) -> bool:
    return _NOT_PERSON_AFTER.match(text, end, timeout=REGEX_TIMEOUT.secs) is not None


_HAN_ONLY = regex.compile(r"\p{Han}{2,4}")


def initialize() -> None:
    """Load jieba's dictionary now (about a second) instead of on the first message."""
    jieba.initialize()


class CnPersonRecognizer(ProjectLocalRecognizer):
    ENTITY = "PERSON"
    COUNTRY = "cn"
    # English too: a message with a Chinese name and little else Chinese is read as English
    # ("陳明宏 here, wrong size again"). Without a Han character this costs one regex search.
    LANGUAGES = ("zh", "en")
    CONTEXT_WORDS = ("姓名", "名字", "收件人", "收货人", "联系人", "先生", "女士", "我叫")

    @override
    def load(self) -> None:
        initialize()
        given_name_chars()
        given_name_model()
        transliteration_chars()

    @override
    def find(self, text: str, nlp_artifacts: NlpArtifacts | None) -> list[RecognizerResult]:
        results: list[RecognizerResult] = []
        for pattern, score, why in (
            (_KEYED, 0.85, "surname after key word"),
            (_TITLED, 0.75, "surname before honorific"),
            (_OTHER_SCRIPT_KEYED, 0.85, "name in another script after key word"),
            (_OTHER_SCRIPT_TITLED, 0.75, "name in another script before honorific"),
        ):
            for match in pattern.finditer(text, timeout=REGEX_TIMEOUT.secs):
                start, end = match.span("value")
                results.append(
                    make_result(self.ENTITY, start, end, score, type(self).__name__, why)
                )
        deep = getattr(nlp_artifacts, "deep", True)  # False past deep_nlp_max_chars
        tagged = self._from_jieba(text) if deep else []
        ends = {r.start: r.end for r in tagged}
        for result in results:
            # jieba knows where a given name stops better than a fixed length does.
            if result.start in ends and ends[result.start] < result.end:
                result.end = ends[result.start]
        return results + tagged

    def _from_jieba(self, text: str) -> list[RecognizerResult]:
        if not regex.search(
            rf"{_SURNAME}\p{{Han}}|[小老]{_SURNAME}", text, timeout=REGEX_TIMEOUT.secs
        ):
            return []
        tokens = segment(text)
        given = given_name_chars()
        results = _dotted_names(text, tokens, type(self).__name__)
        boundaries = {token[0] for token in tokens} | {len(text)}
        words_at = {token[0]: token[2] for token in tokens} | {len(text): ""}
        for index, (start, end, word, flag) in enumerate(tokens):
            found = self._tagged_name(text, start, end, word, flag)
            if found is None:
                found = _xiao_lao(tokens, index)
            if found is None:
                found = self._surname_then_given(text, tokens, index, given)
            if found is None:
                found = _surname_and_likely_given(text, tokens, index, boundaries)
            if found is None:
                found = _cued_name(text, tokens, index, words_at)
            if found is None:
                found = _cued_transliteration(tokens, index)
            if found is not None:
                results.append(
                    make_result(
                        self.ENTITY, found[0], found[1], found[2], type(self).__name__, found[3]
                    )
                )
        for start, end in _coordinated_names(text, results, boundaries, words_at):
            results.append(
                make_result(self.ENTITY, start, end, 0.6, type(self).__name__, "listed with a name")
            )
        return results

    @staticmethod
    def _tagged_name(
        text: str, start: int, end: int, word: str, flag: str
    ) -> tuple[int, int, float, str] | None:
        """A word jieba tags ``nr`` that starts with a surname and is not an everyday word."""
        if (
            flag not in _NAME_TAGS
            or not _HAN_ONLY.fullmatch(word, timeout=REGEX_TIMEOUT.secs)
            or word in _NOT_NAMES
        ):
            return None
        if (
            not _SURNAME_RX.match(word, timeout=REGEX_TIMEOUT.secs)
            or word[-1] in _PLACE_AFTER
            or _not_a_person_after(text, end)
        ):
            return None
        if len(word) >= 3 and word[-1] in _ORGANISATION_LAST:
            return None  # 银监会, 公安局: an organisation jieba took for a name
        if len(word) == 4 and word[:2] not in COMPOUND_SURNAMES:
            return None  # four characters are a compound surname and a given name (欧阳娜娜)
        _tag, frequency = jieba_word_tag(word)
        common = frequency >= (_COMMON_NR_WORD_2 if len(word) == 2 else _COMMON_NR_WORD_3)
        if common and not _famous_name(word):
            return None  # in the dictionary and frequent: 智慧, 宁静, 明星 (tagged nr)
        if frequency == 0 and word[0] in _FUNCTION_WORD_SURNAMES:
            return None  # jieba guessed a name: 和好友, 来参加, 都觉得
        return start, end, 0.6, "jieba nr with surname"

    @staticmethod
    def _surname_then_given(
        text: str, tokens: tuple[Token, ...], index: int, given: frozenset[str]
    ) -> tuple[int, int, float, str] | None:
        """A surname on its own token and a one- or two-character given name as the next token."""
        start, end, word, flag = tokens[index]
        if index + 1 >= len(tokens) or not (
            (len(word) == 1 and word in SINGLE_SURNAMES) or word in COMPOUND_SURNAMES
        ):
            return None
        if start > 0 and text[start - 1] in _COUNTING_BEFORE:
            return None  # 一张, 几位: a measure word, not a surname
        g_start, g_end, g_word, g_flag = tokens[index + 1]
        if g_start != end or len(g_word) > 2 or not all(c in given for c in g_word):
            return None
        if flag not in _NAME_TAGS and (len(g_word) == 1 or word in _FUNCTION_WORD_SURNAMES):
            return None  # 2-character names only where jieba saw a surname
        if g_flag in _NOT_GIVEN_TAGS or _not_a_person_after(text, g_end):
            return None
        return start, g_end, 0.6, "surname and given-name characters"


Token = tuple[int, int, str, str]  # start, end, word, jieba part-of-speech tag


def _surname_and_likely_given(
    text: str, tokens: tuple[Token, ...], index: int, boundaries: set[int]
) -> tuple[int, int, float, str] | None:
    """A surname starting a word and two characters the given-name model finds likely.

    jieba cuts an unknown name anywhere (仲 + 跻伟, 曾 + 梵志, 华晨 + 宇): the three
    characters from a surname to a word boundary are a name when both given-name characters
    are much more frequent in names than in text, and the three are no dictionary word.
    """
    start, _end, word, _flag = tokens[index]
    end = start + 3
    if word[0] not in SINGLE_SURNAMES or word[0] in _FUNCTION_WORD_SURNAMES:
        return None
    if end not in boundaries or (start > 0 and text[start - 1] in _COUNTING_BEFORE):
        return None
    candidate = text[start:end]
    if not _HAN_ONLY.fullmatch(candidate, timeout=REGEX_TIMEOUT.secs) or any(
        c in _GIVEN_STOP for c in candidate[1:]
    ):
        return None
    tag, _frequency = jieba_word_tag(candidate)
    if (tag is not None and tag not in _NAME_TAGS) or _not_a_person_after(text, end):
        return None
    ratios, unseen = given_name_model()
    score = sum(ratios.get(c, unseen) for c in candidate[1:]) / 2
    if score < _GIVEN_MODEL_MIN_SCORE:
        return None
    return start, end, 0.6, "surname and likely given-name characters"


# Words after a name that say a person is meant: speech and report verbs, titles (先生,
# 女士 and the honorifics of _TITLED are left to it: the chat set labels the surname alone).
_CUE_AFTER = frozenset((
    "说", "说道", "指出", "介绍", "表示", "认为", "告诉", "透露", "坦言", "强调", "解释", "回忆", "笑称", "问道", "回答",
    "称", "说过", "发起", "主演", "执导", "演唱", "饰演", "出演", "宣布", "承认", "博士", "教授", "教练", "将军", "主任", "院长", "校长", "局长", "部长", "处长",
    "科长", "书记", "主席", "总裁", "董事长", "总经理", "律师", "记者", "导演", "委员", "议员", "大使",
))  # fmt: skip
# Words before a name that say a person follows: roles and titles written first (记者赵燕华,
# 前锋马龙).
_CUE_BEFORE = frozenset((
    "记者", "实习生", "通讯员", "秘书长", "前锋", "后卫", "中场", "门将", "球员", "主帅", "被告", "被告人", "原告", "嫌疑人",
    "解说", "作者", "教练", "导演", "演员", "歌手", "主持人", "总裁", "董事长", "总经理", "经理", "主任", "市长", "省长",
    "县长", "主席", "部长", "局长", "院长", "校长", "教授", "律师", "医生", "队长", "作家", "画家", "诗人", "同学", "朋友",
))  # fmt: skip
# Verbs and conjunctions before a person (告诉, 跟, 给, 和) come before other words too (和黄酱,
# 采访时曾): after them the given-name characters must be likelier in names than in text.
_VERB_BEFORE = frozenset((
    "告诉", "跟", "给", "找", "问", "叫", "嫁给", "娶", "致电", "联系", "采访", "专访", "和", "与",
))  # fmt: skip
_VERB_MODEL_MIN_SCORE = 1.0
# A name right after another Han word that is no cue (由吴江林发起, 对罗江林说) needs a
# speech verb or a title after it, and given-name characters no rarer in names than in text.
_INNER_MODEL_MIN_SCORE = 0.0
# A name opening the text or a line and then a colon is a speaker ("金石开: ...").
_COLONS = frozenset({":", "："})
# A cued name may be a rare dictionary word with another tag (王治国 ns 3, 林熙蕾 nt 3); its
# given name may not be a common word (母 + 狮子).
_CUED_RARE_WORD = 10
_COMMON_GIVEN_WORD = 100
# Where a cued name may start: the text's start, after punctuation or a space, or after a
# cue word.
_NAME_LEFT = regex.compile(r"[^\p{Han}\p{Latin}0-9]")


def _cued_name(
    text: str, tokens: tuple[Token, ...], index: int, words_at: dict[int, str]
) -> tuple[int, int, float, str] | None:
    """A surname starting a word, 1-2 given-name characters, and a cue before or after.

    ``words_at`` maps each token's start to its word (and the text's end to "").
    """
    start, _end, word, _flag = tokens[index]
    compound = word[:2] if word[:2] in COMPOUND_SURNAMES else ""
    if not compound and word[0] not in SINGLE_SURNAMES:
        return None
    if start > 0 and text[start - 1] in _COUNTING_BEFORE:
        return None
    surname = len(compound) or 1
    before = tokens[index - 1][2] if index > 0 else ""
    cued_before = before in _CUE_BEFORE or before in _VERB_BEFORE
    left_open = (
        start == 0
        or cued_before
        or _NAME_LEFT.match(text, start - 1, timeout=REGEX_TIMEOUT.secs) is not None
    )
    min_score = _CUED_MODEL_MIN_SCORE if left_open else _INNER_MODEL_MIN_SCORE
    ratios, unseen = given_name_model()
    for given in (2, 1):  # the longer name first: 江本胜 before 江本
        end = start + surname + given
        if end not in words_at:
            continue
        candidate = text[start:end]
        if not _HAN_ONLY.fullmatch(candidate, timeout=REGEX_TIMEOUT.secs) or any(
            c in _GIVEN_STOP for c in candidate[surname:]
        ):
            continue
        after = words_at[end]
        speaker = after in _COLONS and (start == 0 or text[start - 1] == "\n")
        if not (cued_before or after in _CUE_AFTER or speaker):
            continue
        if not left_open and after not in _CUE_AFTER:
            continue
        if before in _VERB_BEFORE and not (after in _CUE_AFTER or speaker):
            min_score = _VERB_MODEL_MIN_SCORE
        tag, frequency = jieba_word_tag(candidate)
        if tag is not None and tag not in _NAME_TAGS and frequency >= _CUED_RARE_WORD:
            continue  # a word: 母狮子, 高度
        if given == 2 and jieba_word_tag(candidate[surname:])[1] >= _COMMON_GIVEN_WORD:
            continue  # a surname character before a word: 母 + 狮子
        if _not_a_person_after(text, end):
            continue
        score = sum(ratios.get(c, unseen) for c in candidate[surname:]) / given
        if score >= min_score:
            return start, end, 0.6, "surname and given name with a cue"
    return None


def _cued_transliteration(
    tokens: tuple[Token, ...], index: int
) -> tuple[int, int, float, str] | None:
    """A transliterated name jieba tags ``nrt`` (谢菲尔德, 安切洛蒂) with a role or title
    before it or a speech verb or title after it (谢菲尔德将军, 主帅安切洛蒂表示)."""
    start, end, word, flag = tokens[index]
    if (
        flag != "nrt"
        or not 2 <= len(word) <= 5
        or not _HAN_RUN.fullmatch(word, timeout=REGEX_TIMEOUT.secs)
    ):
        return None
    before = tokens[index - 1][2] if index > 0 else ""
    after = tokens[index + 1][2] if index + 1 < len(tokens) else ""
    if before in _CUE_BEFORE or after in _CUE_AFTER:
        return start, end, 0.6, "transliterated name with a cue"
    return None


# Between two names of a list: 、 and commas (欧阳鹭, 秦艳凤, 韦玮), conjunctions (向京和瞿广慈).
_LIST_COMMAS = frozenset("、，,")
_CONJUNCTIONS = frozenset(("和", "与", "及", "跟", "同"))
_NOT_HAN = regex.compile(r"[^\p{Han}]")


def _likely_name(text: str, start: int, end: int) -> bool:
    """A surname and 1-2 given-name characters the model does not find rarer in names than
    in text, and no frequent dictionary word of another kind (the checks of a cued name)."""
    candidate = text[start:end]
    surname = 2 if candidate[:2] in COMPOUND_SURNAMES else 1
    given = len(candidate) - surname
    if not (1 <= given <= 2 and _HAN_ONLY.fullmatch(candidate, timeout=REGEX_TIMEOUT.secs)):
        return False
    if surname == 1 and candidate[0] not in SINGLE_SURNAMES:
        return False
    if any(c in _GIVEN_STOP for c in candidate[surname:]):
        return False
    if surname == 1 and start > 0 and text[start - 1] in _COUNTING_BEFORE:
        return False  # 一张: a measure word (a compound surname is none)
    tag, frequency = jieba_word_tag(candidate)
    if tag is not None and tag not in _NAME_TAGS and frequency >= _CUED_RARE_WORD:
        return False
    if frequency >= (_COMMON_NR_WORD_2 if len(candidate) == 2 else _COMMON_NR_WORD_3):
        return False  # a frequent word jieba tags as a name: 谢谢, 王府井
    if given == 2 and jieba_word_tag(candidate[surname:])[1] >= _COMMON_GIVEN_WORD:
        return False
    if _not_a_person_after(text, end):
        return False
    ratios, unseen = given_name_model()
    score = sum(ratios.get(c, unseen) for c in candidate[surname:]) / given
    return score >= _CUED_MODEL_MIN_SCORE


def _coordinated_names(
    text: str, found: list[RecognizerResult], boundaries: set[int], words_at: dict[int, str]
) -> list[tuple[int, int]]:
    """A surname and a given name listed next to a name found (向京和瞿广慈, 欧阳鹭, 秦艳凤).

    Beside a name, across 、, a comma or a conjunction, 2-4 characters from a word boundary
    that pass the checks of a cued name. After a comma or 、 the item must also end at the
    next separator or at the end of the Han run, as list items do.
    """
    queue = [
        (r.start, r.end)
        for r in found
        if r.entity_type == "PERSON"
        and _HAN_ONLY.fullmatch(text[r.start : r.end], timeout=REGEX_TIMEOUT.secs)
    ]
    seen = set(queue)
    added: list[tuple[int, int]] = []
    while queue:
        start, end = queue.pop()
        candidates: list[tuple[int, int]] = []
        # The item after the name.
        separator = words_at.get(end, "")
        if separator in _LIST_COMMAS or separator in _CONJUNCTIONS:
            after = end + len(separator)
            for length in (3, 2, 4):
                item_end = after + length
                if item_end not in words_at:
                    continue
                if separator in _LIST_COMMAS and not (
                    item_end == len(text)
                    or text[item_end] in _LIST_COMMAS
                    or _NOT_HAN.match(text, item_end, timeout=REGEX_TIMEOUT.secs)
                ):
                    continue
                if _likely_name(text, after, item_end):
                    candidates.append((after, item_end))
                    break
        # The item before the name.
        for separator in (*_CONJUNCTIONS, *_LIST_COMMAS):
            before = start - len(separator)
            if before <= 0 or text[before:start] != separator or before not in boundaries:
                continue
            for length in (3, 2, 4):
                item_start = before - length
                if item_start < 0 or item_start not in boundaries:
                    continue
                if separator in _LIST_COMMAS and not (
                    item_start == 0
                    or text[item_start - 1] in _LIST_COMMAS
                    or _NOT_HAN.match(text, item_start - 1, timeout=REGEX_TIMEOUT.secs)
                ):
                    continue
                if _likely_name(text, item_start, before):
                    candidates.append((item_start, before))
                    break
            break
        for span in candidates:
            if span not in seen:
                seen.add(span)
                queue.append(span)
                added.append(span)
    return added


def _dotted_names(text: str, tokens: tuple[Token, ...], recognizer: str) -> list[RecognizerResult]:
    """詹姆斯·卡梅隆: the Han words on both sides of a middle dot, as jieba cuts them."""
    results = []
    index = 0
    while index < len(tokens) - 2:
        first = index
        while (
            index + 2 < len(tokens)
            and tokens[index + 1][2] in _NAME_DOTS
            and _HAN_WORD.fullmatch(tokens[index][2], timeout=REGEX_TIMEOUT.secs)
            and _HAN_WORD.fullmatch(tokens[index + 2][2], timeout=REGEX_TIMEOUT.secs)
        ):
            index += 2
        if index > first:
            start, end = tokens[first][0], tokens[index][1]
            results.append(
                make_result("PERSON", start, end, 0.6, recognizer, "name parts joined by a dot")
            )
        index += 1
    return results


def _xiao_lao(tokens: tuple[Token, ...], index: int) -> tuple[int, int, float, str] | None:
    """小李 / 老王: one word, or 小 then a surname jieba tags as a name."""
    start, end, word, _flag = tokens[index]
    if len(word) == 2 and word[0] in "小老" and word[1] in _COMMON_SURNAMES:
        if word not in _NOT_XIAO_LAO:
            return start, end, 0.6, "小/老 and a surname"
        return None
    if word in ("小", "老") and index + 1 < len(tokens):
        n_start, n_end, n_word, n_flag = tokens[index + 1]
        if n_start == end and n_word in _COMMON_SURNAMES and n_flag in _NAME_TAGS:
            return start, n_end, 0.6, "小/老 and a surname"
    return None


_DIGITS = regex.compile(r"[0-9０-９.．]+")
_LATIN = regex.compile(r"[A-Za-zＡ-Ｚａ-ｚ0-9]+")


@functools.lru_cache(maxsize=16)
def segment(text: str) -> tuple[Token, ...]:
    """jieba's words with their offsets and part-of-speech tags; shared by the recognizers.

    jieba's plain cut (its 4-state HMM joins characters into words the dictionary lacks) and
    each word's tag from jieba's dictionary. jieba.posseg tags the runs of single characters
    and unknown words with a part-of-speech HMM (names ``nr``) that costs milliseconds a
    run: over every run it was half of all detection time on Chinese text. Only a run with a
    surname in it that is not mostly a function word (和, 都) goes through it now, so the tags
    where a name may be are the same as before.
    """
    initialize()
    tags = jieba.posseg.dt.word_tag_tab
    words: list[tuple[int, int, str]] = []
    position = 0
    for word in jieba.dt.cut(text, HMM=True):
        start = text.find(word, position)
        if start >= 0:
            position = start + len(word)
            words.append((start, position, word))
    tokens: list[Token] = []
    index = 0
    while index < len(words):
        start, end, word = words[index]
        tag = tags.get(word) if len(word) > 1 else None
        if tag is not None or not _HAN_RUN.fullmatch(word, timeout=REGEX_TIMEOUT.secs):
            tokens.append((start, end, word, tag or tags.get(word) or _other_tag(word)))
            index += 1
            continue
        # A run of single characters and words the dictionary lacks: what jieba.posseg tags
        # with its HMM. Only a run where a name may start goes through it.
        last = index + 1
        while (
            last < len(words)
            and _HAN_RUN.fullmatch(words[last][2], timeout=REGEX_TIMEOUT.secs)
            and (len(words[last][2]) == 1 or words[last][2] not in tags)
        ):
            last += 1
        run_end = words[last - 1][1]
        if run_end - start >= 2 and _NAME_START.search(
            text, start, run_end - 1, timeout=REGEX_TIMEOUT.secs
        ):
            offset = start
            for pair in jieba.posseg.lcut(text[start:run_end], HMM=True):
                tokens.append((offset, offset + len(pair.word), pair.word, pair.flag))
                offset += len(pair.word)
        else:
            for w_start, w_end, w_word in words[index:last]:
                tokens.append((w_start, w_end, w_word, tags.get(w_word) or _other_tag(w_word)))
        index = last
    return tuple(tokens)


def _other_tag(word: str) -> str:
    if _DIGITS.fullmatch(word, timeout=REGEX_TIMEOUT.secs):
        return "m"
    if _LATIN.fullmatch(word, timeout=REGEX_TIMEOUT.secs):
        return "eng"
    return "x"


_DIGITS = regex.compile(r"[0-9０-９.．]+")
_LATIN = regex.compile(r"[A-Za-zＡ-Ｚａ-ｚ0-9]+")
_HAN_RUN = regex.compile(r"\p{Han}+")
# A surname that is not more often a function word (和, 都, 来...).
_NAME_START = regex.compile(
    "|".join(COMPOUND_SURNAMES)
    + "|["
    + "".join(c for c in SINGLE_SURNAMES if c not in _FUNCTION_WORD_SURNAMES)
    + "]"
)


def jieba_word_tag(word: str) -> tuple[str | None, int]:
    """jieba's dictionary part-of-speech tag and frequency of a word (None, 0 if unknown)."""
    initialize()
    tag = jieba.posseg.dt.word_tag_tab.get(word)
    return tag, int(jieba.dt.FREQ.get(word, 0) or 0)
