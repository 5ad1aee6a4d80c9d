"""Detection fixtures: one real Detector (Presidio + spaCy) per test session."""

from __future__ import annotations

import datetime as dt
import pathlib

import pytest

from detectors import DetectionConfig, Detector, default_config_dir, load_detection_config

REFERENCE_DATE = dt.date(2026, 11, 26)


@pytest.fixture(scope="session")
def config_dir() -> pathlib.Path:
    return default_config_dir()


@pytest.fixture(scope="session")
def detection_config(config_dir: pathlib.Path) -> DetectionConfig:
    return load_detection_config(config_dir)


@pytest.fixture(scope="session")
def detector(detection_config: DetectionConfig) -> Detector:
    return Detector(detection_config, today=lambda: REFERENCE_DATE)
