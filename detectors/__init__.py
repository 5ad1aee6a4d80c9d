"""PII detection for customer-service messages (see detectors/README.md).

Public API: ``Finding``, ``KnownCustomer``, ``load_detection_config``, ``Detector`` (sync),
``DetectorPool`` (async, process pool; also reads pictures, PDFs and text files:
``DocumentScan``, ``DocumentFinding``, ``Box``), ``run_filter`` (the CONTRACT section 3 filter).
No Presidio or spaCy type leaves this package.
"""

from __future__ import annotations

from detectors.config import DetectionConfig, default_config_dir, load_detection_config
from detectors.documents import (
    Box,
    DocumentFinding,
    DocumentKind,
    DocumentScan,
    DocumentTimeoutError,
    DocumentUnreadableError,
)
from detectors.engine import Detector, TextTooLongError
from detectors.filter import run_filter
from detectors.findings import Finding, KnownCustomer
from detectors.pool import DetectionUnavailableError, DetectorPool

__all__ = [
    "Box",
    "DetectionConfig",
    "DetectionUnavailableError",
    "Detector",
    "DetectorPool",
    "DocumentFinding",
    "DocumentKind",
    "DocumentScan",
    "DocumentTimeoutError",
    "DocumentUnreadableError",
    "Finding",
    "KnownCustomer",
    "TextTooLongError",
    "default_config_dir",
    "load_detection_config",
    "run_filter",
]
