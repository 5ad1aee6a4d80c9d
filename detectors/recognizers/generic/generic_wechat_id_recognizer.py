# Chinese punctuation and full-width characters are the data here, on purpose. Regex patterns and one-row-per-case tables read better unwrapped.
# ruff: noqa: E501, RUF001
"""WECHAT_ID: a WeChat account name introduced by a key word ("微信号: abc_123", "WeChat ID: x").

WeChat IDs are 6-20 characters, start with a letter and use letters, digits, ``-`` and ``_``
(``wxid_...`` for system-assigned ones). Without a key word such a string is any word, so the
key word is part of the pattern and only the ID itself is flagged. Customers also write
the key word around ("v信", "薇信", "加v") or just "加我" / "add me": after those weaker keys
the ID must mix letters with a digit, ``_`` or ``-`` (so "add me please" is no ID).
"""

from __future__ import annotations

from typing import ClassVar

import regex

from detectors.recognizers.base import KeyedValueRecognizer

# Words that follow "WeChat (is)" or "加我" and are no ID ("my wechat is broken", "加我 iphone 保修").
_NOT_ID_WORDS = (
    "broken|working|blocked|banned|hacked|frozen|locked|logged|linked|verified|registered|"
    "installed|updated|crashing|crashed|account|official|payment|message|messages|support|"
    "available|different|already|pending|notifications?|groups?|contacts?|friends?|mini-?program|"
    "iphone|ipad|airpods|android|huawei|xiaomi|samsung|taobao|alipay|online|offline|please"
)
_ID = (
    rf"(?P<value>(?!(?i:{_NOT_ID_WORDS})(?![-_a-zA-Z0-9]))"
    r"(?:wxid_[a-z0-9]{6,20}|[a-zA-Z][-_a-zA-Z0-9]{5,19}))(?![-_a-zA-Z0-9])"
)
# An ID that is not an ordinary word: letters and at least one digit, "_" or "-".
_MIXED_ID = r"(?P<value>[a-zA-Z](?=[-_a-zA-Z0-9]*[-_0-9])[-_a-zA-Z0-9]{5,19})(?![-_a-zA-Z0-9])"
_WEAK_KEY = (
    r"(?:[vV]信号?|薇信号?|威信号?|微号|加[vV][xX]?|加微(?!信)|加我(?:[vV][xX]?|微信|wx)?|"
    r"(?<![A-Za-z0-9])[vV](?=\s?(?:[:：]|是|号))|"
    r"(?<![A-Za-z])add me(?: on)?(?: we\s?chat| wx| vx| wc)?)"
)
_ZH_WEAK_KEY = (
    r"(?:[vV]信号?|薇信号?|威信号?|微号|加[vV][xX]?|加微(?!信)|加我(?:[vV][xX]?|微信|wx)?)"
)
# Latin keys stand alone: "wx" inside a link ("t.co/JvWxU2Ig") is no key.
_KEY = r"(?:微信号?|微信账号|微信ID|(?<![A-Za-z0-9])(?:vx号?|VX号?|wx号?|weixin(?:\s?id)?|we\s?chat(?:\s?(?:id|account|handle))?))"


class GenericWechatIdRecognizer(KeyedValueRecognizer):
    ENTITY = "WECHAT_ID"
    CONTEXT_WORDS = ("微信", "wechat", "weixin", "vx", "加我", "v信", "薇信")
    KEYED_PATTERNS: ClassVar[tuple[tuple[str, regex.Pattern[str], float], ...]] = (
        (
            "key_then_id",
            regex.compile(
                rf"(?i:{_KEY})(?i:\s+me(?:\s+(?:at|on))?)?\s*(?:号|是|为|:|：|-|is|=)?\s*(?:是|:|：)?\s*(?:@)?{_ID}"
            ),
            0.85,
        ),
        (
            "weak_key_then_mixed_id",
            regex.compile(rf"(?i:{_WEAK_KEY})\s*(?:号|是|为|:|：|-|=)?\s*(?:@)?{_MIXED_ID}"),
            0.75,
        ),
        (
            # In Chinese writing a Latin word right after "加我" / "加v" / "v信" is an ID
            # whatever its letters ("加我 zhangwei"); "add me" needs a mixed ID.
            "zh_weak_key_then_id",
            regex.compile(rf"{_ZH_WEAK_KEY}\s*(?:号|是|为|:|：|-|=)?\s*(?:@)?{_ID}"),
            0.75,
        ),
        (
            "wxid",
            regex.compile(r"(?<![A-Za-z0-9_])(?P<value>wxid_[a-z0-9]{6,20})(?![a-z0-9_])"),
            0.9,
        ),
    )
    EXPLANATION = "WeChat ID after key word"
