# Chinese punctuation is the data here, on purpose.
# ruff: noqa: RUF001
"""Findings that are not about a person: the shop's own contacts, brands, places of goods.

Applied by the engine after recognition (detectors/README.md, step 6), configured in
``[not_personal]`` of config/detection.toml:

- ``shop_phones`` / ``shop_emails``: the shop's own contact details. A PHONE_NUMBER whose
  digits end with the national digits of one of them (so "+86 21 6888 8888", "021-68888888"
  and "68888888" all match "+86 21 6888 8888"), or an EMAIL_ADDRESS equal to one of them
  (case-insensitive), is dropped.
- ``brands``: brand and product names, added to ``DEFAULT_BRANDS``. A PERSON or LOCATION
  whose text is one of them, or starts with one as a whole word, is dropped.
- ``place_words_before`` / ``place_words_after``: words that make a place the goods' and not
  a person's ("the last scan was at the Hong Kong hub", "made in Vietnam", "发货地是宁波",
  "义乌仓库"). A LOCATION (never a STREET_ADDRESS) with one of them within
  ``place_window_chars`` before or after it is dropped; so is a one-word PERSON right before
  an English one ("shipped from Yiwu warehouse": NER takes some towns for people).
- A firm named after its partners ("Owens, Duran and Oneal is a design agency", "the Clark,
  Romero and Hall Orchestra", "from Hawkins, Richardson and Santana", such a list on a line
  of its own): the PERSON and LOCATION findings inside it are dropped
  (``en_person_recognizer.firm_spans``).
- The shop's own address, phone or e-mail as the customer asks about it: a STREET_ADDRESS,
  LOCATION, PHONE_NUMBER or EMAIL_ADDRESS after "your shop's/store's/company's
  address", "the return address", "你们(公司/店)的地址", "退货地址" (``SHOP_CUE``). Only the
  shop's possessive counts: "your address" may be an agent speaking of the customer's.
"""

from __future__ import annotations

import phonenumbers
import regex

from detectors.config import NotPersonalConfig
from detectors.recognizers.base import REGEX_TIMEOUT
from detectors.recognizers.en.en_person_recognizer import firm_spans
from detectors.resolve import Candidate

# Consumer-electronics and marketplace brands a shop's customers name; NER takes many of
# them for people or places. Extend per shop with [not_personal].brands.
DEFAULT_BRANDS = (
    "Anker", "Apple", "Asus", "Baseus", "Bose", "Canon", "Dell", "DJI", "Dyson", "Garmin",
    "Honor", "HP", "Huawei", "iPhone", "iPad", "Jabra", "JBL", "Kindle", "Lenovo", "LG",
    "Logitech", "Meizu", "Nikon", "Nintendo", "OnePlus", "Oppo", "Philips", "Realme", "Redmi",
    "Samsung", "Sennheiser", "Sony", "Ugreen", "Vivo", "Xiaomi", "Taobao", "Tmall", "JD",
    "Alipay", "WeChat Pay", "Amazon", "eBay", "AliExpress", "Temu", "Shein", "Shopee", "Lazada",
    "PayPal", "DHL", "FedEx", "UPS", "USPS", "Royal Mail", "SF Express", "Cainiao", "AirPods",
    "PlayStation", "Xbox", "Galaxy", "Pixel", "Surface",
)  # fmt: skip
_PLACE_ENTITIES = frozenset({"LOCATION"})
_SHOP_ENTITIES = frozenset({"STREET_ADDRESS", "LOCATION", "PHONE_NUMBER", "EMAIL_ADDRESS"})
SHOP_CUE = regex.compile(
    r"(?:(?<![A-Za-z])(?:your\s+(?:shop|store|company|warehouse|office)['\u2019]?s|the\s+(?:shop|store|company)['\u2019]?s|"
    r"(?:your|the)\s+(?:return|returns|pickup|pick-up)|(?:your|the)\s+(?:shop|store|office|warehouse))"
    r"\s+(?:(?:postal|mailing|street|contact|service|support|phone)\s+)?"
    r"(?:address|phone(?:\s+number)?|number|hotline|e-?mail)(?:\s+is|\s+still)?\s*[:\s]?\s*(?:the\s+)?"
    r"|(?:你们|贵司|贵店|店铺|商家|公司)(?:公司|店|店铺|仓库|售后)?的?(?:地址|电话|邮箱|客服电话|退货地址|联系方式)"
    r"|(?:退货|退换货|寄回|售后)地址)",
    regex.IGNORECASE,
)
# Between the cue and the value: no sentence end, and nothing of the customer's own.
_SHOP_GAP_BREAK = regex.compile(
    r"[.?!;\n。？！；]|(?<![A-Za-z])(?:my|i|me|mine)(?![A-Za-z])|我", regex.IGNORECASE
)
SHOP_CUE_WINDOW_CHARS = 80
_NAME_ENTITIES = frozenset({"PERSON", "LOCATION"})


def national_digits(value: str) -> str:
    """The national significant number of a phone written with +CC, else its digits."""
    digits = "".join(ch for ch in value if ch.isdigit())
    if value.strip().startswith("+"):
        try:
            number = phonenumbers.parse(value, None)
        except phonenumbers.NumberParseException:
            return digits
        return phonenumbers.national_significant_number(number)
    return digits.lstrip("0")


class NotPersonalFilter:
    def __init__(self, config: NotPersonalConfig) -> None:
        self._phones = [d for d in (national_digits(p) for p in config.shop_phones) if d]
        self._emails = {e.strip().lower() for e in config.shop_emails}
        brands = sorted({*DEFAULT_BRANDS, *config.brands}, key=len, reverse=True)
        self._brand = regex.compile(
            r"(?:" + "|".join(regex.escape(b) for b in brands) + r")(?![0-9A-Za-z])",
            regex.IGNORECASE,
        )
        self._before = _word_regex(config.place_words_before, anchored_end=True)
        self._after = _word_regex(config.place_words_after, anchored_end=False)
        self._after_ascii = _word_regex(
            tuple(w for w in config.place_words_after if w.isascii()), anchored_end=False
        )
        self._window = config.place_window_chars
        self._firms: tuple[str, list[tuple[int, int]]] = ("", [])

    def keep(self, text: str, candidate: Candidate) -> bool:
        if candidate.known_customer:
            return True
        value = text[candidate.start : candidate.end]
        entity = candidate.entity_type
        if entity == "PHONE_NUMBER" and self._phones:
            digits = "".join(ch for ch in value if ch.isdigit())
            if any(len(digits) >= 7 and own.endswith(digits.lstrip("0")) for own in self._phones):
                return False
            if any(digits.endswith(own) for own in self._phones):
                return False
        if entity == "EMAIL_ADDRESS" and value.lower() in self._emails:
            return False
        if entity in _NAME_ENTITIES and self._brand.match(value):
            return False
        if entity in _NAME_ENTITIES and self._in_firm(text, candidate):
            return False
        if entity in _PLACE_ENTITIES:
            before = text[max(0, candidate.start - self._window) : candidate.start]
            after = text[candidate.end : candidate.end + self._window]
            if self._before.search(before) or self._after.match(after):
                return False
        if entity == "PERSON" and " " not in value.strip():
            after = text[candidate.end : candidate.end + self._window]
            if self._after_ascii.match(after):
                return False
        if entity in _SHOP_ENTITIES:
            before = text[max(0, candidate.start - SHOP_CUE_WINDOW_CHARS) : candidate.start]
            cue_end = max(
                (m.end() for m in SHOP_CUE.finditer(before, timeout=REGEX_TIMEOUT.secs)), default=-1
            )
            if cue_end >= 0 and not _SHOP_GAP_BREAK.search(
                before[cue_end:], timeout=REGEX_TIMEOUT.secs
            ):
                return False
        return True

    def _in_firm(self, text: str, candidate: Candidate) -> bool:
        if self._firms[0] is not text:
            self._firms = (text, firm_spans(text))
        return any(s <= candidate.start and candidate.end <= e for s, e in self._firms[1])


def _word_regex(words: tuple[str, ...], *, anchored_end: bool) -> regex.Pattern[str]:
    if not words:
        return regex.compile(r"(?!)")
    alternatives = "|".join(
        (rf"(?<![A-Za-z]){regex.escape(w)}(?![A-Za-z])" if w.isascii() else regex.escape(w))
        for w in sorted(words, key=len, reverse=True)
    )
    if anchored_end:
        # The word ends right before the place, up to "the"/a space/"是"/":" between.
        return regex.compile(rf"(?:{alternatives})\s*(?:the\s+)?[:：是为在]?\s*$", regex.IGNORECASE)
    return regex.compile(rf"\s*(?:{alternatives})", regex.IGNORECASE)
