# Chinese punctuation is the data here, on purpose. One-row-per-frame tables read better unwrapped.
# ruff: noqa: E501, RUF001
"""Generate the sensitive-span chat set (seeded; run by hand, output committed).

    .venv/bin/python tests/data/chat/generate_sensitive.py [--mirror /work/.mirror]

Short shop-chat messages in English and Simplified Chinese that carry the values the privacy
policy calls sensitive (identity documents, cards and accounts, precise location, health, a
child's data), plus WeChat IDs, ages and dates of birth of adults, and clean messages with
their look-alikes (order, tracking and SKU numbers, prices, delivery dates, 400/800 lines,
version strings, product talk with health words). The values are not this project's:

- resident IDs (Faker zh_CN ``ssn()``, checksum-valid), card numbers (Faker
  ``credit_card_number()`` of every card type, grouped as people write them), IBANs (Faker
  ``iban()`` of eight locales), passports (Faker ``passport_number()``), bank accounts
  (Faker ``bban()``, ``aba()``), coordinates (Faker ``latitude()``/``longitude()`` and
  ``local_latlng()``), WeChat IDs (Faker ``user_name()`` cut to WeChat's rules), dates of
  birth (Faker ``date_between_dates`` over fixed bounds: ``date_of_birth()`` counts from the
  day it runs, and the set must not change with the date), ages (random numbers);
- health terms from public lists, read from their git mirrors (the session's ``fetch``
  tool, or ``git clone`` into ``<mirror>/<owner>+<name>/repo``): English conditions and
  medications from CodeSante/medical-wordlist (Wikidata labels, WTFPL), Chinese diseases and
  drugs from liuhuanyong/QASystemOnMedicalKG (``dict/disease.txt``, ``dict/drug.txt``; no
  licence file). As with every corpus converted from a fetched repository
  (tests/data/external/fetch_corpora.py), the messages holding those terms are written to the
  git-ignored ``tests/data/external/out/chat_sensitive_health.jsonl``, never committed; the
  rest goes to ``tests/data/chat/chat_sensitive.jsonl``.

The sentence frames are written here for this set; none is taken from the project's own
templates (tests/data/detection/generate.py) or from ``chat.jsonl``'s frames. Labels are the
detection filter's entity names (CONTRACT §3); ``sensitive`` is the category's flag in
config/categories.toml, and for AGE and DATE_OF_BIRTH true only for a child under 14 (the
product's ``minor``): children here are born 2016-2023 and aged 3-12, adults born 1950-2004 and
aged 18-80, so the flags hold until 2030 whatever day the benchmark runs. Spans: the value
itself; an allergy and a pregnancy as the phrase ("allergic to X", "对X过敏", "20 weeks
pregnant", "怀孕5个月"); an age with its unit when it has one ("12 yo", "8岁").

The split (dev/test) comes from a hash of the frame: the test split's sentences are ones the
dev split never shows.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import pathlib
import random
import re
import shutil
import subprocess
from collections.abc import Callable

from faker import Faker

SEED = 20261208
HERE = pathlib.Path(__file__).resolve().parent
OUT = HERE / "chat_sensitive.jsonl"
HEALTH_OUT = HERE.parent / "external" / "out" / "chat_sensitive_health.jsonl"
LABELLED_MESSAGES = 1300
HEALTH_MESSAGES = 500
CLEAN_MESSAGES = 600
TEST_SHARE_PERCENT = 50
EN_HEALTH_REPO = "CodeSante+medical-wordlist"
ZH_HEALTH_REPO = "liuhuanyong+QASystemOnMedicalKG"
IBAN_LOCALES = ["de_DE", "fr_FR", "nl_NL", "pl_PL", "es_ES", "it_IT", "fi_FI", "en_GB"]
BBAN_LOCALES = ["de_DE", "pl_PL", "fi_FI", "es_ES", "fr_FR"]
CARD_TYPES = ["visa", "mastercard", "amex", "discover", "jcb", "diners", "maestro", "visa16"]
USER_LOCALES = ["en_US", "en_GB", "zh_CN", "de_DE", "fi_FI", "pl_PL", "vi_VN"]
EN_NUMBER_WORDS = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
]
ZH_DIGITS = "零一二三四五六七八九"

# Frames: {X} is a slot (see SLOTS in main). Sensitive and other labelled values.
EN_FRAMES = [
    "id card for customs is {RID}",
    "customs wants my chinese ID, here: {RID}",
    "pay with card {CARD} exp 09/28",
    "card no. {CARD} pls charge the balance",
    "the card ending wrong, full number is {CARD}",
    "refund to IBAN {IBAN} please",
    "my iban: {IBAN}",
    "wire it back to {IBAN}, name on account is mine",
    "passport number {PASS} for the customs form",
    "customs form done, passport {PASS}",
    "account no {BANK}, refund there",
    "bank acct {BANK} routing {ABA}",
    "i'm here {GPS} come to the gate",
    "drop pin: {GPS}",
    "location {GPS} the driver cant find it",
    "here's the spot https://maps.google.com/?q={GPS_NS}",
    "born on {DOB}, do I get the birthday coupon",
    "DOB {DOB}",
    "date of birth: {DOB}",
    "my birthday is {DOB} btw",
    "for the age check: {DOB}",
    "my son was born {KDOB} so he's in the kids size?",
    "daughter's dob is {KDOB}, for the junior account",
    "I'm {AGE_N} and never had this problem",
    "im {AGE_YO} not a kid lol",
    "he is {AGE_Y}, will the jacket fit",
    "my son is {KAGE_N}, which size",
    "my daughter is {KAGE_YO} and wears a 140",
    "it's for my boy, he's {KAGE_Y}",
    "gift for my niece who just turned {KAGE_W}",
    "my kid is {KAGE_N}. is this toy ok",
    "wx: {WX}",
    "vx {WX}",
    "my wechat is {WX}",
    "add me {WXM} easier to send pics",
    "wechat id {WX} send the invoice there",
]
ZH_FRAMES = [
    "身份证号{RID}，清关用",
    "清关要身份证：{RID}",
    "银行卡{CARD}，退到这张卡",
    "信用卡号 {CARD}",
    "退款账号{BANK}",
    "对公账户 {BANK}",
    "国际汇款IBAN：{IBAN}",
    "护照号{PASS}",
    "护照 {PASS} 用于报关",
    "我的位置 {GPS}",
    "定位发你了：{GPS}",
    "生日{ZDOB}，有生日券吗",
    "出生于{ZDOB}",
    "出生日期：{ZDOB}",
    "我是{ZDOB}出生的",
    "孩子生日{ZKDOB}，办儿童会员",
    "宝宝{ZKDOB}出生，穿多大码",
    "我今年{ZAGE}了",
    "孩子{ZKAGE}，穿什么码",
    "儿子今年{ZKAGE}",
    "女儿{ZKAGE}，这个玩具安全吗",
    "加我微信{WX}",
    "微信号：{WX}",
    "加我 {WX}",
    "vx：{WX}",
    "v信 {WX} 发图给你",
    "我的微信是{WX}",
    "加v {WX}",
]
EN_HEALTH_FRAMES = [
    "I have {COND}, can I still use this",
    "diagnosed with {COND} last year, need softer shoes",
    "my son has {COND}, is the fabric ok for him",
    "I'm on {MED}, is this supplement safe with it",
    "taking {MED} every day, any interaction?",
    "my doctor prescribed {MED} so no alcohol wipes pls",
    "{ALLERGY_MED} so check the ingredients",
    "I'm {PREG} so need a bigger size",
    "my daughter is {KAGE_N} and has {COND}",
]
ZH_HEALTH_FRAMES = [
    "我有{ZCOND}，能用这个吗",
    "孩子得了{ZCOND}，衣服要纯棉的",
    "去年确诊{ZCOND}，鞋子要软一点",
    "在吃{ZMED}，这个保健品能一起吃吗",
    "医生开了{ZMED}，酒精棉片不能用",
    "我{ZALLERGY}，看下成分",
    "我{ZPREG}了，要大一码",
]
CLEAN_EN = [
    "order {ORDER} still not shipped",
    "tracking {TRACK} hasn't moved since monday",
    "SKU {SKU} out of stock?",
    "it was ${PRICE} yesterday now ${PRICE2}",
    "delivered on {SHORTDATE} but the box was empty",
    "call {HOTLINE}? nobody answers",
    "app {VERSION} keeps logging me out",
    "do you have the vitamin C gummies in 60 count",
    "is this pillow allergy-free",
    "pregnancy pillow back in stock when",
    "the kids bike is for ages 8-12 right",
    "I'm 5 mins away from the pickup point",
    "the box is 31.5 x 12.4 cm",
    "sale ends {SHORTDATE}",
    "coupon {SKU} doesn't work",
    "size 12 or 14 for the jeans",
    "pack of 12, expiry 2027-03-01",
]
CLEAN_ZH = [
    "订单号{ORDER}还没发货",
    "快递单号{TRACK}一直没更新",
    "货号{SKU}还有吗",
    "昨天{PRICE}元今天{PRICE2}元",
    "{ZSHORTDATE}就签收了，箱子是空的",
    "客服电话{HOTLINE}打不通",
    "版本{VERSION}闪退",
    "维生素C咀嚼片还有货吗",
    "孕妇装有XL码吗",
    "防过敏枕头什么时候到",
    "适合3岁以上的玩具有哪些",
    "生日礼物能包装吗",
    "微信支付不了怎么办",
    "12月3日之前能到吗",
]
TRACK_PREFIXES = ["SF", "YT", "ZTO", "JD", "LP00", "1Z"]


def split_of(frame: str) -> str:
    digest = hashlib.sha256(f"chat_sensitive:{frame}".encode()).digest()
    return "test" if digest[0] * 100 // 256 < TEST_SHARE_PERCENT else "dev"


def git_show(mirror: pathlib.Path, repo: str, path: str) -> tuple[str, str]:
    """A file of a bare mirror at HEAD, and that commit."""
    git = shutil.which("git") or "git"
    git_dir = str(mirror / repo / "repo")
    commit = subprocess.run(  # noqa: S603 - fixed argument list, no shell
        [git, "--git-dir", git_dir, "rev-parse", "HEAD"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    text = subprocess.run(  # noqa: S603 - fixed argument list, no shell
        [git, "--git-dir", git_dir, "show", f"{commit}:{path}"],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    return text, commit


def en_terms(text: str, max_words: int) -> list[str]:
    """Short, lower-case labels: what a customer would type (no syndromes named after people,
    no numbered subtypes, no parenthesised qualifiers)."""
    out = []
    for line in text.splitlines():
        term = line.strip()
        if not re.fullmatch(r"[a-z][a-z' -]{3,30}[a-z]", term):
            continue
        if len(term.split()) > max_words or term.startswith(("medical use", "model")):
            continue
        out.append(term)
    return sorted(set(out))


def zh_terms(text: str, longest: int) -> list[str]:
    out = [t.strip() for t in text.splitlines()]
    return sorted({t for t in out if re.fullmatch(rf"[\u4e00-\u9fff]{{2,{longest}}}", t)})


def chinese_number(n: int) -> str:
    if n < 10:
        return ZH_DIGITS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else ZH_DIGITS[tens]) + "十" + (ZH_DIGITS[ones] if ones else "")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mirror", default="/work/.mirror", type=pathlib.Path)
    args = parser.parse_args()
    rng = random.Random(SEED)
    locales = sorted({"en_US", "zh_CN", *IBAN_LOCALES, *BBAN_LOCALES, *USER_LOCALES})
    fakers = {loc: Faker(loc) for loc in locales}
    for index, fake in enumerate(fakers.values()):
        fake.seed_instance(SEED + index)
    us, cn = fakers["en_US"], fakers["zh_CN"]

    lists: dict[str, list[str]] = {}
    sources: list[str] = []
    try:
        medication, c1 = git_show(args.mirror, EN_HEALTH_REPO, "en/medication.en.txt")
        disease, _ = git_show(args.mirror, EN_HEALTH_REPO, "en/disease.en.txt")
        zh_disease, c2 = git_show(args.mirror, ZH_HEALTH_REPO, "dict/disease.txt")
        zh_drug, _ = git_show(args.mirror, ZH_HEALTH_REPO, "dict/drug.txt")
    except (subprocess.CalledProcessError, FileNotFoundError) as error:
        print(f"health lists unavailable ({error}); health messages not written")
    else:
        lists = {
            "COND": en_terms(disease, 2),
            "MED": en_terms(medication, 1),
            "ZCOND": zh_terms(zh_disease, 6),
            "ZMED": zh_terms(zh_drug, 8),
        }
        sources = [f"{EN_HEALTH_REPO}@{c1}", f"{ZH_HEALTH_REPO}@{c2}"]
        print("health lists:", {k: len(v) for k, v in lists.items()}, sources)

    def grouped(digits: str, sizes: list[int], sep: str) -> str:
        parts, at = [], 0
        for size in sizes:
            parts.append(digits[at : at + size])
            at += size
        if at < len(digits):
            parts.append(digits[at:])
        return sep.join(p for p in parts if p)

    def card() -> str:
        number = str(us.credit_card_number(card_type=rng.choice(CARD_TYPES)))
        sep = rng.choice([" ", " ", "-", ""])
        if len(number) == 15:
            return grouped(number, [4, 6, 5], sep)
        if len(number) == 14:
            return grouped(number, [4, 6, 4], sep)
        return grouped(number, [4, 4, 4, 4], sep)

    def iban() -> str:
        value = str(fakers[rng.choice(IBAN_LOCALES)].iban())
        return grouped(value, [4] * 8, " ") if rng.random() < 0.5 else value

    def gps(separator: str | None = None) -> str:
        if rng.random() < 0.5:
            place = us.local_latlng(country_code="US", coords_only=True) or ("0.0", "0.0")
            lat, lng = float(place[0]), float(place[1])
        else:
            lat, lng = float(us.latitude()), float(us.longitude())
        places = rng.choice([4, 5, 6])
        sep = separator if separator is not None else rng.choice([", ", ",", " "])
        return f"{lat:.{places}f}{sep}{lng:.{places}f}"

    def wechat(mixed: bool) -> str:
        name = re.sub(r"[^a-z0-9_]", "", str(fakers[rng.choice(USER_LOCALES)].user_name()))
        name = name.lstrip("0123456789_") or "wx"
        roll = rng.random()
        if mixed or roll < 0.5:
            name += rng.choice(["", "_", "-"]) + str(rng.randrange(1, 9999))
        elif roll < 0.7:
            name = name.capitalize()
        name = name[:20]
        while len(name) < 6:
            name += str(rng.randrange(10))
        return name

    def dob(child: bool) -> datetime.date:
        if child:
            start, end = datetime.date(2016, 1, 1), datetime.date(2023, 12, 31)
        else:
            start, end = datetime.date(1950, 1, 1), datetime.date(2004, 12, 31)
        return us.date_between_dates(date_start=start, date_end=end)

    def en_date(d: datetime.date) -> str:
        month, mon = d.strftime("%B"), d.strftime("%b")
        return rng.choice([
            f"{d.day:02d}/{d.month:02d}/{d.year}", f"{d.month}/{d.day}/{d.year}",
            f"{month} {d.day}, {d.year}", f"{d.day} {month} {d.year}", f"{d.day} {mon} {d.year % 100:02d}",
            f"{d.year}-{d.month:02d}-{d.day:02d}", f"{mon} {d.day} {d.year}", f"{d.day:02d}.{d.month:02d}.{d.year}",
            f"{d.day}th of {month} {d.year}" if d.day in range(4, 21) else f"{month} {d.day} {d.year}",
            f"{d.month}/{d.day}/{d.year % 100:02d}",
        ])  # fmt: skip

    def zh_date(d: datetime.date) -> str:
        year_words = "".join(ZH_DIGITS[int(c)] for c in str(d.year))
        short_year = "".join(ZH_DIGITS[int(c)] for c in f"{d.year % 100:02d}")
        return rng.choice([
            f"{d.year}年{d.month}月{d.day}日", f"{d.year}年{d.month:02d}月{d.day:02d}日",
            f"{d.year}.{d.month}.{d.day}", f"{d.year}-{d.month:02d}-{d.day:02d}",
            f"{short_year}年{chinese_number(d.month)}月", f"{d.year % 100:02d}年{d.month}月{d.day}号",
            f"{year_words}年{chinese_number(d.month)}月{chinese_number(d.day)}日",
            f"{d.year}/{d.month}/{d.day}",
        ])  # fmt: skip

    def age(child: bool) -> int:
        return rng.randrange(3, 13) if child else rng.randrange(18, 81)

    def age_yo(n: int) -> str:
        return rng.choice([f"{n} yo", f"{n}yo", f"{n} y/o", f"{n} yrs"])

    def age_years(n: int) -> str:
        return rng.choice([f"{n} years old", f"{n}-year-old", f"{n} year old"])

    def zh_age(n: int) -> str:
        return rng.choice(
            [f"{n}岁", f"{chinese_number(n)}岁", f"{n}周岁", f"{chinese_number(n)}周岁"]
        )

    def track() -> str:
        prefix = rng.choice(TRACK_PREFIXES)
        return prefix + "".join(rng.choice("0123456789") for _ in range(16 - len(prefix)))

    # slot -> (entity, sensitive, make value)
    slots: dict[str, tuple[str, bool, Callable[[], str]]] = {
        "RID": ("CN_RESIDENT_ID", True, lambda: str(cn.ssn())),
        "CARD": ("CREDIT_CARD", True, card),
        "IBAN": ("IBAN_CODE", True, iban),
        "PASS": (
            "PASSPORT",
            True,
            lambda: str(fakers[rng.choice(["en_US", "it_IT", "zh_CN"])].passport_number()),
        ),
        "BANK": ("BANK_ACCOUNT", True, lambda: str(fakers[rng.choice(BBAN_LOCALES)].bban())),
        "ABA": ("BANK_ACCOUNT", True, lambda: str(us.aba())),
        "GPS": ("GPS_COORDINATES", True, gps),
        "GPS_NS": ("GPS_COORDINATES", True, lambda: gps(",")),
        "DOB": ("DATE_OF_BIRTH", False, lambda: en_date(dob(False))),
        "KDOB": ("DATE_OF_BIRTH", True, lambda: en_date(dob(True))),
        "ZDOB": ("DATE_OF_BIRTH", False, lambda: zh_date(dob(False))),
        "ZKDOB": ("DATE_OF_BIRTH", True, lambda: zh_date(dob(True))),
        "AGE_N": ("AGE", False, lambda: str(age(False))),
        "AGE_YO": ("AGE", False, lambda: age_yo(age(False))),
        "AGE_Y": ("AGE", False, lambda: age_years(age(False))),
        "KAGE_N": ("AGE", True, lambda: str(age(True))),
        "KAGE_YO": ("AGE", True, lambda: age_yo(age(True))),
        "KAGE_Y": ("AGE", True, lambda: age_years(age(True))),
        "KAGE_W": ("AGE", True, lambda: EN_NUMBER_WORDS[age(True)]),
        "ZAGE": ("AGE", False, lambda: zh_age(age(False))),
        "ZKAGE": ("AGE", True, lambda: zh_age(age(True))),
        "WX": ("WECHAT_ID", False, lambda: wechat(False)),
        "WXM": ("WECHAT_ID", False, lambda: wechat(True)),
    }
    if lists:
        slots |= {
            "COND": ("HEALTH", True, lambda: rng.choice(lists["COND"])),
            "MED": ("HEALTH", True, lambda: rng.choice(lists["MED"])),
            "ALLERGY_MED": (
                "HEALTH",
                True,
                lambda: (
                    rng.choice(["allergic to ", "I'm allergic to ", "allergy to "])
                    + rng.choice(lists["MED"])
                ),
            ),
            "PREG": (
                "HEALTH",
                True,
                lambda: rng.choice(
                    [
                        f"{rng.randrange(6, 40)} weeks pregnant",
                        f"{rng.randrange(2, 9)} months pregnant",
                        "pregnant",
                    ]
                ),
            ),
            "ZCOND": ("HEALTH", True, lambda: rng.choice(lists["ZCOND"])),
            "ZMED": ("HEALTH", True, lambda: rng.choice(lists["ZMED"])),
            "ZALLERGY": ("HEALTH", True, lambda: f"对{rng.choice(lists['ZMED'])}过敏"),
            "ZPREG": (
                "HEALTH",
                True,
                lambda: rng.choice(
                    [
                        f"怀孕{rng.randrange(6, 40)}周",
                        f"怀孕{chinese_number(rng.randrange(2, 10))}个月",
                        "怀孕",
                    ]
                ),
            ),
        }

    def fill(frame: str) -> tuple[str, list[dict[str, object]]]:
        text = ""
        spans: list[dict[str, object]] = []
        for piece in re.split(r"(\{[A-Z_]+\})", frame):
            name = piece[1:-1] if re.fullmatch(r"\{[A-Z_]+\}", piece) else None
            if name is None:
                text += piece
                continue
            entity, sensitive, make = slots[name]
            value = make()
            if name == "ALLERGY_MED" and value.startswith("I'm "):
                # "I'm" is the speaker, not the allergy: the span starts at "allergic".
                text += "I'm "
                value = value[4:]
            spans.append(
                {
                    "entity_type": entity,
                    "start": len(text),
                    "end": len(text) + len(value),
                    "sensitive": sensitive,
                }
            )
            text += value
        return text, spans

    def row(
        message_id: str, text: str, zh: bool, frame: str, spans: list[dict[str, object]]
    ) -> dict[str, object]:
        return {
            "id": message_id,
            "text": text,
            "language": "zh" if zh else "en",
            "source": "chat_sensitive",
            "split": split_of(frame),
            "spans": spans,
        }

    rows: list[dict[str, object]] = []
    for n in range(LABELLED_MESSAGES):
        zh = rng.random() < 0.4
        frame = rng.choice(ZH_FRAMES if zh else EN_FRAMES)
        text, spans = fill(frame)
        rows.append(row(f"sens-{n}", text, zh, frame, spans))
    clean_fills: dict[str, Callable[[], str]] = {
        "ORDER": lambda: str(rng.randrange(10**11, 10**13)),
        "TRACK": track,
        "SKU": lambda: (
            f"{rng.choice('ABCDEFGHKMNPRSTVWXYZ')}{rng.choice('ABCDEFGHKMNPRSTVWXYZ')}{rng.randrange(1000, 99999)}-{rng.choice(['BLK', 'WHT', 'XL', 'M', 'RED'])}"
        ),
        "PRICE": lambda: f"{rng.randrange(5, 900)}.{rng.randrange(0, 100):02d}",
        "PRICE2": lambda: f"{rng.randrange(5, 900)}.{rng.randrange(0, 100):02d}",
        "SHORTDATE": lambda: rng.choice(
            [
                f"{rng.randrange(1, 29):02d}/{rng.randrange(1, 13):02d}",
                f"March {rng.randrange(1, 29)}",
                f"{rng.randrange(1, 13)}/{rng.randrange(1, 29)}",
            ]
        ),
        "ZSHORTDATE": lambda: f"{rng.randrange(1, 13)}月{rng.randrange(1, 29)}号",
        "HOTLINE": lambda: (
            rng.choice(["400", "800"])
            + rng.choice(["-", " ", ""])
            + f"{rng.randrange(100, 999)}-{rng.randrange(1000, 9999)}"
        ),
        "VERSION": lambda: ".".join(str(rng.randrange(0, 20)) for _ in range(rng.choice([3, 4]))),
    }
    for n in range(CLEAN_MESSAGES):
        zh = rng.random() < 0.4
        frame = rng.choice(CLEAN_ZH if zh else CLEAN_EN)
        text = re.sub(r"\{([A-Z0-9]+)\}", lambda m: clean_fills[m.group(1)](), frame)
        rows.append(row(f"sens-clean-{n}", text, zh, frame, []))
    with OUT.open("w", encoding="utf-8") as handle:
        for r in rows:
            handle.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"wrote {len(rows)} messages to {OUT}")
    if not lists:
        return
    health_rows = []
    for n in range(HEALTH_MESSAGES):
        zh = rng.random() < 0.45
        frame = rng.choice(ZH_HEALTH_FRAMES if zh else EN_HEALTH_FRAMES)
        text, spans = fill(frame)
        health_rows.append(row(f"sens-health-{n}", text, zh, frame, spans))
    HEALTH_OUT.parent.mkdir(parents=True, exist_ok=True)
    with HEALTH_OUT.open("w", encoding="utf-8") as handle:
        for r in health_rows:
            handle.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(
        f"wrote {len(health_rows)} messages to {HEALTH_OUT} (git-ignored; from {', '.join(sources)})"
    )


if __name__ == "__main__":
    main()
