# Chinese punctuation and full-width characters are the data here, on purpose. Regex patterns and one-row-per-case tables read better unwrapped.
# ruff: noqa: E501, RUF001
"""Generate the labelled detection development set (seeded; run by hand, output committed).

    .venv/bin/python tests/data/detection/generate.py

Writes ``dev.jsonl`` (messages with labelled spans: English, Chinese and mixed) and
``clean.jsonl`` (messages with no personal data but full of look-alikes: order and tracking
numbers, SKUs, prices, coupon codes, dates, model numbers, hashes, versions). Values come
from Faker (en_US, en_GB, zh_CN) and small generators; sentences from customer-service
templates. Each line: {"id", "text", "language", "spans": [{"entity_type", "start", "end",
"sensitive"}]}.
"""

from __future__ import annotations

import json
import pathlib
import random
import string
from collections.abc import Callable

from faker import Faker

SEED = 20261126
OUT = pathlib.Path(__file__).resolve().parent
SENSITIVE = {
    "CN_RESIDENT_ID", "PASSPORT", "US_SSN", "US_DRIVER_LICENSE", "CREDIT_CARD", "BANK_ACCOUNT",
    "IBAN_CODE", "GPS_COORDINATES", "HEALTH",
}  # fmt: skip

rng = random.Random(SEED)
fakers = {loc: Faker(loc) for loc in ("en_US", "en_GB", "zh_CN", "de_DE")}
for index, fake in enumerate(fakers.values()):
    fake.seed_instance(SEED + index)
US, GB, ZH, DE = fakers["en_US"], fakers["en_GB"], fakers["zh_CN"], fakers["de_DE"]

EN_CITIES = [
    "London",
    "Manchester",
    "Birmingham",
    "Leeds",
    "Glasgow",
    "Edinburgh",
    "Bristol",
    "Boston",
    "Chicago",
    "Seattle",
    "Denver",
    "Houston",
    "Atlanta",
    "Dallas",
    "Phoenix",
    "Miami",
    "Toronto",
    "Sydney",
    "Dublin",
    "Paris",
    "Berlin",
]
ZH_CITIES = [
    "北京",
    "上海",
    "广州",
    "深圳",
    "杭州",
    "南京",
    "成都",
    "武汉",
    "西安",
    "重庆",
    "苏州",
    "天津",
    "长沙",
    "青岛",
    "厦门",
    "郑州",
    "沈阳",
    "昆明",
    "大连",
    "宁波",
]
HEALTH_EN = [
    "diabetes",
    "asthma",
    "high blood pressure",
    "a heart condition",
    "epilepsy",
    "depression",
    "celiac disease",
    "arthritis",
    "eczema",
    "migraines",
    "insulin",
    "metformin",
    "warfarin",
    "antidepressants",
    "pregnant",
]
HEALTH_ZH = [
    "糖尿病",
    "高血压",
    "哮喘",
    "心脏病",
    "癫痫",
    "抑郁症",
    "关节炎",
    "湿疹",
    "胰岛素",
    "降压药",
    "怀孕",
    "乳糖不耐受",
]
ALLERGENS_EN = ["peanuts", "penicillin", "shellfish", "latex", "gluten"]
ALLERGENS_ZH = ["花生", "青霉素", "海鲜", "芒果", "酒精"]


def luhn_complete(prefix: str, length: int) -> str:
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    for check in string.digits:
        digits = body + check
        total = 0
        for i, c in enumerate(reversed(digits)):
            v = int(c) * (2 if i % 2 else 1)
            total += v - 9 if v > 9 else v
        if total % 10 == 0:
            return digits
    raise AssertionError


def group(digits: str, sizes: tuple[int, ...], sep: str) -> str:
    parts, i = [], 0
    for size in sizes:
        parts.append(digits[i : i + size])
        i += size
    if i < len(digits):
        parts.append(digits[i:])
    return sep.join(p for p in parts if p)


def fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in text)


def en_person() -> str:
    fake = rng.choice([US, GB])
    return f"{fake.first_name()} {fake.last_name()}"


def zh_person() -> str:
    return ZH.name()


def en_phone() -> str:
    choice = rng.random()
    if choice < 0.4:
        return US.phone_number().split("x")[0]
    if choice < 0.7:
        return GB.phone_number()
    return f"+1 {rng.randint(201, 989)} {rng.randint(200, 999)} {rng.randint(1000, 9999)}"


def zh_phone() -> str:
    number = ZH.phone_number()
    style = rng.random()
    if style < 0.3:
        return number
    if style < 0.5:
        return "+86 " + number
    if style < 0.65:
        return group(number, (3, 4, 4), " ")
    if style < 0.8:
        return group(number, (3, 4, 4), "-")
    if style < 0.9:
        return fullwidth(number)
    return "+86" + number


def en_address() -> str:
    if rng.random() < 0.55:
        return f"{US.street_address()}, {US.city()}, {US.state_abbr()} {US.zipcode()}"
    return GB.address().replace("\n", ", ")


def zh_address() -> str:
    address = ZH.address()
    return address if rng.random() < 0.5 else address.rsplit(" ", 1)[0]


def gps() -> str:
    lat, lng = rng.uniform(-60, 60), rng.uniform(-170, 170)
    style = rng.random()
    if style < 0.6:
        return f"{lat:.6f}, {lng:.6f}"
    if style < 0.85:
        return f"{lat:.4f},{lng:.4f}"
    return f"{abs(lat):.5f}{'N' if lat >= 0 else 'S'}, {abs(lng):.5f}{'E' if lng >= 0 else 'W'}"


def credit_card() -> str:
    if rng.random() < 0.35:
        number = luhn_complete("62" + str(rng.randint(10, 99)), rng.choice([16, 19]))
    else:
        number = US.credit_card_number(
            card_type=rng.choice(["visa16", "mastercard", "amex", "discover"])
        )
    if rng.random() < 0.5 and len(number) == 16:
        return group(number, (4, 4, 4, 4), rng.choice([" ", "-"]))
    return number


def bank_account() -> str:
    if rng.random() < 0.3:
        return f"{rng.randint(10, 99)}-{rng.randint(10, 99)}-{rng.randint(10, 99)} {rng.randint(10**7, 10**8 - 1)}"
    return "".join(rng.choice(string.digits) for _ in range(rng.randint(10, 17)))


def imei() -> str:
    return luhn_complete(str(rng.randint(10, 99)), 15)


def dob_en() -> str:
    born = US.date_of_birth(minimum_age=18, maximum_age=80)
    return rng.choice([born.isoformat(), born.strftime("%d/%m/%Y"), born.strftime("%B %d, %Y")])


def dob_child() -> str:
    born = US.date_of_birth(minimum_age=1, maximum_age=12)
    return born.isoformat()


def dob_zh() -> str:
    born = ZH.date_of_birth(minimum_age=18, maximum_age=80)
    return rng.choice([f"{born.year}年{born.month}月{born.day}日", born.isoformat()])


def wechat() -> str:
    head = rng.choice(string.ascii_lowercase)
    tail = "".join(
        rng.choice(string.ascii_lowercase + string.digits + "_") for _ in range(rng.randint(5, 12))
    )
    return head + tail


def passport_zh() -> str:
    return "E" + "".join(rng.choice(string.digits) for _ in range(8))


def passport_en() -> str:
    return rng.choice(
        [
            US.passport_number(),
            "".join(rng.choice(string.ascii_uppercase) for _ in range(2))
            + str(rng.randint(10**6, 10**7 - 1)),
        ]
    )


VALUES: dict[str, Callable[[], str]] = {
    "EN_PERSON": en_person, "ZH_PERSON": zh_person, "EN_PHONE": en_phone, "ZH_PHONE": zh_phone,
    "EMAIL": lambda: rng.choice([US, GB, ZH]).email(), "EN_ADDRESS": en_address,
    "ZH_ADDRESS": zh_address, "EN_CITY": lambda: rng.choice(EN_CITIES),
    "ZH_CITY": lambda: rng.choice(ZH_CITIES), "GPS": gps, "CN_ID": lambda: ZH.ssn(),
    "ZH_PASSPORT": passport_zh, "EN_PASSPORT": passport_en, "SSN": lambda: US.ssn(),
    "CARD": credit_card, "BANK": bank_account,
    "IBAN": lambda: rng.choice([GB, DE]).iban(),
    "IP": lambda: rng.choice([US.ipv4_public(), US.ipv6()]), "IMEI": imei,
    "MAC": lambda: US.mac_address().upper() if rng.random() < 0.5 else US.mac_address(),
    "DOB_EN": dob_en, "DOB_CHILD": dob_child, "DOB_ZH": dob_zh,
    "AGE_ADULT": lambda: str(rng.randint(18, 80)), "AGE_CHILD": lambda: str(rng.randint(2, 12)),
    "WECHAT": wechat, "HEALTH_EN": lambda: rng.choice(HEALTH_EN),
    "HEALTH_ZH": lambda: rng.choice(HEALTH_ZH),
    "ALLERGEN_EN": lambda: rng.choice(ALLERGENS_EN), "ALLERGEN_ZH": lambda: rng.choice(ALLERGENS_ZH),
}  # fmt: skip

# slot -> entity type (None: filler value, not labelled)
ENTITY_OF = {
    "EN_PERSON": "PERSON", "ZH_PERSON": "PERSON", "EN_PHONE": "PHONE_NUMBER",
    "ZH_PHONE": "PHONE_NUMBER", "EMAIL": "EMAIL_ADDRESS", "EN_ADDRESS": "STREET_ADDRESS",
    "ZH_ADDRESS": "STREET_ADDRESS", "EN_CITY": "LOCATION", "ZH_CITY": "LOCATION",
    "GPS": "GPS_COORDINATES", "CN_ID": "CN_RESIDENT_ID", "ZH_PASSPORT": "PASSPORT",
    "EN_PASSPORT": "PASSPORT", "SSN": "US_SSN", "CARD": "CREDIT_CARD", "BANK": "BANK_ACCOUNT",
    "IBAN": "IBAN_CODE", "IP": "IP_ADDRESS", "IMEI": "DEVICE_ID", "MAC": "DEVICE_ID",
    "DOB_EN": "DATE_OF_BIRTH", "DOB_CHILD": "DATE_OF_BIRTH", "DOB_ZH": "DATE_OF_BIRTH",
    "WECHAT": "WECHAT_ID", "HEALTH_EN": "HEALTH", "HEALTH_ZH": "HEALTH",
}  # fmt: skip
# Slots whose labelled span is wider than the value (AGE phrases, allergies).
PHRASES = {
    "AGE_ADULT_EN": ("AGE", "{v} years old", False), "AGE_CHILD_EN": ("AGE", "{v} years old", True),
    "AGE_ADULT_ZH": ("AGE", "{v}岁", False), "AGE_CHILD_ZH": ("AGE", "{v}岁", True),
    "ALLERGY_EN": ("HEALTH", "allergic to {v}", True), "ALLERGY_ZH": ("HEALTH", "对{v}过敏", True),
}  # fmt: skip
PHRASE_VALUE = {
    "AGE_ADULT_EN": "AGE_ADULT", "AGE_CHILD_EN": "AGE_CHILD", "AGE_ADULT_ZH": "AGE_ADULT",
    "AGE_CHILD_ZH": "AGE_CHILD", "ALLERGY_EN": "ALLERGEN_EN", "ALLERGY_ZH": "ALLERGEN_ZH",
}  # fmt: skip

EN_TEMPLATES = [
    "Hi, this is {EN_PERSON}. My parcel still hasn't arrived, can you call me on {EN_PHONE}?",
    "Please ship the replacement to {EN_ADDRESS}.",
    "My email is {EMAIL}, please send the invoice there.",
    "The order is for {EN_PERSON}, phone {EN_PHONE}, address {EN_ADDRESS}.",
    "Can you refund it to my card {CARD}? Thanks.",
    "I paid with the card ending... actually the full number is {CARD}",
    "For the bank transfer my account number is {BANK}.",
    "Please wire the refund to IBAN {IBAN}.",
    "My SSN is {SSN}, the credit check form asked for it.",
    "My passport number is {EN_PASSPORT} for the customs declaration.",
    "I'm currently at {GPS}, can the courier find me there?",
    "The device IMEI is {IMEI}, it won't turn on after the update.",
    "My router's MAC address is {MAC} if that helps.",
    "I couldn't log in from IP {IP} yesterday.",
    "My date of birth is {DOB_EN}, the account form rejected it.",
    "My son was born on {DOB_CHILD}, is the bike suitable for him?",
    "It's a present for my daughter, she is {AGE_CHILD_EN}.",
    "I am {AGE_ADULT_EN} and I'd like the senior discount.",
    "I have {HEALTH_EN}, so please make sure the meal kit has no sugar.",
    "Be careful, I'm {ALLERGY_EN}; does the lotion contain it?",
    "Add me on WeChat: {WECHAT}",
    "I live in {EN_CITY} and the delivery estimate seems wrong.",
    "{EN_PERSON} will pick up the package for me.",
    "Hello, {EN_PERSON} here. I moved to {EN_CITY}, can you update my address to {EN_ADDRESS}?",
    "You can text me at {EN_PHONE} or write to {EMAIL}.",
    "My doctor says I take {HEALTH_EN} daily, can I still use this supplement?",
    "Deliver to {EN_PERSON}, {EN_ADDRESS}, tel {EN_PHONE}",
    "The account holder is {EN_PERSON} and the IBAN is {IBAN}",
    "Ask for {EN_PERSON} at reception, I work in {EN_CITY}.",
    "Sorry, wrong number earlier. The right one is {EN_PHONE}.",
]
ZH_TEMPLATES = [
    "你好，我叫{ZH_PERSON}，我的快递一直没到，电话{ZH_PHONE}。",
    "收货地址改成{ZH_ADDRESS}，谢谢。",
    "收件人{ZH_PERSON}，手机{ZH_PHONE}，地址{ZH_ADDRESS}",
    "我的身份证号是{CN_ID}，实名认证一直失败。",
    "报关需要护照号，我的护照号码是{ZH_PASSPORT}。",
    "退款请退到我的银行卡{CARD}。",
    "我的银行账号是{BANK}，开户行是招商银行。",
    "邮箱是{EMAIL}，发票请发这里。",
    "我现在的位置是{GPS}，骑手找不到我。",
    "我有{HEALTH_ZH}，这个保健品能吃吗？",
    "我{ALLERGY_ZH}，请问这款面霜含有吗？",
    "孩子今年{AGE_CHILD_ZH}，这个玩具适合吗？",
    "我今年{AGE_ADULT_ZH}了，可以办会员吗？",
    "我的出生日期是{DOB_ZH}。",
    "加我微信{WECHAT}，发图片给你看。",
    "我的微信号是{WECHAT}",
    "手机串号IMEI是{IMEI}，开不了机。",
    "我在{ZH_CITY}，什么时候能发货？",
    "请联系{ZH_PERSON}，电话是{ZH_PHONE}。",
    "麻烦{ZH_PERSON}帮我查一下物流。",
    "我的手机号换成{ZH_PHONE}了",
    "寄到{ZH_ADDRESS}，收件人{ZH_PERSON}",
    "{ZH_PERSON}，电话{ZH_PHONE}，身份证{CN_ID}",
    "信用卡号{CARD}被扣了两次款。",
    "登录IP是{IP}，不是我本人操作。",
]
MIXED_TEMPLATES = [
    "你好, my name is {EN_PERSON}, 电话{ZH_PHONE}",
    "收件人{ZH_PERSON}, email {EMAIL}, 谢谢",
    "Hi 客服, 我的地址是{ZH_ADDRESS}, phone {ZH_PHONE}",
    "我的身份证 ID number: {CN_ID}",
    "请退款到 card {CARD} 谢谢",
    "我住在{ZH_CITY}, please ship to {ZH_ADDRESS}",
    "WeChat: {WECHAT}，加我一下",
    "孩子{AGE_CHILD_ZH}, {ALLERGY_EN}",
]

CLEAN_EN = [
    "Where is my order #{ORDER}? It was due {DATE}.",
    "Tracking number {TRACK} shows no movement since {DATE}.",
    "Can I use coupon {COUPON} on SKU {SKU}?",
    "The {MODEL} costs {PRICE}, is there a discount?",
    "App version {VERSION} keeps crashing on checkout.",
    "The file checksum is {HASH}, is that right?",
    "Order {ORDER} was charged {PRICE} twice.",
    "My parcel {TRACK} was delivered on {DATE} but the box was empty.",
    "I want to return item {SKU} from order {ORDER}.",
    "Does the {MODEL} support firmware {VERSION}?",
    "The invoice {INVOICE} total is {PRICE}.",
    "Please cancel order {ORDER}, I ordered 2 units by mistake.",
    "Delivery slot {DATE} between 9 and 12 works for me.",
    "Is the {MODEL} in stock in size 42?",
    "Hi, quick question about order {ORDER}: when will it ship?",
]
CLEAN_ZH = [
    "订单号{ORDER}什么时候发货？",
    "快递单号{TRACK}，{DATE}之后就没更新了。",
    "优惠码{COUPON}用不了，商品编号{SKU}。",
    "{MODEL}现在多少钱？我看到是{PRICE}。",
    "APP版本{VERSION}一直闪退。",
    "订单{ORDER}被扣了两次款，{PRICE}。",
    "我想退货，货号{SKU}，订单{ORDER}。",
    "预计{DATE}送达吗？",
    "发票号码{INVOICE}，金额{PRICE}。",
    "{MODEL}支持固件{VERSION}吗？",
]


def order() -> str:
    return rng.choice(
        [
            f"NB-{rng.randint(2024, 2026)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.randint(100, 999)}",
            f"ORD{rng.randint(10**9, 10**10 - 1)}",
            str(rng.randint(10**7, 10**9)),
            f"{rng.randint(2024, 2026)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.randint(10**5, 10**6 - 1)}",
        ]
    )


def track() -> str:
    return rng.choice(
        [
            f"SF{rng.randint(10**11, 10**12 - 1)}",
            f"YT{rng.randint(10**12, 10**13 - 1)}",
            f"1Z{''.join(rng.choice(string.ascii_uppercase + string.digits) for _ in range(16))}",
            f"JD{rng.randint(10**12, 10**13 - 1)}",
            f"RR{rng.randint(10**8, 10**9 - 1)}CN",
        ]
    )


CLEAN_VALUES: dict[str, Callable[[], str]] = {
    "ORDER": order, "TRACK": track,
    "COUPON": lambda: rng.choice(["SAVE20", "WELCOME10", "BLACKFRIDAY", "NB2026VIP", "FREESHIP"]),
    "SKU": lambda: f"{rng.choice(['NB', 'SKU-', 'A'])}{rng.randint(1000, 99999)}-{rng.choice(['BLK', 'WHT', 'XL', 'M'])}",
    "PRICE": lambda: rng.choice([f"${rng.randint(5, 999)}.{rng.randint(0, 99):02d}", f"¥{rng.randint(9, 9999)}", f"{rng.randint(9, 999)}元", f"£{rng.randint(5, 500)}"]),
    "MODEL": lambda: rng.choice(["iPhone 15 Pro", "Galaxy S24 Ultra", "XPS 9530", "WH-1000XM5", "Mi Band 8", "RTX 4090", "ThinkPad X1 Carbon Gen 11", "Kindle Paperwhite", "AirPods Pro 2", "Model A2894"]),
    "VERSION": lambda: rng.choice([f"v{rng.randint(1, 9)}.{rng.randint(0, 20)}.{rng.randint(0, 99)}", f"{rng.randint(1, 19)}.{rng.randint(0, 9)}.{rng.randint(0, 9)}", "2.10.3-beta"]),
    "HASH": lambda: "".join(rng.choice("0123456789abcdef") for _ in range(rng.choice([7, 32, 40, 64]))),
    "DATE": lambda: rng.choice([US.date_this_year().isoformat(), US.date_this_year().strftime("%d/%m/%Y"), "Nov 28", f"{rng.randint(1, 12)}月{rng.randint(1, 28)}日"]),
    "INVOICE": lambda: f"INV-{rng.randint(10**5, 10**7)}",
}  # fmt: skip


def fill(
    template: str, values: dict[str, Callable[[], str]], labelled: bool
) -> tuple[str, list[dict[str, object]]]:
    text, spans, rest = "", [], template
    while "{" in rest:
        head, _, tail = rest.partition("{")
        slot, _, rest = tail.partition("}")
        text += head
        if slot in PHRASES:
            entity, shape, child = PHRASES[slot]
            value = shape.format(v=values[PHRASE_VALUE[slot]]())
            sensitive = True if entity == "HEALTH" else child
        else:
            value = values[slot]()
            entity = ENTITY_OF.get(slot, "") if labelled else ""
            sensitive = entity in SENSITIVE or slot == "DOB_CHILD"
        if labelled and entity:
            spans.append(
                {
                    "entity_type": entity,
                    "start": len(text),
                    "end": len(text) + len(value),
                    "sensitive": sensitive,
                }
            )
        text += value
    return text + rest, spans


def main() -> None:
    rows = []
    for language, templates, repeat in (
        ("en", EN_TEMPLATES, 8),
        ("zh", ZH_TEMPLATES, 10),
        ("mixed", MIXED_TEMPLATES, 10),
    ):
        for round_ in range(repeat):
            for index, template in enumerate(templates):
                text, spans = fill(template, VALUES, labelled=True)
                rows.append(
                    {
                        "id": f"{language}-{index}-{round_}",
                        "text": text,
                        "language": language,
                        "spans": spans,
                    }
                )
    clean = []
    for language, templates, repeat in (("en", CLEAN_EN, 14), ("zh", CLEAN_ZH, 14)):
        for round_ in range(repeat):
            for index, template in enumerate(templates):
                text, _ = fill(template, CLEAN_VALUES, labelled=False)
                clean.append(
                    {
                        "id": f"clean-{language}-{index}-{round_}",
                        "text": text,
                        "language": language,
                        "spans": [],
                    }
                )
    for name, data in (("dev.jsonl", rows), ("clean.jsonl", clean)):
        with (OUT / name).open("w", encoding="utf-8") as handle:
            for row in data:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
