# Look-alike digits, invisible characters and emoji are the data here, on purpose.
# ruff: noqa: RUF001
"""A seeded corpus of attempts to slip a sensitive value past detection (issue 16 item 3).

Valid values (Luhn-valid cards of several brands, GB 11643-valid resident IDs, IBANs with
valid check digits, US SSNs, Chinese mobiles, bank accounts and passports after their
context word, US driver licences after their cue) times transformations an attacker would
try (no-break and other Unicode spaces, zero-width and other invisible characters between
digits or groups, dots, slashes, line breaks, emoji between groups, digits of other scripts,
mixed scripts, keycaps, combinations), each put in an English or a Chinese sentence. The
same seed gives the same corpus: ``variants()`` is a pure function.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

SEED = 16

# First code point of "0" in each script whose digits are consecutive.
DIGIT_ZEROS = {
    "arabic_indic": 0x0660,
    "extended_arabic_indic": 0x06F0,
    "devanagari": 0x0966,
    "bengali": 0x09E6,
    "thai": 0x0E50,
    "fullwidth": 0xFF10,
    "math_bold": 0x1D7CE,
    "math_double_struck": 0x1D7D8,
    "math_sans_serif": 0x1D7E2,
    "math_monospace": 0x1D7F6,
}
CIRCLED = "⓪①②③④⑤⑥⑦⑧⑨"
DINGBAT_CIRCLED = "⓿❶❷❸❹❺❻❼❽❾"
SUPERSCRIPT = "⁰¹²³⁴⁵⁶⁷⁸⁹"
SUBSCRIPT = "₀₁₂₃₄₅₆₇₈₉"


@dataclass(frozen=True, slots=True)
class Base:
    """A valid value: its groups as usually written and how they are joined when plain."""

    entity_type: str
    groups: tuple[str, ...]
    joiner: str
    sentences_en: tuple[str, ...]
    sentences_zh: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Variant:
    id: str
    transform: str
    entity_type: str
    text: str
    start: int
    end: int

    @property
    def value(self) -> str:
        return self.text[self.start : self.end]


def luhn_complete(body: str) -> str:
    """``body`` with the Luhn check digit appended."""
    total = 0
    for index, char in enumerate(reversed(body)):
        value = int(char)
        if index % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return body + str((10 - total % 10) % 10)


def resident_id(address: str, born: str, sequence: str) -> str:
    body = address + born + sequence
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]


def iban(country: str, bban: str) -> str:
    rearranged = bban + country + "00"
    check = 98 - int("".join(str(int(c, 36)) for c in rearranged)) % 97
    return f"{country}{check:02d}{bban}"


def split(value: str, sizes: tuple[int, ...]) -> tuple[str, ...]:
    groups = []
    at = 0
    for size in sizes:
        if at < len(value):
            groups.append(value[at : at + size])
        at += size
    if at < len(value):
        groups.append(value[at:])
    return tuple(groups)


def _digits(rng: random.Random, count: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(count))


CARD_EN = ("my card is {}, please refund it", "Charge it to card {} thanks")
CARD_ZH = ("我的银行卡号是{}，谢谢", "信用卡：{} 请退款")


def _cards(rng: random.Random) -> list[Base]:
    brands = [
        ("4", 16), ("51", 16), ("2221", 16), ("37", 15), ("6011", 16), ("3530", 16),
        ("62", 16), ("62", 19),
    ]  # fmt: skip
    bases = []
    for prefix, length in brands:
        number = luhn_complete(prefix + _digits(rng, length - len(prefix) - 1))
        sizes = (4, 6, 5) if length == 15 else (4, 4, 4, 4, 3)
        bases.append(Base("CREDIT_CARD", split(number, sizes), " ", CARD_EN, CARD_ZH))
    return bases


def _resident_ids(rng: random.Random) -> list[Base]:
    bases = []
    for address in ("110101", "310104", "440305", "510107", "330106"):
        born = f"{rng.randint(1950, 2005)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
        number = resident_id(address, born, _digits(rng, 3))
        bases.append(
            Base(
                "CN_RESIDENT_ID",
                split(number, (6, 8, 4)),
                "",
                ("my ID number is {}.", "Resident ID: {} please check"),
                ("我的身份证号是{}，请核实", "身份证号码 {} 谢谢"),
            )
        )
    return bases


def _ibans(rng: random.Random) -> list[Base]:
    values = [
        iban("DE", _digits(rng, 18)),
        iban("GB", "WEST" + _digits(rng, 14)),
        iban("FR", _digits(rng, 23)),
    ]
    return [
        Base(
            "IBAN_CODE",
            split(value, (4,) * 8),
            " ",
            ("please transfer to IBAN {} today", "my bank account IBAN is {}"),
            ("请汇款到 IBAN {}", "我的银行账户 IBAN：{}"),
        )
        for value in values
    ]


def _ssns(rng: random.Random) -> list[Base]:
    bases = []
    for _ in range(3):
        area = rng.choice([a for a in range(1, 900) if a != 666])
        number = f"{area:03d}{rng.randint(1, 99):02d}{rng.randint(1, 9999):04d}"
        bases.append(
            Base(
                "US_SSN",
                split(number, (3, 2, 4)),
                "-",
                ("my SSN is {}", "social security number {} for the refund"),
                ("我的社会安全号 SSN 是 {}", "SSN：{}"),
            )
        )
    return bases


def _mobiles(rng: random.Random) -> list[Base]:
    return [
        Base(
            "PHONE_NUMBER",
            split(f"1{rng.choice('3456789')}{_digits(rng, 9)}", (3, 4, 4)),
            "",
            ("call me at {} please", "my mobile is {}"),
            ("我的手机号是{}", "电话：{} 谢谢"),
        )
        for _ in range(3)
    ]


def _bank_accounts(rng: random.Random) -> list[Base]:
    return [
        Base(
            "BANK_ACCOUNT",
            split("9" + _digits(rng, length - 1), (4, 4, 4, 4, 3)),
            "",
            ("refund to my bank account {}", "bank account {} please"),
            ("退款到银行账号{}", "我的银行账户是 {}"),
        )
        for length in (16, 19)
    ]


def _passports(rng: random.Random) -> list[Base]:
    return [
        Base(
            "PASSPORT",
            split(f"{letter}{_digits(rng, 8)}", (5, 4)),
            "",
            ("my passport number is {}", "passport {} expires soon"),
            ("我的护照号码是{}", "护照：{}"),
        )
        for letter in ("E", "G")
    ]


def _driver_licenses(rng: random.Random) -> list[Base]:
    return [
        Base(
            "US_DRIVER_LICENSE",
            split(f"{letter}{_digits(rng, 12)}", (4, 4, 5)),
            "",
            ("my driver's license number is {}", "DL# {} exp 2029"),
            ("我的美国驾照号是{}", "驾照：{}"),
        )
        for letter in ("F", "D")
    ]


def bases() -> list[Base]:
    rng = random.Random(SEED)
    return [
        *_cards(rng),
        *_resident_ids(rng),
        *_ibans(rng),
        *_ssns(rng),
        *_mobiles(rng),
        *_bank_accounts(rng),
        *_passports(rng),
        *_driver_licenses(rng),
    ]


# A transformation writes a base's groups as the attacker would.
Transform = Callable[[Base, random.Random], str]


def _joined(separator: str) -> Transform:
    return lambda base, _rng: separator.join(base.groups)


def _between_characters(separator: str) -> Transform:
    return lambda base, _rng: separator.join("".join(base.groups))


def _cycled(separators: tuple[str, ...]) -> Transform:
    def write(base: Base, rng: random.Random) -> str:
        out = base.groups[0]
        for group in base.groups[1:]:
            out += rng.choice(separators) + group
        return out

    return write


def _pairs(separator: str) -> Transform:
    def write(base: Base, _rng: random.Random) -> str:
        value = "".join(base.groups)
        return separator.join(value[i : i + 2] for i in range(0, len(value), 2))

    return write


def in_script(text: str, script: str) -> str:
    zero = DIGIT_ZEROS[script]
    out = []
    for char in text:
        if char.isdigit():
            out.append(chr(zero + int(char)))
        elif script == "fullwidth" and char.isascii() and char.isalnum():
            out.append(chr(ord(char) + 0xFEE0))
        else:
            out.append(char)
    return "".join(out)


def _script(script: str, inner: Transform | None = None) -> Transform:
    def write(base: Base, rng: random.Random) -> str:
        plain = inner(base, rng) if inner else base.joiner.join(base.groups)
        return in_script(plain, script)

    return write


def _mixed_scripts(inner: Transform | None = None) -> Transform:
    def write(base: Base, rng: random.Random) -> str:
        plain = inner(base, rng) if inner else base.joiner.join(base.groups)
        scripts = sorted(DIGIT_ZEROS)
        return "".join(
            chr(DIGIT_ZEROS[rng.choice(scripts)] + int(c)) if c.isdigit() else c for c in plain
        )

    return write


def _per_digit(write_digit: Callable[[str], str]) -> Transform:
    def write(base: Base, _rng: random.Random) -> str:
        plain = base.joiner.join(base.groups)
        return "".join(write_digit(c) if c.isdigit() else c for c in plain)

    return write


TRANSFORMS: dict[str, Transform] = {
    "nbsp": _joined("\u00a0"),
    "narrow-nbsp": _joined("\u202f"),
    "figure-space": _joined("\u2007"),
    "ideographic-space": _joined("\u3000"),
    "nbsp-pairs": _pairs("\u00a0"),
    "zwsp-groups": _joined("\u200b"),
    "zwnj-digits": _between_characters("\u200c"),
    "zwj-digits": _between_characters("\u200d"),
    "word-joiner-digits": _between_characters("\u2060"),
    "bom-groups": _joined("\ufeff"),
    "soft-hyphen-digits": _between_characters("\u00ad"),
    "bidi-marks-digits": _between_characters("\u200e\u200f"),
    "bidi-isolates-groups": _joined("\u2066\u2069"),
    "tag-characters-groups": _joined("\U000e0020\U000e0041"),
    "variation-selector-digits": _between_characters("\ufe0f"),
    "dots": _joined("."),
    "dots-spaced": _joined(" . "),
    "slashes": _joined("/"),
    "en-dash": _joined("–"),
    "middle-dot": _joined("·"),
    "newline": _joined("\n"),
    "crlf": _joined("\r\n"),
    "line-separator": _joined("\u2028"),
    "emoji": _joined("🙂"),
    "emoji-skin-tone": _joined("👍🏽"),
    "emoji-with-selector": _joined("❤️"),
    "emoji-spaced": _joined(" 💳 "),
    "flag": _joined("🇨🇳"),
    "mixed-separators": _cycled((".", "\u00a0", "/", "🙂", "\n", "-", "\u200b", "·")),
    "keycaps": _per_digit(lambda c: c + "\ufe0f\u20e3"),
    "combining-underline": _per_digit(lambda c: c + "\u0332"),
    "circled": _per_digit(lambda c: CIRCLED[int(c)]),
    "dingbat-circled": _per_digit(lambda c: DINGBAT_CIRCLED[int(c)]),
    "superscript": _per_digit(lambda c: SUPERSCRIPT[int(c)]),
    "subscript": _per_digit(lambda c: SUBSCRIPT[int(c)]),
    **{script.replace("_", "-"): _script(script) for script in DIGIT_ZEROS},
    "mixed-scripts": _mixed_scripts(),
    "arabic-indic-zwsp": _script("arabic_indic", _between_characters("\u200b")),
    "fullwidth-emoji": _script("fullwidth", _joined("🙂")),
    "devanagari-dots-nbsp": _script("devanagari", _cycled((".", "\u00a0"))),
    "mixed-scripts-newline": _mixed_scripts(_joined("\n")),
    "mixed-scripts-soft-hyphen": _mixed_scripts(_between_characters("\u00ad")),
    "math-bold-mixed-separators": _script(
        "math_bold", _cycled(("\u2060", " / ", "\n", "💳", "\u00a0"))
    ),
}


def variants() -> list[Variant]:
    """Every base value written every way, each in one English or Chinese sentence."""
    rng = random.Random(SEED)
    out = []
    for transform_name, transform in TRANSFORMS.items():
        for index, base in enumerate(bases()):
            value = transform(base, rng)
            sentences = base.sentences_zh if rng.random() < 0.5 else base.sentences_en
            sentence = rng.choice(sentences)
            start = sentence.index("{}")
            text = sentence.replace("{}", value)
            out.append(
                Variant(
                    id=f"{transform_name}-{base.entity_type}-{index}",
                    transform=transform_name,
                    entity_type=base.entity_type,
                    text=text,
                    start=start,
                    end=start + len(value),
                )
            )
    return out
