# Chinese full-width punctuation is the data here, on purpose. One-row-per-case tables read better unwrapped.
# ruff: noqa: E501, RUF001
"""Table-driven checks of generic_health_recognizer (HEALTH) through the real detector."""

from __future__ import annotations

import pytest

from detectors import Detector
from tests.detectors.assertions import SENTENCES_ZH, assert_entity_values, context_sentences

ENTITY = "HEALTH"

CASES = [
    pytest.param("I have diabetes", ["diabetes"], id="condition"),
    pytest.param("I take metformin daily", ["metformin"], id="medication"),
    pytest.param("I'm allergic to peanuts", ["allergic to peanuts"], id="allergy-en"),
    pytest.param("我有高血压", ["高血压"], id="condition-zh"),
    pytest.param("我对花生过敏", ["对花生过敏"], id="allergy-zh"),
    pytest.param("is the blender dishwasher safe", [], id="no-health"),
    # Issue 15 (item 4): the lexicon (health_terms.toml) and product talk.
    pytest.param("I'm pregnant, is this safe?", ["pregnant"], id="pregnant"),
    pytest.param("I'm 8 weeks pregnant", ["8 weeks pregnant"], id="weeks-pregnant"),
    pytest.param("i am allergic to penicillin", ["allergic to penicillin"], id="allergic-to"),
    pytest.param("my son has a peanut allergy", ["peanut allergy"], id="noun-allergy"),
    pytest.param("he takes insulin every day", ["insulin"], id="medication-insulin"),
    pytest.param("she has ADHD and asthma", ["ADHD", "asthma"], id="two-conditions"),
    pytest.param(
        "I take sertraline and metformin", ["sertraline", "metformin"], id="two-medications"
    ),
    pytest.param("my dad has cancer", ["cancer"], id="cued-term-with-cue"),
    pytest.param("I had surgery last week so I can't lift it", ["surgery"], id="cued-surgery"),
    pytest.param(
        "my son has asthma, does the asthma inhaler case fit?", ["asthma"], id="person-then-product"
    ),
    pytest.param("do you sell an asthma inhaler case", [], id="product-asthma-inhaler-case"),
    pytest.param("allergy-free pillow please", [], id="product-allergy-free"),
    pytest.param("anti-allergy mattress cover in stock?", [], id="product-anti-allergy"),
    pytest.param("is it safe for pregnant women", [], id="kind-of-customer"),
    pytest.param("the cancer zodiac necklace", [], id="cued-term-without-cue"),
    pytest.param("nice brush stroke on this pen", [], id="stroke-without-cue"),
    pytest.param("window blind size?", [], id="blind-without-cue"),
    pytest.param("我怀孕了，这个能用吗", ["怀孕了"], id="zh-pregnant"),
    pytest.param("我怀孕8周了", ["怀孕8周了"], id="zh-weeks-pregnant"),
    pytest.param("孕期可以用吗", ["孕期"], id="zh-pregnancy-period"),
    pytest.param("我有糖尿病", ["糖尿病"], id="zh-diabetes"),
    pytest.param("我是孕妇，可以用吗", ["孕妇"], id="zh-cued-with-cue"),
    pytest.param("孕妇可以用吗", [], id="zh-cued-without-cue"),
    pytest.param("防过敏枕头有吗", [], id="zh-product-anti-allergy"),
    pytest.param("糖尿病专用袜子", [], id="zh-product-for-condition"),
    pytest.param("出于集中风险管理需要", [], id="zh-term-across-words"),
    pytest.param("我得了中风，行动不便", ["中风"], id="zh-term-as-a-word"),
    # Names outside the lexicon, by their shape, with a personal or medication cue.
    pytest.param(
        "my mother was diagnosed with sarcoidosis in spring",
        ["sarcoidosis"],
        id="shape-osis-diagnosed",
    ),
    pytest.param(
        "he's been taking olmesartan since march", ["olmesartan"], id="shape-drug-stem-taking"
    ),
    pytest.param(
        "I'm on rivaroxaban, are these socks ok", ["rivaroxaban"], id="shape-drug-stem-on"
    ),
    pytest.param(
        "my wife has restless legs syndrome", ["restless legs syndrome"], id="shape-head-noun"
    ),
    pytest.param(
        "my son has a rare bleeding disorder", ["bleeding disorder"], id="shape-head-noun-article"
    ),
    pytest.param("gastroenteritis awareness poster in A3?", [], id="shape-without-cue"),
    pytest.param("my charger has a connector failure", [], id="failure-is-no-condition"),
    pytest.param("I have a diploma in design", [], id="diploma-is-no-condition"),
    pytest.param("我爸去年查出了肺结节，要戒烟", ["肺结节"], id="zh-shape-after-diagnosis"),
    pytest.param("孩子在吃小儿止咳糖浆，能喝这个吗", ["小儿止咳糖浆"], id="zh-shape-dosage-form"),
    pytest.param(
        "我有腰椎间盘突出症，椅子要硬一点", ["腰椎间盘突出症"], id="zh-shape-condition-ending"
    ),
    pytest.param("I'm Thomas's daughter, he ordered it", [], id="capitalised-name-is-no-condition"),
    pytest.param("我的手机有毛病", [], id="zh-fault-is-no-condition"),
    pytest.param(
        "I have vestibular migraine, is this lamp too bright",
        ["vestibular migraine"],
        id="adjective-before-condition",
    ),
    pytest.param("she was taking olmesartan", ["olmesartan"], id="verb-is-no-adjective"),
    pytest.param("他上周得了冠军勋章", [], id="zh-winning-is-no-diagnosis"),
    pytest.param("我妈患有帕金森综合征，手会抖", ["帕金森综合征"], id="zh-after-suffering-from"),
    pytest.param("我在吃维生素C片", [], id="zh-vitamin-is-no-drug"),
    pytest.param("我买的薯片到了", [], id="zh-crisps-are-no-drug"),
    # Issue 15 (item 4), shop-chat ways of saying a health matter, and product look-alikes.
    pytest.param("I have a nut allergy", ["nut allergy"], id="chat-nut-allergy"),
    pytest.param("i'm lactose intolerant", ["lactose intolerant"], id="chat-lactose"),
    pytest.param("he's on insulin", ["insulin"], id="chat-on-insulin"),
    pytest.param("I'm on the pill", ["on the pill"], id="chat-on-the-pill"),
    pytest.param("can I take it with my meds?", ["meds"], id="chat-my-meds"),
    pytest.param("my doctor prescribed Lexapro", ["Lexapro"], id="chat-prescribed-brand"),
    pytest.param("after my surgery I need a softer one", ["surgery"], id="chat-after-surgery"),
    pytest.param("she's doing chemo", ["chemo"], id="chat-chemo"),
    pytest.param("I'm expecting, is it safe?", ["expecting"], id="chat-im-expecting"),
    pytest.param("we're expecting a baby girl", ["expecting a baby"], id="chat-expecting-a-baby"),
    pytest.param("I'm due in March", ["due in March"], id="chat-due-in"),
    pytest.param("I had a c-section", ["c-section"], id="chat-c-section"),
    pytest.param("I'm in my third trimester", ["third trimester"], id="chat-trimester"),
    pytest.param("bad morning sickness", ["morning sickness"], id="chat-morning-sickness"),
    pytest.param("my mum was hospitalised", ["hospitalised"], id="chat-hospitalised"),
    pytest.param("I'm expecting a refund", [], id="expecting-a-refund"),
    pytest.param("the parcel is due in March", [], id="parcel-due-in"),
    pytest.param("nut-free cookies", [], id="nut-free-product"),
    pytest.param("allergy-friendly pillow", [], id="allergy-friendly-product"),
    pytest.param("a pregnancy pillow for my wife", [], id="pregnancy-pillow-product"),
    pytest.param("Do you sell pregnancy pillows?", [], id="pregnancy-pillows-plural-product"),
    pytest.param("Do you have pregnancy tests in stock?", [], id="pregnancy-tests-plural-product"),
    pytest.param("Do you have pregnancy support belts in XL?", [], id="pregnancy-belts-product"),
    pytest.param("The insulin cooler bags are sold out.", [], id="insulin-cooler-bags-product"),
    pytest.param("I'm pregnant, do you sell pillows?", ["pregnant"], id="pregnant-then-product"),
    pytest.param("do you sell pill organisers?", [], id="pill-organiser-product"),
    pytest.param("I'm on the phone with the courier", [], id="on-the-phone"),
    pytest.param("我怀孕了", ["怀孕了"], id="zh-pregnant"),
    pytest.param("孕期能用吗", ["孕期"], id="zh-pregnancy-period"),
    pytest.param("我在坐月子", ["坐月子"], id="zh-confinement"),
    pytest.param("我哺乳期能用吗", ["哺乳期"], id="zh-breastfeeding"),
    pytest.param("我爸在吃降压药", ["降压药"], id="zh-bp-drug"),
    pytest.param("我妈有高血压", ["高血压"], id="zh-hypertension"),
    pytest.param("上周做了手术", ["手术"], id="zh-had-surgery"),
    pytest.param("她在化疗", ["化疗"], id="zh-chemo"),
    pytest.param("我对青霉素过敏", ["对青霉素过敏"], id="zh-penicillin"),
    pytest.param("我乳糖不耐受", ["乳糖不耐受"], id="zh-lactose"),
    pytest.param("我怀了二胎", ["怀了二胎"], id="zh-second-child"),
    pytest.param("预产期是三月", ["预产期"], id="zh-due-date"),
    pytest.param("我孕吐很厉害", ["孕吐"], id="zh-morning-sickness"),
    pytest.param("我是剖腹产", ["剖腹产"], id="zh-c-section"),
    pytest.param("我血压高", ["血压高"], id="zh-bp-high"),
    pytest.param("我妈住院了", ["住院"], id="zh-in-hospital"),
    pytest.param("孕妇装有大码吗", [], id="zh-maternity-wear"),
    pytest.param("降压药的包装坏了", [], id="zh-drug-packaging"),
    pytest.param("医院附近能自提吗", [], id="zh-hospital-address"),
    pytest.param("my son is on the spectrum", ["on the spectrum"], id="chat-spectrum"),
    pytest.param("we're trying to conceive", ["trying to conceive"], id="chat-ttc"),
    pytest.param("I'm 30 weeks, will it fit?", ["30 weeks"], id="chat-weeks-along"),
    pytest.param("my daughter is 6 weeks", [], id="baby-weeks-is-no-pregnancy"),
    pytest.param("I'm 2 weeks late with the return", [], id="weeks-late"),
    pytest.param("I'm still postpartum", ["postpartum"], id="chat-postpartum"),
    pytest.param("我血糖偏高", ["血糖偏高"], id="zh-sugar-high"),
    pytest.param("我爸心脏不好", ["心脏不好"], id="zh-heart-not-good"),
    pytest.param("我刚生完孩子", ["生完孩子"], id="zh-just-gave-birth"),
    pytest.param("我一直在吃中药", ["中药"], id="zh-on-herbal-medicine"),
    pytest.param("我是孕妈", ["孕妈"], id="zh-expecting-mum"),
    pytest.param("孕妈必备好物", [], id="zh-expecting-mum-product"),
    pytest.param("这个中药多少钱", [], id="zh-herbal-price"),
] + [
    pytest.param(sentence, [value], id=f"zh-context-{index}")
    for index, (sentence, value) in enumerate(context_sentences(SENTENCES_ZH, ENTITY))
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_when_message_is_scanned_then_health_terms_are_exactly_the_expected_values(
    detector: Detector, text: str, expected: list[str]
) -> None:
    assert_entity_values(detector, text, ENTITY, expected)
