# Chinese punctuation and full-width characters are the data here, on purpose.
# ruff: noqa: RUF001
"""Table-driven checks of cn_location_recognizer (LOCATION) through the real detector."""

from __future__ import annotations

import pytest

from detectors import Detector
from tests.detectors.assertions import SENTENCES_ZH, assert_entity_values, context_sentences

ENTITY = "LOCATION"

CASES = [
    pytest.param("我在杭州，什么时候发货", ["杭州"], id="city"),
    pytest.param("发往广东省吗", ["广东省"], id="province"),
    pytest.param("这个颜色很好看", [], id="no-place"),
    # Divisions from the gazetteer, adjacent names as one place (CLUENER/Weibo dev shapes).
    pytest.param("我住在广东省深圳市南山区", ["广东省深圳市南山区"], id="nested-divisions"),
    pytest.param("海南省文昌市文城镇的游客", ["海南省文昌市文城镇"], id="town-joins"),
    pytest.param("老家是雅安的", ["雅安"], id="prefecture-short-name"),
    pytest.param("我在浦东上班", ["浦东"], id="district-short-name"),
    pytest.param("北京大学的学生", [], id="organisation-not-place"),
    pytest.param("整体搬迁安置区", [], id="short-name-inside-a-word"),
    pytest.param("世界和平与发展", [], id="everyday-word-not-district"),
    pytest.param("美国陆军的新战车", [], id="country-without-cue"),
    pytest.param("我现在住在美国", ["美国"], id="country-with-cue"),
    pytest.param("发货地是宁波", [], id="place-of-goods"),
    # A district's short name that is also a word needs a context word or a name beside it.
    pytest.param("祝您健康长寿", [], id="district-short-name-as-word"),
    pytest.param("他是广东从化人", ["广东从化"], id="district-after-province"),
    # A named road, street, village or estate without a house number (Weibo and CLUENER
    # dev shapes); not a kind of place (石板路, 艺术村), a common word (马路, 农村), a road
    # of a street address (长清路7号) or an organisation's name (淮海路派出所).
    pytest.param("有谁知道什么情况？东西大道被包围了", ["东西大道"], id="named-avenue"),
    pytest.param("西苑小区”，在亚运村西边", ["西苑小区", "亚运村"], id="named-estate"),
    pytest.param("康豪酒店对面，横岗大康村查看步行引导", ["横岗大康村"], id="named-village"),
    pytest.param("石板路像是经历时间洗礼一般", [], id="kind-of-road-not-a-name"),
    pytest.param("国际艺术家驻村交流计划", [], id="kind-of-village-not-a-name"),
    pytest.param("走了很远的路，他在农村长大，回家路上好冷", [], id="road-words"),
    pytest.param("男子被带往辖区淮海路派出所接受处理", [], id="road-in-organisation-name"),
    # A town, township, district or county the gazetteer lacks (CLUENER dev): not a word
    # ending in one of those (坐镇), an office named after it (旅游局) or a contest's division.
    pytest.param("昌洒镇、东阁镇、迈号镇等地教师", ["昌洒镇", "东阁镇", "迈号镇"], id="named-town"),
    pytest.param("卡坦尼亚坐镇西西里更是信心十足", [], id="word-ending-in-town-suffix"),
    # A proper word before a named village that would make it too long is left out; a verb
    # and a suffix are a kind of place (占领区); the other items of a list with a place of
    # the same kind are places too (jieba cuts 会文镇 as 会 + 文镇).
    pytest.param("坐车到颖视横岗大康村下车", ["横岗大康村"], id="named-village-long-run"),
    pytest.param("游戏以二战德军占领区为背景", [], id="verb-and-suffix-kind-of-place"),
    # A named housing estate or building (CLUENER dev shapes); not a plaza, not the word alone.
    pytest.param("我住在万科城市花园", ["万科城市花园"], id="named-estate-garden"),
    pytest.param("楼下就是央视大楼", ["央视大楼"], id="named-building"),
    pytest.param("周末去时代广场逛逛，这家公寓太贵了", [], id="plaza-and-word-not-an-estate"),
    pytest.param(
        "我们在文昌市文城镇、会文镇、锦山镇等地都有网点",
        ["文昌市文城镇", "会文镇", "锦山镇"],
        id="listed-towns",
    ),
    pytest.param(
        "三星WCG2011杭州赛区个人项目最终名次", ["杭州"], id="contest-division-not-a-place"
    ),
    # A named industrial park or development zone, where people work and goods are delivered;
    # not a park's or a scenic area's part, nor a zone without a name.
    pytest.param("我在张江高科技园区上班", ["张江高科技园区"], id="named-technology-park"),
    pytest.param(
        "工厂搬到了义乌经济技术开发区", ["义乌经济技术开发区"], id="named-development-zone"
    ),
    pytest.param(
        "他在北京石化新材料科技产业基地工作",
        ["北京石化新材料科技产业基地"],
        id="named-industrial-base",
    ),
    pytest.param("公园分为公共园区和野生园区", [], id="park-part-not-a-zone"),
    pytest.param("本市的经济开发区发展很快", [], id="zone-without-a-name"),
] + [
    pytest.param(sentence, [value], id=f"zh-context-{index}")
    for index, (sentence, value) in enumerate(context_sentences(SENTENCES_ZH, ENTITY))
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_when_message_is_scanned_then_chinese_locations_are_exactly_the_expected_values(
    detector: Detector, text: str, expected: list[str]
) -> None:
    assert_entity_values(detector, text, ENTITY, expected)
