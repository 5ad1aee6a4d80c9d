# Chinese punctuation is the data here, on purpose. One-row-per-frame tables read better unwrapped.
# ruff: noqa: E501, RUF001
"""Generate the multi-locale chat evaluation set (seeded; run by hand, output committed).

    .venv/bin/python tests/data/chat/generate.py

Values come from Faker in many locales (names from Finland, Poland, Iceland, Vietnam, the
Arab world, India, mainland China, Taiwan, the UK, the US, Estonia, Germany; addresses and
phones where the locale has real formats) and from the numbering plans of mainland China,
Hong Kong, Macao and Taiwan. They are set in short messages of the kind customers type in a
shop's chat: informal, often lower-case, with the value where people put it. None of these
frames is taken from tests/data/detection/generate.py (the project's own templates, which
the engine has been tuned on). Clean messages carry no personal data but the things that
look like it: service hotlines, the shop's hubs and warehouses, version strings, brands.

Each line: {"id", "text", "language", "source": "chat", "split", "spans": [...]}. The split
(dev/test) comes from a hash of the message's frame, not of the message: the test split's
sentences are ones the dev split never shows, so a rule tuned to a dev sentence does not
score on test by recognising the sentence.
"""

from __future__ import annotations

import hashlib
import json
import pathlib
import random
import re

from faker import Faker

SEED = 20261206
OUT = pathlib.Path(__file__).resolve().parent / "chat.jsonl"
LABELLED_MESSAGES = 1400
CLEAN_MESSAGES = 600
TEST_SHARE_PERCENT = 50
NAME_LOCALES = [
    "fi_FI",
    "pl_PL",
    "is_IS",
    "vi_VN",
    "ar_AA",
    "hi_IN",
    "zh_CN",
    "zh_TW",
    "en_GB",
    "en_US",
    "et_EE",
    "de_DE",
]
LATIN_NAME_LOCALES = ["fi_FI", "pl_PL", "is_IS", "vi_VN", "en_GB", "en_US", "et_EE", "de_DE"]
ADDRESS_LOCALES = ["fi_FI", "pl_PL", "de_DE", "en_GB", "en_US", "en_AU"]
PHONE_LOCALES = ["fi_FI", "pl_PL", "de_DE", "en_GB", "en_US", "en_AU", "hi_IN"]

# {P} person, {S} surname alone, {T} phone, {A} street address, {E} e-mail.
EN_FRAMES = [
    "hey its {P}, did my stuff ship yet",
    "My name is {P} and I never got the refund",
    "this is {P} from the order yesterday, can someone call me back",
    "hi im {p} lol the box came open",
    "Mr. {S} will pick it up for me on friday",
    "Ms {S} said you'd ring her before delivery",
    "the parcel was signed by someone called {P}, that's not me",
    "please put {P} as the recipient, it's a gift",
    "{P} here. wrong size again :(",
    "can you send it to my sister {P}? same address",
    "Mobile: {T}",
    "call me on {T} after 6pm pls",
    "my number changed, it's {T} now",
    "Desk: {T} (ask for accounts)",
    "whatsapp {T} if the courier gets lost",
    "tel {T}",
    "you can reach me at {T} or by email",
    "ship to:\n{A}",
    "new address is {A}, please update it",
    "deliver to {A} thanks",
    "I moved! {A}",
    "Can the driver leave it at {A}? nobody home till 7",
    "it's for {P}, {A}, phone {T}",
    "Name: {P}\nAddress: {A}\nMobile: {T}",
    "send invoice to {E} pls",
    "my email is {E}, nothing arrived",
    "{p} {T} please hurry",
]
ZH_FRAMES = [
    "你好，我是{P}，我的快递到哪了",
    "收件人：{P}，电话{T}",
    "联系人{P}，手机：{T}",
    "我叫{P}，昨天下的单还没发货",
    "麻烦改一下收货地址：{A}",
    "寄到{A}，谢谢",
    "手机 {T} 打这个",
    "电话：{T}",
    "帮我备注一下，{P}代收",
    "{P} {T} {A}",
    "我换号了，新号码{T}",
    "{S}先生说他明天来取",
    "请联系{S}女士，她在家",
]
CLEAN_EN = [
    "the last scan was at the {HUB} hub, nothing since",
    "tracking says it left the {CITY} warehouse on monday",
    "your hotline {HOTLINE} just rings out",
    "I called {HOTLINE} and they told me to write here",
    "app version {VERSION} crashes when I open the cart",
    "firmware {VERSION} bricked my speaker",
    "router shows build {VERSION} is that the latest",
    "is the {BRAND} charger compatible with my phone",
    "do you have the {BRAND} {PRODUCT} in black",
    "my {BRAND} {PRODUCT} arrived with a cracked screen",
    "the parcel is stuck in customs in {CITY}",
    "is delivery to {CITY} free?",
    "order {ORDER} still processing after 5 days",
    "the box says made in {COUNTRY}, is that right",
]
CLEAN_ZH = [
    "发货地是{ZH_CITY}吗？要几天",
    "物流显示在{ZH_CITY}转运中心，好几天没动了",
    "客服热线{HOTLINE}一直打不通",
    "{ZH_CITY}仓库什么时候发货",
    "你们的{BRAND}耳机有货吗",
    "系统版本{VERSION}更新后连不上蓝牙",
    "从{ZH_CITY}发出的包裹到了吗",
    "订单{ORDER}怎么还没发",
]
HUBS = [
    "Hong Kong",
    "Shenzhen",
    "Leipzig",
    "Helsinki",
    "Warsaw",
    "Memphis",
    "Dubai",
    "Singapore",
    "Frankfurt",
    "Guangzhou",
    "East Midlands",
    "Ningbo",
]
CITIES = [
    "Hong Kong",
    "Shanghai",
    "Rotterdam",
    "Tallinn",
    "Reykjavik",
    "Hanoi",
    "Mumbai",
    "Manchester",
    "Chicago",
    "Gdansk",
    "Macau",
    "Taipei",
]
COUNTRIES = ["Vietnam", "Poland", "China", "India", "Germany", "Finland"]
ZH_CITIES = ["宁波", "义乌", "广州", "深圳", "东莞", "杭州", "上海", "苏州", "香港", "武汉"]
BRANDS = [
    "Xiaomi",
    "Huawei",
    "Anker",
    "Logitech",
    "Philips",
    "Dyson",
    "Lenovo",
    "Oppo",
    "Ugreen",
    "Baseus",
    "Jabra",
    "Sony",
]
PRODUCTS = [
    "Redmi Note 13",
    "FreeBuds 5",
    "PowerCore 10000",
    "MX Master 3S",
    "Sonicare 3100",
    "V15 Detect",
    "Legion 5",
    "Reno 11",
    "Elite 85t",
]


def phone_hk(rng: random.Random) -> str:
    digits = rng.choice("569") + "".join(rng.choice("0123456789") for _ in range(7))
    return rng.choice(
        [f"+852 {digits[:4]} {digits[4:]}", f"{digits[:4]} {digits[4:]}", f"(852) {digits}"]
    )


def phone_mo(rng: random.Random) -> str:
    digits = "6" + rng.choice("2368") + "".join(rng.choice("0123456789") for _ in range(6))
    return rng.choice([f"+853 {digits}", f"+853-{digits[:4]}-{digits[4:]}"])


def phone_cn(rng: random.Random) -> str:
    digits = (
        "1"
        + rng.choice(["38", "39", "50", "58", "86", "88", "77", "99", "35"])
        + "".join(rng.choice("0123456789") for _ in range(8))
    )
    return rng.choice(
        [
            digits,
            f"{digits[:3]} {digits[3:7]} {digits[7:]}",
            f"+86 {digits}",
            f"{digits[:3]}-{digits[3:7]}-{digits[7:]}",
            f"+86-{digits[:3]}.{digits[3:7]}.{digits[7:]}",
        ]
    )


def phone_tw(rng: random.Random) -> str:
    digits = "9" + "".join(rng.choice("0123456789") for _ in range(8))
    return rng.choice(
        [
            f"0{digits}",
            f"0{digits[:3]}-{digits[3:6]}-{digits[6:]}",
            f"+886 {digits[:3]} {digits[3:6]} {digits[6:]}",
        ]
    )


def phone_intl(rng: random.Random) -> str:
    # Grouped the way people write mobiles from Finland, Australia, the UK and Poland.
    d = "".join(rng.choice("0123456789") for _ in range(8))
    return rng.choice([
        f"04{d[0]}{d[1]} {d[2:4]} {d[4:6]} {d[6:8]}",
        f"+447700 {d[:3]} {d[3:6]}",
        f"+358 40 {d[:3]} {d[3:7]}",
        f"+48 {d[0]}{d[1]}{d[2]} {d[3:6]} {d[6:8]}{d[0]}",
        f"07700 {d[:3]}{d[3:6]}",
    ])  # fmt: skip


def message_row(
    message_id: str, text: str, *, zh: bool, frame: str, spans: list[dict[str, object]]
) -> dict[str, object]:
    """One message of the set, in the benchmark's JSON-lines shape."""
    return {
        "id": message_id,
        "text": text,
        "language": "zh" if zh else "en",
        "source": "chat",
        "split": split_of(frame),
        "spans": spans,
    }


def split_of(frame: str) -> str:
    digest = hashlib.sha256(f"chat:{frame}".encode()).digest()
    return "test" if digest[0] * 100 // 256 < TEST_SHARE_PERCENT else "dev"


def main() -> None:
    rng = random.Random(SEED)
    fakers = {loc: Faker(loc) for loc in sorted({*NAME_LOCALES, *ADDRESS_LOCALES, *PHONE_LOCALES})}
    for index, fake in enumerate(fakers.values()):
        fake.seed_instance(SEED + index)
    zh_fakers = [fakers["zh_CN"], fakers["zh_TW"]]

    def person(zh: bool) -> tuple[str, str]:
        fake = rng.choice(zh_fakers) if zh else fakers[rng.choice(NAME_LOCALES)]
        first, last = fake.first_name(), fake.last_name()
        full = f"{last}{first}" if fake in zh_fakers else f"{first} {last}"
        return full, last

    def phone(zh: bool) -> str:
        maker = rng.random()
        if zh or maker < 0.45:
            return rng.choice([phone_cn, phone_cn, phone_hk, phone_mo, phone_tw])(rng)
        if maker < 0.7:
            return phone_intl(rng)
        return str(fakers[rng.choice(PHONE_LOCALES)].phone_number())

    def address(zh: bool) -> str:
        if zh:
            return str(rng.choice(zh_fakers).address()).replace("\n", "")
        fake = fakers[rng.choice(ADDRESS_LOCALES)]
        value = str(fake.address())
        if "\n" in value and rng.random() < 0.5:
            value = value.replace("\n", ", ")
        return value

    rows: list[dict[str, object]] = []
    for n in range(LABELLED_MESSAGES):
        zh = rng.random() < 0.35
        frame = rng.choice(ZH_FRAMES if zh else EN_FRAMES)
        full, last = person(zh and rng.random() < 0.85)
        values = {
            "P": ("PERSON", full),
            "p": ("PERSON", full.lower()),
            "S": ("PERSON", last),
            "T": ("PHONE_NUMBER", phone(zh)),
            "A": ("STREET_ADDRESS", address(zh)),
            "E": ("EMAIL_ADDRESS", str(fakers["en_US"].email())),
        }
        text = ""
        spans: list[dict[str, object]] = []
        for piece in re.split(r"(\{[A-Za-z]\})", frame):
            slot = piece[1:-1] if re.fullmatch(r"\{[A-Za-z]\}", piece) else None
            if slot is None:
                text += piece
                continue
            entity, value = values[slot]
            spans.append(
                {
                    "entity_type": entity,
                    "start": len(text),
                    "end": len(text) + len(value),
                    "sensitive": False,
                }
            )
            text += value
        rows.append(message_row(f"chat-{n}", text, zh=zh, frame=frame, spans=spans))
    for n in range(CLEAN_MESSAGES):
        zh = rng.random() < 0.35
        frame = rng.choice(CLEAN_ZH if zh else CLEAN_EN)
        fills = {
            "HUB": rng.choice(HUBS), "CITY": rng.choice(CITIES), "COUNTRY": rng.choice(COUNTRIES),
            "ZH_CITY": rng.choice(ZH_CITIES), "BRAND": rng.choice(BRANDS), "PRODUCT": rng.choice(PRODUCTS),
            "HOTLINE": rng.choice(["400", "800"]) + rng.choice(["-", " ", ""]) + f"{rng.randrange(100, 999)}-{rng.randrange(1000, 9999)}",
            "VERSION": ".".join(str(rng.randrange(0, 20)) for _ in range(rng.choice([3, 4]))),
            "ORDER": f"{rng.randrange(10**11, 10**12)}",
        }  # fmt: skip
        text = frame.format(**fills)
        rows.append(message_row(f"chat-clean-{n}", text, zh=zh, frame=frame, spans=[]))
    with OUT.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"wrote {len(rows)} messages to {OUT}")


if __name__ == "__main__":
    main()
