"""LOCATION (Chinese): places from the gazetteer (cn_places.py), adjacent names as one span.

Every administrative division of China by its full name (广东省, 海淀区, 永吉县), provinces and
prefectures also by their short name (广东, 凉山), districts and counties by their short name
only when jieba's dictionary does not know it as an everyday word (海淀, 浦东 yes; 和平, 红旗,
鼓楼 no), plus countries, regions and world cities. Names that touch are one place
(广东省深圳市南山区, 美国加利福尼亚), and a town after them joins it (文昌市文城镇). A name
that is the start of an organisation's (北京大学, 上海银行, 湖南卫视) is not a place. Named
roads, villages, estates and buildings come from jieba's words (东西大道, 万科城市花园), and
the other items of a 、-list with a place of the same kind are places too (文城镇、会文镇), and
so are named industrial parks and development zones (张江高科技园区, 义乌经济技术开发区).

City- or province-level places are not precise locations; full delivery addresses are
STREET_ADDRESS (cn_street_address_recognizer.py), which wins when the two overlap. Places of
goods (发货地是宁波, 义乌仓库) are dropped later by detectors/not_personal.py.
"""

from __future__ import annotations

from typing import override

import regex
from presidio_analyzer import RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from detectors.recognizers.base import REGEX_TIMEOUT, ProjectLocalRecognizer, make_result
from detectors.recognizers.cn.cn_person_recognizer import jieba_word_tag, segment
from detectors.recognizers.cn.cn_places import GAZETTEER, PlaceName

# A place name followed by one of these names an organisation, not a place.
_ORGANISATION_AFTER = regex.compile(
    r"大学|学院|学校|中学|小学|银行|公司|集团|政府|电视台|卫视|日报|晚报|商报|报社|队|医院|"
    r"证券|保险|航空|地铁|交警|公安|法院|检察院|市委|省委|大剧院|博物馆|图书馆|体育馆|电视|"
    r"人民|协会|政协|人大|国家|外交部|陆军|海军|空军|媒体|时间|局|厅|委员会|村委会|居委会|妇联|派出所"
)
# A town or sub-district written right after a division (文昌市文城镇, 徐汇区天平街道).
_TOWN_AFTER = regex.compile(r"(?:(?![的在是和与])\p{Han}){1,4}?(?:镇|乡|街道)")
# Short names of prefectures that are everyday words (jieba tags some as names: 白银 silver).
_NOT_SHORT_NAMES = frozenset({"阿里", "白银", "玉树", "安康", "中华", "来宾"})
# jieba tags of everyday words: a short name tagged so is taken for the word, not the place.
_WORD_TAGS = frozenset({"n", "v", "vn", "a", "ad", "an", "d", "i", "l", "m", "t", "nz", "f", "s"})
_NAME_TAGS = frozenset({"nr", "nrt", "nrfg"})
_RARE_WORD = 100  # jieba dictionary frequency under which a name-tagged word may be a district


_STRONG = 1

# A named road, street, village, housing estate or building without a house number (东西大道,
# 北园大街, 西苑小区, 横岗大康村, 万科城市花园, 央视大楼): one or two of jieba's words that may
# be a name, then the suffix. Not 广场: a plaza is a venue (时代广场), rarely an address.
_PLACE_SUFFIX = regex.compile(
    r"大道|大街|小区|新村|花园|公寓|大厦|大楼|家园|山庄|路|街|村|镇|乡|区|县"
)
# Tags of words that are no part of a place's name (verbs, adverbs, pronouns, numerals,
# measure words, times, idioms, locatives): 回家路, 这条街, 高速路上.
_NOT_NAME_PART_TAGS = frozenset(
    {"v", "vn", "vd", "d", "p", "c", "u", "uj", "ul", "uz", "uv", "ud", "ug", "r", "m", "mq"}
    | {"q", "f", "t", "tg", "y", "e", "o", "zg", "l", "i", "s", "ad", "an", "b"}
)
# Tags of a word that is a name (a place, a person, another proper noun, an abbreviation, a
# word jieba does not know).
_PROPER_TAGS = frozenset({"ns", "nz", "nr", "nrt", "nrfg", "nt", "j", "x"})
_NUMBER_AFTER = regex.compile(r"\s?(?:\d|[一二三四五六七八九十百]+[号號弄])")
# An office named after the place (安大略省旅游局, 地区法庭) or a contest's division (杭州赛区).
_NAMED_NOT_AFTER = regex.compile(r"\p{Han}{0,2}(?:局|厅|委|办)|法庭|法院")
_NOT_NAMED_PLACE_END = ("赛区",)
_COMMON_PLACE_WORD = 100  # 马路 660, 农村: a frequent dictionary word is the word
_NAMED_PLACE_SCORE = 0.6
_MAX_NAME_CHARS = 5


def _rank(entry: PlaceName) -> int:
    """1 for a Chinese division by its full name or a province's or prefecture's short name."""
    if entry.level == 0 or (entry.level == 3 and not entry.full):
        return 0
    return _STRONG


def accepted(name: str, entry: PlaceName) -> bool:
    """Whether a gazetteer name found alone is taken for a place."""
    if entry.full or entry.level in (0, 1):
        return True
    if name in _NOT_SHORT_NAMES:
        return False
    tag, frequency = jieba_word_tag(name)
    if tag in _WORD_TAGS:
        return False
    if entry.level == 2:
        return True
    return tag is None or tag == "ns" or (tag in _NAME_TAGS and frequency < _RARE_WORD)


class CnLocationRecognizer(ProjectLocalRecognizer):
    ENTITY = "LOCATION"
    COUNTRY = "cn"
    LANGUAGES = ("zh", "en")  # "I live in 杭州": a few Han characters in an English message
    CONTEXT_WORDS = ("在", "住在", "来自", "城市", "发往", "寄到", "老家")
    SCORE = 0.7
    # Alone, a country or a world city is rarely a person's (美国陆军, 中国人民银行) and a
    # district's short name is often a word (长寿, 古城, 吉利, 天山): a context word (住在, 来自,
    # 寄到) brings them over the threshold.
    WEAK_SCORE = 0.4

    @override
    def load(self) -> None:
        self._accepted = {n for n, e in GAZETTEER.entries.items() if accepted(n, e)}

    @override
    def find(self, text: str, nlp_artifacts: NlpArtifacts | None) -> list[RecognizerResult]:
        spans: list[list[int]] = []  # start, end, names in it, its weakest name's rank
        boundaries: set[int] | None = None
        for start, end, entry in GAZETTEER.find(text):
            if text[start:end] not in self._accepted:
                continue
            after_place = bool(spans) and spans[-1][1] == start
            if not entry.full and entry.level >= 2 and not after_place:
                # A short name must be a word of its own: not 迁安 in 搬迁安置, 下城 in 地下城.
                if boundaries is None:
                    boundaries = {b for token in segment(text) for b in token[:2]}
                if start not in boundaries or end not in boundaries:
                    continue
            if _ORGANISATION_AFTER.match(text, end, timeout=REGEX_TIMEOUT.secs):
                continue
            rank = _rank(entry)
            if after_place:
                spans[-1][1] = end
                spans[-1][2] += 1
                spans[-1][3] = min(spans[-1][3], rank)
            else:
                spans.append([start, end, 1, rank])
        results = _named_roads(text)
        for start, end, names, rank in spans:
            town = _TOWN_AFTER.match(text, end, timeout=REGEX_TIMEOUT.secs)
            if town is not None:
                end = town.end()
            # Two names together (广东深圳, 美国加州) or a town after one are a place whatever
            # their kind; alone, a country or a district's short name needs a context word.
            strong = names > 1 or town is not None or rank == _STRONG
            results.append(
                make_result(
                    self.ENTITY,
                    start,
                    end,
                    self.SCORE if strong else self.WEAK_SCORE,
                    type(self).__name__,
                    "gazetteer place" if strong else "country or district short name",
                )
            )
        results += _named_zones(text)
        return results + _listed_places(text, results)


def _named_roads(text: str) -> list[RecognizerResult]:
    """东西大道, 北园大街, 西苑小区, 横岗大康村: a name of 2-5 characters and a place suffix."""
    if _PLACE_SUFFIX.search(text, timeout=REGEX_TIMEOUT.secs) is None:
        return []
    tokens = segment(text)
    results = []
    for index, (_start, end, word, flag) in enumerate(tokens):
        suffix = _PLACE_SUFFIX.search(word, timeout=REGEX_TIMEOUT.secs)
        if suffix is None or suffix.end() != len(word):
            continue
        first = index
        name_length = len(word) - len(suffix.group())
        if name_length and flag in _NOT_NAME_PART_TAGS:
            continue  # 路上 is not a road, 高速路 a common word
        if name_length >= 2 and jieba_word_tag(word[:name_length])[0] in _NOT_NAME_PART_TAGS:
            continue  # a verb and the suffix jieba took for one name (占领 + 区): a kind of place
        if name_length == 1 and jieba_word_tag(word)[0] not in (None, "ns"):
            continue  # a word of the dictionary, not a place's: 坐镇, 城区, 小镇
        # A name needs a proper noun in it: 石板路, 艺术村 are kinds of places.
        proper = name_length >= 2 and flag in _PROPER_TAGS  # not 驻 + 村
        # The words before the suffix that may be its name: one, or two when the first is a
        # proper name (横岗 + 大康 + 村) or too short alone.
        while first > 0 and name_length < _MAX_NAME_CHARS:
            _s, _e, before, tag = tokens[first - 1]
            if tag in _NOT_NAME_PART_TAGS or not regex.fullmatch(
                r"\p{Han}+", before, timeout=REGEX_TIMEOUT.secs
            ):
                break
            if name_length >= 2 and tag not in _PROPER_TAGS:
                break
            if name_length + len(before) > _MAX_NAME_CHARS:
                break  # 颖视 + 横岗大康村: the words before a long name are not part of it
            first -= 1
            name_length += len(before)
            proper = proper or tag in _PROPER_TAGS
        candidate = text[tokens[first][0] : end]
        if not (
            proper
            and 2 <= name_length <= _MAX_NAME_CHARS
            and regex.fullmatch(r"\p{Han}+", candidate, timeout=REGEX_TIMEOUT.secs)
        ):
            continue
        if _NUMBER_AFTER.match(text, end, timeout=REGEX_TIMEOUT.secs):
            continue  # 长清路7号: a street address, the other recognizer's
        word_tag, frequency = jieba_word_tag(candidate)
        if word_tag != "ns" and frequency >= _COMMON_PLACE_WORD:
            continue
        if candidate.endswith(_NOT_NAMED_PLACE_END):
            continue
        if _ORGANISATION_AFTER.match(text, end, timeout=REGEX_TIMEOUT.secs):
            continue
        if _NAMED_NOT_AFTER.match(text, end, timeout=REGEX_TIMEOUT.secs):
            continue
        results.append(
            make_result(
                "LOCATION",
                tokens[first][0],
                end,
                _NAMED_PLACE_SCORE,
                CnLocationRecognizer.__name__,
                "named road, village or estate",
            )
        )
    return results


# An industrial park or a development zone, where people work and firms take deliveries
# (坝光精细化工产业园区, 苏州工业园区, 张江高科技园区): a name with a proper noun in it, then
# up to 10 characters of nouns, then the zone. Not 园区 or 景区 alone: a park's or a scenic
# area's part is a venue (公共园区, 荔枝湾景区).
_ZONE_SUFFIX = regex.compile(
    r"(?:工业|产业|高?科技|物流|软件|创业|经济)园区?|(?:经济技术|经济|技术)?开发区|工业区|高新区|"
    r"保税区|自贸区|产业基地|工业基地|物流基地"
)
_ZONE_NAME_TAGS = _PROPER_TAGS | {"n", "vn", "nrfg"}
_MAX_ZONE_NAME_CHARS = 10


def _named_zones(text: str) -> list[RecognizerResult]:
    """坝光精细化工产业园区, 北京石化新材料科技产业基地: a named park or zone."""
    zones = list(_ZONE_SUFFIX.finditer(text, timeout=REGEX_TIMEOUT.secs))
    if not zones:
        return []
    tokens = segment(text)
    index_at = {token[0]: index for index, token in enumerate(tokens)}
    ends = {token[1] for token in tokens}
    results = []
    for zone in zones:
        if zone.start() not in index_at or zone.end() not in ends:
            continue  # not whole words: 开发区域
        first = index_at[zone.start()]
        name_length = 0
        proper = False
        while first > 0:
            _s, _e, before, tag = tokens[first - 1]
            adjective = tag == "a" and len(before) == 1  # 新材料
            if not (tag in _ZONE_NAME_TAGS or adjective) or not regex.fullmatch(
                r"\p{Han}+", before, timeout=REGEX_TIMEOUT.secs
            ):
                break
            if name_length + len(before) > _MAX_ZONE_NAME_CHARS:
                break
            first -= 1
            name_length += len(before)
            proper = proper or tag in _PROPER_TAGS
        while proper and tokens[first][3] not in _PROPER_TAGS:
            first += 1  # the span starts at its first proper noun: not 位于 + 园区
        if not proper:
            continue
        results.append(
            make_result(
                "LOCATION",
                tokens[first][0],
                zone.end(),
                _NAMED_PLACE_SCORE,
                CnLocationRecognizer.__name__,
                "named industrial park or zone",
            )
        )
    return results


# The kind of place a list item ends with: 文城镇、会文镇、锦山镇 lists towns.
_LIST_SUFFIX = regex.compile(r"(?:街道|大道|大街|小区|新村|镇|乡|村|区|县|路|街)$")
# An item of such a list: 1-4 characters of name and the same suffix, then the next item,
# 等 ("and other"), 及/和 or the end of the Han run.
_LIST_ITEM_END = r"(?=[、等及和]|[^\p{Han}]|$)"
_MAX_LISTED_NAME_CHARS = 4


def _listed_places(text: str, found: list[RecognizerResult]) -> list[RecognizerResult]:
    """The other items of a list separated by 、 in which a place was found (会文镇 in
    文城镇、会文镇、锦山镇): items of the same kind (the same suffix) are places too."""
    if "、" not in text:
        return []
    results: list[RecognizerResult] = []
    seen = {(r.start, r.end) for r in found}
    for place in list(found):
        kind = _LIST_SUFFIX.search(text[place.start : place.end], timeout=REGEX_TIMEOUT.secs)
        if kind is None:
            continue
        suffix = regex.escape(kind.group())
        right = regex.compile(rf"\p{{Han}}{{1,{_MAX_LISTED_NAME_CHARS}}}?{suffix}{_LIST_ITEM_END}")
        spans: list[tuple[int, int]] = []
        position = place.end
        while position < len(text) and text[position] == "、":
            item = right.match(text, position + 1, timeout=REGEX_TIMEOUT.secs)
            if item is None:
                break
            spans.append(item.span())
            position = item.end()
        position = place.start
        while position > 0 and text[position - 1] == "、":
            start = position - 1
            while (
                start > 0
                and regex.match(r"\p{Han}", text[start - 1], timeout=REGEX_TIMEOUT.secs)
                and text[start - 1] != "、"
            ):
                start -= 1
            value = text[start : position - 1]
            if not (
                value.endswith(kind.group())
                and len(kind.group()) < len(value) <= len(kind.group()) + _MAX_LISTED_NAME_CHARS
            ):
                break
            spans.append((start, position - 1))
            position = start
        for start, end in spans:
            if (start, end) in seen:
                continue
            seen.add((start, end))
            results.append(
                make_result(
                    "LOCATION",
                    start,
                    end,
                    _NAMED_PLACE_SCORE,
                    CnLocationRecognizer.__name__,
                    "listed with a place of the same kind",
                )
            )
    return results
