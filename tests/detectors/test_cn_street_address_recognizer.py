# Chinese punctuation and full-width characters are the data here, on purpose. Regex patterns and one-row-per-case tables read better unwrapped.
# ruff: noqa: E501, RUF001
"""Table-driven checks of cn_street_address_recognizer (STREET_ADDRESS) through the real detector."""

from __future__ import annotations

import pytest

from detectors import Detector
from tests.detectors.assertions import SENTENCES_ZH, assert_entity_values, context_sentences

ENTITY = "STREET_ADDRESS"

CASES = [
    pytest.param(
        "我的地址是湖北省银川县高港关岭街R座 860837，谢谢",
        ["湖北省银川县高港关岭街R座 860837"],
        id="province-to-postcode",
    ),
    pytest.param("寄到杭州市西湖区文三路90号", ["杭州市西湖区文三路90号"], id="city-road-number"),
    pytest.param(
        "收货地址北京市朝阳区建国路88号", ["北京市朝阳区建国路88号"], id="key-word-trimmed"
    ),
    pytest.param(
        "地址：上海市浦东新区张江路１２３号",
        ["上海市浦东新区张江路１２３号"],
        id="full-width-number",
    ),
    pytest.param("我在张江路上班", [], id="road-alone"),
    # CLUENER dev shapes: a sub-district (街道) between district and road, a village with a
    # house number, a flat's building, unit and room numbers without the street.
    pytest.param(
        "地址：广东省英德市英城街道浈阳西路顺丰速运仓库",
        ["广东省英德市英城街道浈阳西路"],
        id="sub-district-then-road",
    ),
    pytest.param("地址：武昌区长丰村1号，谢谢", ["武昌区长丰村1号"], id="village-house-number"),
    pytest.param("物业地址、9号楼1单元13楼166号朝西", ["9号楼1单元13楼166号"], id="flat-numbers"),
    pytest.param("订单3件2号发货，版本2.3.4号", [], id="numbers-not-a-flat"),
    pytest.param(
        "寄到海淀区翁洲大道与盐河路交叉路口",
        ["海淀区翁洲大道与盐河路交叉路口"],
        id="crossing-of-two-roads",
    ),
    # Taiwan: postal code first, traditional characters, section 段, 號之N, 樓 (chat dev frames).
    pytest.param(
        "寄到805 阿里山市福德街8段2號之4，谢谢",
        ["805 阿里山市福德街8段2號之4"],
        id="taiwan-section-and-sub-number",
    ),
    pytest.param(
        "麻烦改一下收货地址：844 板橋縣信義巷6號之2", ["844 板橋縣信義巷6號之2"], id="taiwan-county"
    ),
    pytest.param(
        "寄到346 金門市大坪巷54號8樓，谢谢", ["346 金門市大坪巷54號8樓"], id="taiwan-floor"
    ),
    # A place and a word ending in 道 is not a road (CLUENER dev: a dateline).
    pytest.param("本报记者北京报道", [], id="report-not-a-road"),
] + [
    pytest.param(sentence, [value], id=f"zh-context-{index}")
    for index, (sentence, value) in enumerate(context_sentences(SENTENCES_ZH, ENTITY))
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_when_message_is_scanned_then_chinese_addresses_are_exactly_the_expected_values(
    detector: Detector, text: str, expected: list[str]
) -> None:
    assert_entity_values(detector, text, ENTITY, expected)
