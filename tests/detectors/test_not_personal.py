# Chinese punctuation is the data here, on purpose.
# ruff: noqa: RUF001
"""Table-driven checks of not_personal.py through the real detector: the shop's own contacts,
brands, and places that are the goods' are not findings; a person's are.

Messages are from the chat set's dev split (tests/data/chat/chat.jsonl) or written here;
none from its test split.
"""

from __future__ import annotations

import pytest

from detectors import DetectionConfig, Detector
from detectors.config import NotPersonalConfig
from tests.detectors.assertions import values_of

CASES = [
    pytest.param("发货地是宁波吗？要几天", "LOCATION", [], id="zh-shipped-from-city"),
    pytest.param("物流显示在宁波转运中心，好几天没动了", "LOCATION", [], id="zh-transit-centre"),
    pytest.param("the box says made in Vietnam, is that right", "LOCATION", [], id="made-in"),
    pytest.param("it's been sitting at the Frankfurt hub for days", "LOCATION", [], id="hub"),
    pytest.param("how much is shipping to Berlin?", "LOCATION", [], id="shipping-to-question"),
    pytest.param("stuck in customs in Rotterdam since monday", "LOCATION", [], id="customs-in"),
    pytest.param(
        "is the Ugreen charger compatible with my phone", "LOCATION", [], id="brand-ugreen"
    ),
    pytest.param(
        "is the Baseus charger compatible with my phone", "LOCATION", [], id="brand-baseus"
    ),
    pytest.param("你们的Ugreen耳机有货吗", "PERSON", [], id="brand-in-chinese"),
    pytest.param("firmware 10.2.0.1 bricked my speaker", "IP_ADDRESS", [], id="firmware-version"),
    pytest.param("router shows build 10.2.0.1 is that the latest", "IP_ADDRESS", [], id="build"),
    pytest.param("my router's IP is 10.2.0.1", "IP_ADDRESS", ["10.2.0.1"], id="real-ip-kept"),
    pytest.param(
        "I live in Gdansk, please ship there", "LOCATION", ["Gdansk"], id="home-city-kept"
    ),
    pytest.param("我住在宁波，请寄到这里", "LOCATION", ["宁波"], id="zh-home-city-kept"),
    # Issue 15 (item 5): a town NER takes for a person before a goods word; the shop's own
    # address, phone or e-mail asked about.
    pytest.param("shipped from Yiwu warehouse on 2023-11-05", "PERSON", [], id="town-as-person"),
    pytest.param(
        "your shop's address is 88 Century Avenue, Shanghai",
        "STREET_ADDRESS",
        [],
        id="shop-address",
    ),
    pytest.param(
        "your shop's address is 88 Century Avenue, Shanghai", "LOCATION", [], id="shop-address-city"
    ),
    pytest.param(
        "退货地址：广东省深圳市南山区科技园路1号", "STREET_ADDRESS", [], id="zh-return-address"
    ),
    pytest.param(
        "your address is 12 High Street, London SW1A 1AA right?",
        "STREET_ADDRESS",
        ["12 High Street, London SW1A 1AA"],
        id="your-address-may-be-the-customers",
    ),
    pytest.param(
        "退货地址是哪里？我的地址是上海市浦东新区世纪大道88号",
        "STREET_ADDRESS",
        ["上海市浦东新区世纪大道88号"],
        id="zh-own-address-after-shop-cue",
    ),
    pytest.param("王伟发货了吗", "PERSON", ["王伟"], id="zh-name-before-goods-word-kept"),
    # A firm named after its partners is not three people (presidio dev shapes).
    pytest.param(
        "Lopez, Santos and Coleman is a design agency based in ESPOO.",
        "PERSON",
        [],
        id="firm-is-a",
    ),
    pytest.param(
        "The Clark, Romero and Hall Orchestra was founded in 1973.", "PERSON", [], id="firm-word"
    ),
    pytest.param(
        "Anna Kowalska is from Hawkins, Richardson and Santana",
        "PERSON",
        ["Anna Kowalska"],
        id="firm-after-from",
    ),
    pytest.param(
        "Anna Kowalska is from Hawkins, Richardson and Santana",
        "LOCATION",
        [],
        id="firm-after-from-no-place",
    ),
    pytest.param(
        "Maija Virtanen\nOwens, Duran and Oneal\n12 Koskikatu 25, Helsinki",
        "PERSON",
        ["Maija Virtanen"],
        id="firm-line-in-a-card",
    ),
    pytest.param(
        "Romi, Erik, Amy and Kristen are coming too",
        "PERSON",
        ["Romi", "Erik", "Amy", "Kristen"],
        id="given-names-are-people",
    ),
]


@pytest.mark.parametrize(("text", "entity", "expected"), CASES)
def test_when_a_value_belongs_to_goods_or_the_shop_then_it_is_not_a_finding(
    detector: Detector, text: str, entity: str, expected: list[str]
) -> None:
    found = values_of(detector.detect(text), text, entity)
    assert found == expected, f"{entity} in {text!r}: expected {expected}, found {found}"


@pytest.fixture(scope="module")
def shop_detector(detection_config: DetectionConfig) -> Detector:
    not_personal = detection_config.detection.not_personal.model_copy(
        update={"shop_phones": ("+86 21 6888 8888",), "shop_emails": ("help@shopmail.com",)}
    )
    assert isinstance(not_personal, NotPersonalConfig)
    settings = detection_config.detection.model_copy(update={"not_personal": not_personal})
    return Detector(detection_config.model_copy(update={"detection": settings}))


SHOP_CASES = [
    pytest.param(
        "call your office on 021-6888 8888?", "PHONE_NUMBER", [], id="shop-phone-national"
    ),
    pytest.param("手机：+86 21 68888888 是你们的吗", "PHONE_NUMBER", [], id="shop-phone-cc"),
    pytest.param("I wrote to HELP@shopmail.com twice", "EMAIL_ADDRESS", [], id="shop-email"),
    pytest.param(
        "Mobile: 138 1234 5678", "PHONE_NUMBER", ["138 1234 5678"], id="customer-phone-kept"
    ),
    pytest.param(
        "my email is anna@example.org", "EMAIL_ADDRESS", ["anna@example.org"], id="customer-email"
    ),
]


@pytest.mark.parametrize(("text", "entity", "expected"), SHOP_CASES)
def test_when_the_shop_configures_its_own_contacts_then_they_are_not_findings(
    shop_detector: Detector, text: str, entity: str, expected: list[str]
) -> None:
    found = values_of(shop_detector.detect(text), text, entity)
    assert found == expected, f"{entity} in {text!r}: expected {expected}, found {found}"
