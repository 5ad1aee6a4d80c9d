# Chinese punctuation and full-width characters are the data here, on purpose.
# ruff: noqa: RUF001
"""GPS_COORDINATES: decimal-degree pairs and degree-minute-second pairs (precise location).

Latitude must be within [-90, 90] and longitude within [-180, 180]; at least three decimals
are required so prices and measurements ("12.99, 15.49") do not match.
"""

from __future__ import annotations

from typing import ClassVar, override

import regex

from detectors.recognizers.base import (
    HAS_DIGIT,
    REGEX_TIMEOUT,
    PatternSpec,
    ProjectPatternRecognizer,
)

_NUM = r"[-+]?\d{1,3}\.\d{3,10}"
_DMS = r"\d{1,3}\s?°\s?\d{1,2}\s?['′]\s?(?:\d{1,2}(?:\.\d+)?\s?[\"″]\s?)?"


class GenericGpsCoordinatesRecognizer(ProjectPatternRecognizer):
    ENTITY = "GPS_COORDINATES"
    GUARD = HAS_DIGIT
    PATTERNS_SPEC: ClassVar[tuple[PatternSpec, ...]] = (
        (
            "decimal_pair",
            rf"(?<![\d.]){_NUM}°?(?:\s?[NS])?\s?[,，/ ]\s?{_NUM}°?(?:\s?[EW])?(?![\d.])",
            0.5,
        ),
        (
            "hemisphere_first",
            r"(?<![0-9A-Za-z_.])[NS]\s?\d{1,2}\.\d{3,10}°?[,，\s]\s?[EW]\s?\d{1,3}\.\d{3,10}°?(?![\d.])",
            0.7,
        ),
        ("dms", rf"{_DMS}[NS][,，\s]*{_DMS}[EW]", 0.8),
    )
    CONTEXT_WORDS = (
        "gps", "coordinates", "coords", "lat", "latitude", "lng", "lon", "longitude", "location",
        "pin", "坐标", "经纬度", "纬度", "经度", "定位", "位置",
    )  # fmt: skip
    CHECK_EXPLANATION = "latitude and longitude in range"

    @override
    def validate_result(self, pattern_text: str) -> bool | None:
        if "°" in pattern_text and "." not in pattern_text:
            return None
        numbers = [
            float(n)
            for n in regex.findall(r"[-+]?\d{1,3}\.\d+", pattern_text, timeout=REGEX_TIMEOUT.secs)
        ]
        if len(numbers) != 2:
            return None
        lat, lng = numbers
        if not (-90 <= lat <= 90 and -180 <= lng <= 180):
            return False
        return None
