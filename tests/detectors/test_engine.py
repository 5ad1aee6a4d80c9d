# Chinese punctuation and full-width characters are the data here, on purpose.
# ruff: noqa: RUF001
"""The Detector as a whole: categories, minors, known customers, languages and bad input."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from detectors import DetectionConfig, Detector, Finding, KnownCustomer, TextTooLongError
from detectors.resolve import Suppressor
from tests.detectors.assertions import assert_no_findings, assert_valid_offsets, values_of


def only(findings: list[Finding], entity_type: str) -> Finding:
    matching = [f for f in findings if f.entity_type == entity_type]
    assert len(matching) == 1, findings
    return matching[0]


@pytest.mark.parametrize(
    ("text", "entity_type", "category", "sensitive"),
    [
        pytest.param("my son is 8 years old", "AGE", "minor", True, id="child-age"),
        pytest.param("I am 45 years old", "AGE", "demographic", False, id="adult-age"),
        pytest.param("孩子今年十岁", "AGE", "minor", True, id="child-age-zh"),
        pytest.param("she was born on 2020-05-01", "DATE_OF_BIRTH", "minor", True, id="child-dob"),
        pytest.param(
            "born 2012-11-27", "DATE_OF_BIRTH", "minor", True, id="dob-one-day-short-of-14"
        ),
        pytest.param("born 2012-11-26", "DATE_OF_BIRTH", "demographic", False, id="dob-14-today"),
        # Issue 15: a year alone counts as its last day (the youngest the person can be); ages
        # in words and birthdays without a year.
        pytest.param("I was born in 2013", "DATE_OF_BIRTH", "minor", True, id="born-year-child"),
        pytest.param("b. 1990", "DATE_OF_BIRTH", "demographic", False, id="born-year-adult"),
        pytest.param(
            "my birthday is the 5th of March", "DATE_OF_BIRTH", "demographic", False, id="no-year"
        ),
        pytest.param("my kid is seven", "AGE", "minor", True, id="child-age-in-words"),
        pytest.param("DOB: March 2015", "DATE_OF_BIRTH", "minor", True, id="month-year-child"),
        pytest.param("I am forty-two years old", "AGE", "demographic", False, id="adult-words"),
        pytest.param(
            "身份证11010519491231002X", "CN_RESIDENT_ID", "identity_document", True, id="id"
        ),
        pytest.param("card 4111 1111 1111 1111", "CREDIT_CARD", "financial", True, id="card"),
        pytest.param("I have asthma", "HEALTH", "health", True, id="health"),
        pytest.param(
            "at 31.230416, 121.473701", "GPS_COORDINATES", "precise_location", True, id="gps"
        ),
        pytest.param("call 13812345678", "PHONE_NUMBER", "contact", False, id="phone"),
    ],
)
def test_when_entity_is_found_then_category_and_sensitivity_follow_policy(
    detector: Detector, text: str, entity_type: str, category: str, sensitive: bool
) -> None:
    finding = only(detector.detect(text), entity_type)
    assert (finding.category, finding.sensitive) == (category, sensitive)
    assert finding.explanation


def test_when_reference_date_is_injected_then_minor_status_follows_it(
    detection_config: DetectionConfig,
) -> None:
    text = "born 2012-11-27"
    early = Detector(detection_config, today=lambda: dt.date(2026, 11, 26))
    late = Detector(detection_config, today=lambda: dt.date(2026, 11, 27))
    assert only(early.detect(text), "DATE_OF_BIRTH").category == "minor"
    assert only(late.detect(text), "DATE_OF_BIRTH").category == "demographic"


@pytest.mark.parametrize(
    ("text", "known", "entity_type", "expected"),
    [
        pytest.param(
            "call me on 138 1234 5678",
            KnownCustomer(phone="+86 13812345678"),
            "PHONE_NUMBER",
            ["138 1234 5678"],
            id="phone-spaced",
        ),
        pytest.param(
            "尾号5678的手机",
            KnownCustomer(phone="13812345678"),
            "PHONE_NUMBER",
            ["5678"],
            id="phone-last-digits",
        ),
        pytest.param(
            "号码138****5678",
            KnownCustomer(phone="13812345678"),
            "PHONE_NUMBER",
            ["138****5678"],
            id="phone-masked",
        ),
        pytest.param(
            "找一下陈女士",
            KnownCustomer(name="陈丽华"),
            "PERSON",
            ["陈女士"],
            id="surname-honorific",
        ),
        pytest.param(
            "it is for davis",
            KnownCustomer(name="Rachel Davis"),
            "PERSON",
            ["davis"],
            id="name-part-any-case",
        ),
        pytest.param(
            "送到张江路123号",
            KnownCustomer(address="上海市浦东新区张江路123号"),
            "STREET_ADDRESS",
            ["张江路123号"],
            id="address-part",
        ),
    ],
)
def test_when_known_customer_values_appear_then_they_are_flagged_with_high_score(
    detector: Detector, text: str, known: KnownCustomer, entity_type: str, expected: list[str]
) -> None:
    findings = detector.detect(text, known=known)
    assert values_of(findings, text, entity_type) == expected
    assert all(f.score >= 0.9 for f in findings if f.entity_type == entity_type)


@pytest.mark.parametrize(
    "text",
    [
        "Where is my order #NB-20261126001? It was due 2026-11-28.",
        "Tracking number SF1234567890123 shows no movement.",
        "Can I use coupon SAVE20 on SKU A72598-WHT?",
        "The XPS 9530 costs $1,299.00, app version v2.10.3 crashes.",
        "checksum e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "订单号2026112600123456什么时候发货？快递单号YT1234567890123",
        "我想退货，货号NB10233-BLK，价格299元，优惠码WELCOME10",
        "order 13812345678 was cancelled",
        "Invoice INV-7148115 total is £238",
    ],
)
def test_when_message_has_only_shop_identifiers_then_nothing_is_flagged(
    detector: Detector, text: str
) -> None:
    assert_no_findings(detector, text)


def test_when_message_mixes_languages_then_both_are_detected(detector: Detector) -> None:
    text = "你好, my name is Rachel Davis, 收件人梁鑫, 电话13812345678"
    findings = detector.detect(text)
    assert values_of(findings, text, "PERSON") == ["Rachel Davis", "梁鑫"]
    assert values_of(findings, text, "PHONE_NUMBER") == ["13812345678"]


@pytest.mark.parametrize("language", [None, "en", "zh"])
def test_when_language_is_given_or_not_then_findings_do_not_depend_on_it(
    detector: Detector, language: str | None
) -> None:
    text = "身份证号11010519491231002X, email rachel@example.com"
    assert values_of(detector.detect(text, language), text, "CN_RESIDENT_ID") == [
        "11010519491231002X"
    ]


def test_when_batch_is_detected_then_results_match_single_detection(detector: Detector) -> None:
    texts = ["Hi, this is Rachel Davis", "身份证11010519491231002X", "", "order NB-20261126001"]
    batch = detector.detect_batch([(t, None, None) for t in texts])
    assert batch == [detector.detect(t) for t in texts]


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("", id="empty"),
        pytest.param("\x00\x01\x1b[31m card 4111111111111111 \x7f", id="control-characters"),
        pytest.param("\ud800 lone surrogate then 4111111111111111 \udfff", id="lone-surrogates"),
        pytest.param("🙂" * 50 + " 4111111111111111", id="astral-plane"),
    ],
)
def test_when_input_is_odd_then_offsets_stay_valid(detector: Detector, text: str) -> None:
    findings = detector.detect(text)
    assert_valid_offsets(text, findings)
    if "4111" in text:
        assert values_of(findings, text, "CREDIT_CARD") == ["4111111111111111"]


@pytest.mark.parametrize(
    "filler",
    [
        pytest.param("0" * 4000, id="digit-run"),
        pytest.param("8" * 4000, id="digit-run-8"),
        pytest.param("1." * 2000, id="dotted-digits"),
        pytest.param("1 " * 2000, id="spaced-digits"),
    ],
)
def test_when_a_long_digit_run_comes_first_then_detection_answers_and_finds_what_follows(
    detector: Detector, filler: str
) -> None:
    """A hostile run of digits made the shop's price pattern backtrack quadratically past the
    regex time limit: detection raised (a message was refused with 503, the filter died)."""
    text = filler + " my card is 4111 1111 1111 1111"
    findings = detector.detect(text)
    assert values_of(findings, text, "CREDIT_CARD") == ["4111 1111 1111 1111"]


def test_when_an_identifier_pattern_runs_out_of_time_then_it_excuses_nothing() -> None:
    suppressor = Suppressor([r"(?:a|aa)+$", r"ORD\d+"], [], 10)
    text = "a" * 60 + "b ORD123"
    assert suppressor.identifier_spans(text, timeout=0.05) == [(62, 68)]


@pytest.mark.parametrize("bad", [None, 42, b"bytes", ["list"]])
def test_when_text_is_not_a_string_then_type_error(detector: Detector, bad: object) -> None:
    with pytest.raises(TypeError):
        detector.detect(bad)  # type: ignore[arg-type]  # deliberately the wrong type


def test_when_language_is_unsupported_then_value_error(detector: Detector) -> None:
    with pytest.raises(ValueError, match="unsupported language"):
        detector.detect("hello", "fr")


def test_when_text_exceeds_the_limit_then_it_is_refused(detector: Detector) -> None:
    limit = detector.config.detection.engine.max_text_chars
    with pytest.raises(TextTooLongError):
        detector.detect("a" * (limit + 1))


def test_when_message_is_one_megabyte_then_detection_finishes_in_bounded_time(
    detector: Detector,
) -> None:
    filler = "The quick brown fox asks about order NB-20261126001. 我的包裹还没到。 " * 20_000
    text = filler[:500_000] + " card 4111 1111 1111 1111 " + filler[:500_000]
    started = time.perf_counter()
    findings = detector.detect(text)
    elapsed = time.perf_counter() - started
    assert values_of(findings, text, "CREDIT_CARD") == ["4111 1111 1111 1111"]
    assert elapsed < 60, f"1 MB took {elapsed:.1f} s"
