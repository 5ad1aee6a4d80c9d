# Chinese punctuation and full-width characters are the data here, on purpose.
# ruff: noqa: RUF001
"""Table-driven checks of cn_person_recognizer (PERSON) through the real detector."""

from __future__ import annotations

import pytest

from detectors import Detector
from tests.detectors.assertions import SENTENCES_ZH, assert_entity_values, context_sentences

ENTITY = "PERSON"

CASES = [
    pytest.param("收件人梁鑫，电话13800138000", ["梁鑫"], id="key-word"),
    pytest.param("我叫朱冬梅", ["朱冬梅"], id="self-introduction"),
    pytest.param("请联系王先生", ["王"], id="surname-honorific"),
    pytest.param("欧阳娜娜女士你好", ["欧阳娜娜"], id="compound-surname"),
    pytest.param("我在张江路上班", [], id="road-not-a-name"),
    pytest.param("谢谢你的帮助", [], id="thanks-not-a-name"),
    # Uncued names (CLUENER dev): jieba splits surname and given name into two words.
    pytest.param("银监会监管二部主任楼文龙最近表示", ["楼文龙"], id="title-then-name"),
    pytest.param("宋晶晶：客户比较关注的几个因素是", ["宋晶晶"], id="name-at-start"),
    pytest.param("中国收藏家协会副秘书长张忠义用", ["张忠义"], id="surname-given-split"),
    # Everyday words jieba's dictionary tags nr (Weibo dev): frequent there, so not names.
    pytest.param("都充满着智慧的灵活头脑", [], id="frequent-nr-word"),
    pytest.param("让自己的心灵宁静下来", [], id="frequent-nr-word-2"),
    pytest.param("给我一张桌子", [], id="measure-word-not-surname"),
    # 小X / 老X (the cues), not the everyday words of that shape.
    pytest.param("让小陈帮我签收", ["小陈"], id="xiao-surname"),
    pytest.param("老王说明天到", ["老王"], id="lao-surname"),
    pytest.param("这个小程序不好用，老师说的老方法", [], id="xiao-lao-words"),
    # A function word jieba guessed to start a name (Weibo dev).
    pytest.param("周末和好友来参加活动", [], id="function-word-not-surname"),
    # A transliterated name: the words on both sides of a middle dot (CLUENER dev).
    pytest.param(
        "她在詹姆斯·卡梅隆执导的电影中", ["詹姆斯·卡梅隆"], id="transliterated-dotted-name"
    ),
    # A Chinese name in a message read as English (chat dev frame); traditional surnames.
    pytest.param("陳明宏 here. wrong size again :(", ["陳明宏"], id="name-in-english-message"),
    pytest.param("请联系吳女士，她在家", ["吳"], id="traditional-surname"),
    # 肖, 付, 闫: common surnames in today's forms (CLUENER dev).
    pytest.param("房产管理局副局长肖香宝忍不住", ["肖香宝"], id="today-form-surname"),
    # jieba cuts an unknown name after its surname or inside it; the given-name character
    # model finds it (CLUENER and Weibo dev), not a place or an organisation's name.
    pytest.param("信用卡中心总经理仲跻伟近日接受本报记者采访", ["仲跻伟"], id="given-name-model"),
    pytest.param("#影讯排排坐#奉俊昊执导的《雪国列车》", ["奉俊昊"], id="given-name-model-weibo"),
    pytest.param("欧佩克成员国的官员周三表示", [], id="given-name-model-organisation"),
    pytest.param("我下周去张家口出差", [], id="given-name-model-dictionary-place"),
    # A name in another script before a Chinese honorific or after a key word (chat dev).
    pytest.param("Bryant先生说他明天来取", ["Bryant"], id="latin-name-before-honorific"),
    pytest.param("请联系झा女士，她在家", ["झा"], id="devanagari-name-after-chinese"),
    pytest.param("Dương先生说他明天来取", ["Dương"], id="vietnamese-name-before-honorific"),
    pytest.param(
        "我叫أريج الخزرج，昨天下的单还没发货", ["أريج الخزرج"], id="arabic-name-after-key-word"
    ),
    pytest.param("我是Apple的老用户了，先生您好", [], id="brand-after-i-am-not-a-name"),
    # A cue around a name jieba neither tags nor splits well: a speech verb or a title after
    # it, a role before it, a speaker's colon (CLUENER dev); a name frequent in jieba's
    # dictionary is believed after a role. Not a surname character before a word (母 +
    # 狮子), nor after a verb a word whose characters names do not use (和黄酱).
    pytest.param("高源指出，从外部经济环境来看", ["高源"], id="cued-speech-verb-after"),
    pytest.param("的作者江本胜博士；日本建筑师", ["江本胜"], id="cued-title-after"),
    pytest.param("北京家具协会副秘书长于秀苏告诉记者", ["于秀苏"], id="cued-role-before"),
    pytest.param("金石开：我认为比较主要的原因是", ["金石开"], id="cued-speaker-colon"),
    pytest.param(
        "国内人气最高的DotA解说海涛也在本次游戏春晚", ["海涛"], id="cued-frequent-dictionary-name"
    ),
    pytest.param("小狮子问母狮子：“妈妈”，母狮子说：“幸福”", [], id="cued-not-surname-and-word"),
    pytest.param("把老抽和黄酱倒入一个大碗内", [], id="cued-verb-not-a-name"),
    # A name listed beside a name found, across 、, a comma or a conjunction (Weibo and
    # CLUENER dev shapes); not a frequent word jieba tags as a name (谢谢, 王府井).
    pytest.param("周末给向京和瞿广慈的学生上课", ["向京", "瞿广慈"], id="listed-after-conjunction"),
    pytest.param(
        "投给了榕湖304欧阳鹭，秦艳凤，韦玮，谢谢",
        ["欧阳鹭", "秦艳凤", "韦玮"],
        id="listed-between-commas",
    ),
    pytest.param("秦艳凤和王府井都去过", ["秦艳凤"], id="listed-frequent-word-not-a-name"),
    pytest.param("秦艳凤和高质量的产品", ["秦艳凤"], id="listed-common-word-not-a-name"),
    # A performing verb after a name jieba knows as a frequent word (Weibo dev shape).
    pytest.param("那部电影里，成龙饰演一名警察", ["成龙"], id="cued-performing-verb-after"),
    pytest.param("这首歌由乐队演唱，公司宣布明天发布", [], id="cued-performing-verb-no-name"),
    # A name after a word that is no cue (由, 据), with a speech verb or a report verb after
    # it; not a common word there.
    pytest.param("这个项目由罗江林发起，已经三年了", ["罗江林"], id="cued-after-inner-word"),
    pytest.param("据高层表示，明年还会涨价", [], id="cued-after-inner-word-common-word"),
    # A transliterated name jieba tags nrt, with a role before it or a speech verb after it;
    # not a club or a city jieba tags so, alone.
    pytest.param("球队主帅穆里尼奥说这场比赛很难", ["穆里尼奥"], id="cued-transliterated-name"),
    pytest.param("他在切尔西踢球", [], id="transliterated-club-without-cue"),
    # A famous person's name, frequent in jieba's dictionary, with a Chinese given name; not
    # the everyday words, clubs and cities of that shape jieba tags nr as well.
    pytest.param("我最近在读张爱玲的小说", ["张爱玲"], id="famous-name-uncued"),
    pytest.param("昨天电视上有何晟铭的新剧", ["何晟铭"], id="famous-name-uncued-2"),
    pytest.param("黄金周的时候景点人很多", [], id="famous-shape-everyday-word"),
    pytest.param("这款车的安全性很好，申请人要先填表", [], id="famous-shape-everyday-words"),
    pytest.param("阿森纳昨晚在主场赢了", [], id="famous-shape-transliterated-club"),
    pytest.param("莫斯科今天下雪了", [], id="famous-shape-transliterated-city"),
] + [
    pytest.param(sentence, [value], id=f"zh-context-{index}")
    for index, (sentence, value) in enumerate(context_sentences(SENTENCES_ZH, ENTITY))
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_when_message_is_scanned_then_chinese_names_are_exactly_the_expected_values(
    detector: Detector, text: str, expected: list[str]
) -> None:
    assert_entity_values(detector, text, ENTITY, expected)


def test_when_text_has_no_name_run_then_jieba_part_of_speech_hmm_is_not_run(
    detector: Detector, monkeypatch: pytest.MonkeyPatch
) -> None:
    # jieba.posseg's HMM was half of all detection time on Chinese text (issue 15): only a
    # run of unknown characters where a name may start goes through it. The real posseg
    # runs; its calls are counted.
    import jieba.posseg

    from detectors.recognizers.cn import cn_person_recognizer

    texts: list[str] = []
    real_lcut = jieba.posseg.lcut

    def counting_lcut(text: str, HMM: bool = True) -> object:  # noqa: N803
        texts.append(text)
        return real_lcut(text, HMM=HMM)

    monkeypatch.setattr(jieba.posseg, "lcut", counting_lcut)
    cn_person_recognizer.segment.cache_clear()
    # Dictionary words only, and an unknown run with no surname in it (Weibo dev shapes).
    assert_entity_values(detector, "心心心泰迪正感动着，前线一嗓子吼起来", ENTITY, [])
    assert texts == []
    # An unknown name: only the run around it is tagged, and the name is found.
    assert_entity_values(detector, "今天为了女神汤唯去看黄金时代", ENTITY, ["汤唯"])
    assert texts == ["汤唯去看"]
