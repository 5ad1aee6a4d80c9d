"""A pattern that runs out of time fails closed: the text is refused, never passed on with
what was found before the time-out (or with nothing found), through the recognizers, the
Detector, the detection filter (`chat-service detect`) and the process pool."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import pathlib
import shutil
from collections.abc import Iterator
from typing import ClassVar, override

import pytest
import regex
from presidio_analyzer import RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from chat_service.scanning import PoolScanner, TextNotScanned
from detectors import (
    DetectionUnavailableError,
    Detector,
    DetectorPool,
    PatternTimeoutError,
    TextRefusedError,
    run_filter,
)
from detectors.recognizers.base import (
    REGEX_TIMEOUT,
    ProjectLocalRecognizer,
    ProjectPatternRecognizer,
    make_result,
    set_regex_timeout,
)

# Exponential backtracking: (a|aa)+ tries every split of the a's before failing at the b.
CATASTROPHIC = r"(?:a|aa)+$"
HOSTILE = "a" * 60 + "b"
CARD_TEXT = "please refund card 4111 1111 1111 1111"
# Far below what any pattern needs on any text: every pattern run on a non-empty text times out.
TINY_TIMEOUT_SECS = 1e-9


@pytest.fixture
def regex_timeout() -> Iterator[None]:
    """The process-wide regex timeout is restored after the test (the detector is shared)."""
    before = REGEX_TIMEOUT.secs
    try:
        yield
    finally:
        set_regex_timeout(before)


class CatastrophicPatternRecognizer(ProjectPatternRecognizer):
    ENTITY = "PERSON"
    PATTERNS_SPEC = (("plain_name", r"Mr\. [A-Z][a-z]+", 0.8), ("runaway", CATASTROPHIC, 0.8))


class CatastrophicLocalRecognizer(ProjectLocalRecognizer):
    ENTITY = "PERSON"
    PATTERNS: ClassVar[tuple[regex.Pattern[str], ...]] = (
        regex.compile(r"Mr\. [A-Z][a-z]+"),
        regex.compile(CATASTROPHIC),
    )

    @override
    def find(self, text: str, nlp_artifacts: NlpArtifacts | None) -> list[RecognizerResult]:
        results: list[RecognizerResult] = []
        for pattern in self.PATTERNS:
            results.extend(
                make_result(self.ENTITY, *match.span(), 0.8, "local", "test")
                for match in pattern.finditer(text, timeout=REGEX_TIMEOUT.secs)
            )
        return results


def copy_config(source: pathlib.Path, target: pathlib.Path, timeout_secs: float) -> pathlib.Path:
    for name in ("detection.toml", "categories.toml"):
        shutil.copy(source / name, target / name)
    toml = target / "detection.toml"
    text = toml.read_text(encoding="utf-8")
    assert "regex_timeout_secs = 1.0" in text
    toml.write_text(
        text.replace("regex_timeout_secs = 1.0", f"regex_timeout_secs = {timeout_secs!r}"),
        encoding="utf-8",
    )
    return target


@pytest.mark.parametrize(
    ("recognizer", "pattern"),
    [
        pytest.param(CatastrophicPatternRecognizer(), "runaway", id="pattern-recognizer"),
        pytest.param(
            CatastrophicLocalRecognizer(), "test_regex_timeout.py:", id="local-recognizer"
        ),
    ],
)
def test_when_a_recognizer_pattern_times_out_then_the_text_is_refused_and_logged_once(
    recognizer: ProjectPatternRecognizer | ProjectLocalRecognizer,
    pattern: str,
    regex_timeout: None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Before, the recognizer logged and returned what it had found (Mr. Kozlowski, not the
    rest) or nothing: the message went out with the rest unmasked."""
    set_regex_timeout(0.05)
    text = "Mr. Kozlowski wrote " + HOSTILE
    with (
        caplog.at_level(logging.WARNING, logger="detectors.recognizers.base"),
        pytest.raises(PatternTimeoutError) as refused,
    ):
        recognizer.analyze(text, ["PERSON"], None)
    name = type(recognizer).__name__
    assert refused.value.recognizer == name
    assert refused.value.pattern.startswith(pattern)
    assert str(refused.value).startswith(f"regex timed out: {name}, pattern {pattern}")
    [record] = caplog.records
    assert name in record.getMessage() and pattern in record.getMessage()
    assert "Kozlowski" not in record.getMessage() and HOSTILE not in record.getMessage()


def test_when_a_pattern_times_out_in_the_detector_then_detection_refuses_the_text(
    detector: Detector, regex_timeout: None
) -> None:
    set_regex_timeout(TINY_TIMEOUT_SECS)
    with pytest.raises(PatternTimeoutError, match="regex timed out"):
        detector.detect(CARD_TEXT)


def test_when_a_pattern_times_out_in_the_filter_then_that_line_gets_an_error_and_the_stream_goes_on(
    config_dir: pathlib.Path, tmp_path: pathlib.Path, regex_timeout: None
) -> None:
    """`chat-service detect` (CONTRACT section 3): the line is answered with an error, never
    with findings that miss the card."""
    config = copy_config(config_dir, tmp_path, TINY_TIMEOUT_SECS)
    lines = [
        json.dumps({"id": "card", "text": CARD_TEXT}),
        json.dumps({"id": "empty", "text": ""}),  # no pattern runs on it: answered as usual
    ]
    stdout = io.StringIO()
    assert run_filter(io.StringIO("\n".join(lines) + "\n"), stdout, None, config) == 0
    card, empty = (json.loads(line) for line in stdout.getvalue().splitlines())
    assert set(card) == {"id", "error"} and card["id"] == "card"
    assert card["error"].startswith("regex timed out: ")
    assert empty == {"id": "empty", "findings": []}


@pytest.mark.timeout(240)
async def test_when_a_pattern_times_out_in_a_pool_worker_then_that_message_alone_is_refused(
    config_dir: pathlib.Path, tmp_path: pathlib.Path
) -> None:
    """The server's path: the caller gets DetectionUnavailableError naming the time-out (the
    send is refused, nothing stored); another message of the same batch gets its answer."""
    pool = DetectorPool(copy_config(config_dir, tmp_path, TINY_TIMEOUT_SECS), workers=1)
    await pool.start()
    try:
        card, empty = await asyncio.gather(
            pool.detect(CARD_TEXT, owner="customer:a"),
            pool.detect("", owner="customer:b"),
            return_exceptions=True,
        )
        with pytest.raises(TextNotScanned, match="regex timed out"):  # the server's adapter
            await PoolScanner(pool).scan(CARD_TEXT, None, "customer:a")
    finally:
        await pool.close()
    # Refused for this text (sending it again will not help), not an outage; still a
    # DetectionUnavailableError for callers that only know that one.
    assert isinstance(card, TextRefusedError), card
    assert isinstance(card, DetectionUnavailableError)
    assert "regex timed out" in str(card)
    assert empty == []
