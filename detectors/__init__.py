"""PII detection for customer-service messages (see detectors/README.md).

Public API: ``Finding``, ``KnownCustomer``, ``load_detection_config``, ``Detector`` (sync),
``DetectorPool`` (async, process pool; also reads pictures, PDFs and text files:
``DocumentScan``, ``DocumentFinding``, ``Box``), ``run_filter`` (the CONTRACT section 3 filter).
No Presidio or spaCy type leaves this package.

The names load on first use: `detectors.config` (the models of detection.toml and
categories.toml) can be imported to check configuration without loading Presidio, spaCy
or jieba.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the names as mypy sees them; at run time __getattr__ loads them
    from detectors.config import DetectionConfig as DetectionConfig
    from detectors.config import default_config_dir as default_config_dir
    from detectors.config import load_detection_config as load_detection_config
    from detectors.documents import Box as Box
    from detectors.documents import DocumentFinding as DocumentFinding
    from detectors.documents import DocumentKind as DocumentKind
    from detectors.documents import DocumentScan as DocumentScan
    from detectors.documents import DocumentTimeoutError as DocumentTimeoutError
    from detectors.documents import DocumentUnreadableError as DocumentUnreadableError
    from detectors.engine import Detector as Detector
    from detectors.engine import TextTooLongError as TextTooLongError
    from detectors.filter import run_filter as run_filter
    from detectors.findings import Finding as Finding
    from detectors.findings import KnownCustomer as KnownCustomer
    from detectors.pool import DetectionUnavailableError as DetectionUnavailableError
    from detectors.pool import DetectorPool as DetectorPool
    from detectors.pool import TextRefusedError as TextRefusedError
    from detectors.recognizers.base import PatternTimeoutError as PatternTimeoutError

_MODULE_OF = {
    "Box": "detectors.documents",
    "DetectionConfig": "detectors.config",
    "DetectionUnavailableError": "detectors.pool",
    "Detector": "detectors.engine",
    "DetectorPool": "detectors.pool",
    "DocumentFinding": "detectors.documents",
    "DocumentKind": "detectors.documents",
    "DocumentScan": "detectors.documents",
    "DocumentTimeoutError": "detectors.documents",
    "DocumentUnreadableError": "detectors.documents",
    "Finding": "detectors.findings",
    "KnownCustomer": "detectors.findings",
    "PatternTimeoutError": "detectors.recognizers.base",
    "TextRefusedError": "detectors.pool",
    "TextTooLongError": "detectors.engine",
    "default_config_dir": "detectors.config",
    "load_detection_config": "detectors.config",
    "run_filter": "detectors.filter",
}

__all__ = sorted(_MODULE_OF)


def __getattr__(name: str) -> object:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'detectors' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups are plain attribute reads
    return value
