# Chinese full-width punctuation is the data here, on purpose. One-row-per-case tables read better unwrapped.
# ruff: noqa: E501, RUF001
"""Table-driven checks of generic_wechat_id_recognizer (WECHAT_ID) through the real detector."""

from __future__ import annotations

import pytest

from detectors import Detector
from tests.detectors.assertions import SENTENCES_ZH, assert_entity_values, context_sentences

ENTITY = "WECHAT_ID"

CASES = [
    pytest.param("WeChat: lily_2026", ["lily_2026"], id="english-key"),
    pytest.param("wxid_abc123def456 is my id", ["wxid_abc123def456"], id="wxid"),
    pytest.param("vx号 zhang_san88", ["zhang_san88"], id="vx-key"),
    pytest.param("my username lily_2026", [], id="no-key"),
    # Issue 15: the key word written around, or only "add me".
    pytest.param("加我v信: lily_2026", ["lily_2026"], id="v-xin"),
    pytest.param("有问题加v zhang-san88", ["zhang-san88"], id="jia-v"),
    pytest.param("薇信 abc_12345 备注订单", ["abc_12345"], id="homophone"),
    pytest.param("add me lily2026 pls", ["lily2026"], id="add-me"),
    pytest.param("add me please, thanks", [], id="add-me-ordinary-word"),
    pytest.param("加我好友吧", [], id="jia-wo-no-id"),
    # Issue 15 (item 4): a bare "v" key, "加微", words after "wechat" that are no ID.
    pytest.param("我的v是 abcd1234", ["abcd1234"], id="bare-v-key-zh"),
    pytest.param("V: coco_2021", ["coco_2021"], id="bare-v-key-colon"),
    pytest.param("加微 tom_88 发图", ["tom_88"], id="jia-wei"),
    pytest.param("wx：zhangsan88", ["zhangsan88"], id="wx-fullwidth-colon"),
    pytest.param("my wechat is broken since yesterday", [], id="wechat-is-an-ordinary-word"),
    pytest.param("the app version v: 2.3.1", [], id="version-after-v"),
    pytest.param("加我 zhangwei 发你图片", ["zhangwei"], id="zh-weak-key-letters-only"),
    pytest.param("加我 iphone 保修", [], id="zh-weak-key-product-word"),
    pytest.param("wechat me at lily_88", ["lily_88"], id="wechat-me-at"),
    pytest.param("Listen live here: https://t.co/JvWxU2IgAy", [], id="wx-inside-a-link"),
] + [
    pytest.param(sentence, [value], id=f"zh-context-{index}")
    for index, (sentence, value) in enumerate(context_sentences(SENTENCES_ZH, ENTITY))
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_when_message_is_scanned_then_wechat_ids_are_exactly_the_expected_values(
    detector: Detector, text: str, expected: list[str]
) -> None:
    assert_entity_values(detector, text, ENTITY, expected)
