# Chinese punctuation and full-width characters are the data here, on purpose. Regex patterns and one-row-per-case tables read better unwrapped.
# ruff: noqa: E501, RUF001
"""STREET_ADDRESS (Chinese): delivery addresses (收货地址), province down to room.

Shape (GB/T 2260 divisions, then street and building): optional province, optional city
(市/州/盟), optional district or county (区/县/旗/镇), a road (路/街/大道/巷/弄/胡同), a house
number (号) and building/unit/room parts, optionally a 6-digit postcode; a sub-district
(街道) may come between district and road, a crossing of two roads (A路与B路交叉口) or a
village with a house number (长丰村1号) stands for the road. An address must have a road and
either a division before it or a house/building part after it; or it is a flat's building,
unit and room numbers alone, three parts or more (9号楼1单元13楼166号). It starts at a
province name or after a delimiter or a delivery word, so "我的地址是" is never part of it.
"""

from __future__ import annotations

from typing import ClassVar, override

import regex
from presidio_analyzer import RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from detectors.recognizers.base import PatternSpec, ProjectPatternRecognizer
from detectors.recognizers.cn.cn_places import PROVINCE_SUFFIXES, PROVINCES

_H = r"\p{Han}"
_NUM = r"(?:\d{1,5}|[一二三四五六七八九十百零〇]{1,4})"
_PROVINCE = (
    "(?:" + "|".join(sorted(PROVINCES, key=len, reverse=True)) + ")"
    "(?:" + "|".join(PROVINCE_SUFFIXES) + ")?"
)
# Simplified and traditional forms (Taiwan, Hong Kong, Macao): 區 縣 鄉 鎮 號 樓.
_NAME = r"(?:(?![省市区區县縣旗路街号號是在到的我])\p{Han})"
_CITY = rf"{_NAME}{{1,6}}?(?:市|自治州|州|盟|地区)"
_DISTRICT = rf"{_NAME}{{1,6}}?(?:区|區|县|縣|旗|镇|鎮|乡|鄉)"
# A sub-district (街道) after a district or city: 英城街道, 天平街道.
_SUBDISTRICT = rf"(?:{_NAME}{{1,6}}?街道)"
_ROAD_NAME = r"(?:(?![路街号號是在到的我])\p{Han})"
# Words that end in 道 without being a road (北京报道 is a report from Beijing).
_NOT_ROAD_DAO = r"(?<!报|知|味|频|渠|轨|通|隧|街|赛|车|跑|管|难|一|行|门|大)"
_ROAD = (
    rf"(?:{_ROAD_NAME}|\d){{1,10}}?(?:大道|大街|路|街|{_NOT_ROAD_DAO}道|巷|弄|胡同)"
    rf"(?:{_NUM}段)?"
)
_HOUSE = rf"(?:{_NUM}(?:之{_NUM})?[号號弄](?:之{_NUM})?)"
_BUILDING = (
    rf"(?:[\s-]?(?:[A-Za-z0-9]{{1,4}}(?:座|栋|棟|幢|号楼|號樓|单元|單元|室|层|層|楼|樓|户|戶)"
    rf"|{_NUM}(?:栋|棟|幢|号楼|號樓|单元|單元|室|层|層|楼|樓)"
    rf"|{_H}{{2,8}}?(?:小区|大厦|花园|公寓|新村|广场|中心|家园|苑)))"
)
_POSTCODE = r"(?:\s?\d{6}(?!\d))"
# A postal code written first (Taiwan: 3 or 5 digits, mainland: 6).
_POSTCODE_FIRST = r"(?:(?<!\d)\d{3,6}\s?)?"
_START = r"(?<=^|[\s,，、:：;；。!！?？()（）\[\]【】]|地址|地址是|地址为|寄到|送到|发到|寄往|送至|住在|位于|在)"

# A road, or a crossing of two (翁洲大道与盐河路交叉路口); a village with a house number
# (长丰村1号).
_STREET = (
    rf"(?:{_ROAD}(?:[与和]{_ROAD}(?:交叉路口|交叉口|交汇处|交界处|路口))?"
    rf"|{_ROAD_NAME}{{1,6}}?村(?={_HOUSE}))"
)
_WITH_PROVINCE = rf"{_PROVINCE}(?:{_CITY})?(?:{_DISTRICT}){{0,2}}{_SUBDISTRICT}?{_STREET}{_HOUSE}?{_BUILDING}{{0,4}}{_POSTCODE}?"
_WITH_CITY = rf"{_START}{_POSTCODE_FIRST}{_CITY}(?:{_DISTRICT}){{0,2}}{_SUBDISTRICT}?{_STREET}{_HOUSE}?{_BUILDING}{{0,4}}{_POSTCODE}?"
_WITH_DISTRICT = rf"{_START}{_POSTCODE_FIRST}{_DISTRICT}{_SUBDISTRICT}?{_STREET}{_HOUSE}?{_BUILDING}{{0,4}}{_POSTCODE}?"
_ROAD_AND_NUMBER = rf"{_START}{_POSTCODE_FIRST}{_STREET}{_HOUSE}{_BUILDING}{{0,4}}"
# A flat without its street: building, unit and room numbers (9号楼1单元13楼166号).
_FLAT_PART = (
    rf"(?:[A-Za-z0-9]{{1,4}}|{_NUM})(?:号楼|號樓|栋|棟|幢|座|单元|單元|室|层|層|楼|樓|号|號)"
)
_FLAT = rf"{_START}{_FLAT_PART}(?:[\s-]?{_FLAT_PART}){{2,4}}"


class CnStreetAddressRecognizer(ProjectPatternRecognizer):
    ENTITY = "STREET_ADDRESS"
    COUNTRY = "cn"
    LANGUAGES = ("zh",)
    PATTERNS_SPEC: ClassVar[tuple[PatternSpec, ...]] = (
        ("province_road", _WITH_PROVINCE, 0.75),
        ("city_road", _WITH_CITY, 0.7),
        ("district_road", _WITH_DISTRICT, 0.6),
        ("road_number", _ROAD_AND_NUMBER, 0.55),
        ("flat", _FLAT, 0.55),
    )
    CONTEXT_WORDS = ("地址", "收货地址", "送货地址", "寄到", "送到", "住址", "address", "ship to")
    FLAGS = regex.MULTILINE
    TRIM_PREFIXES: ClassVar[tuple[str, ...]] = (
        "收货地址", "收件地址", "送货地址", "地址是", "地址为", "地址", "寄到", "送到", "发到", "寄往", "送至", "住在", "位于",
    )  # fmt: skip

    @override
    def analyze(
        self,
        text: str,
        entities: list[str],
        nlp_artifacts: NlpArtifacts | None = None,
        regex_flags: int | None = None,
    ) -> list[RecognizerResult]:
        results: list[RecognizerResult] = super().analyze(
            text, entities, nlp_artifacts, regex_flags
        )
        for result in results:
            for prefix in self.TRIM_PREFIXES:
                if text.startswith(prefix, result.start) and result.end - result.start > len(
                    prefix
                ):
                    result.start += len(prefix)
                    break
        return results
