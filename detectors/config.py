"""Detection configuration: ``config/detection.toml`` and ``config/categories.toml``.

See detectors/README.md. Loading is fail-fast: a missing file, an unknown key or a bad
value raises; there is no silent fallback to defaults.
"""

from __future__ import annotations

import datetime as dt
import pathlib
import tomllib
from typing import Annotated

import regex
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

DETECTION_FILE = "detection.toml"
CATEGORIES_FILE = "categories.toml"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class EngineConfig(_Frozen):
    spacy_model: str
    score_threshold: Annotated[float, Field(ge=0.0, le=1.0)]
    chunk_chars: Annotated[int, Field(ge=200)]
    chunk_overlap_chars: Annotated[int, Field(ge=0)]
    max_text_chars: Annotated[int, Field(ge=1)]
    ner_batch_size: Annotated[int, Field(ge=1)]
    deep_nlp_max_chars: Annotated[int, Field(ge=0)]
    regex_timeout_secs: Annotated[float, Field(gt=0.0)]
    context_window_before_chars: Annotated[int, Field(ge=0)]
    context_window_after_chars: Annotated[int, Field(ge=0)]
    context_boost: Annotated[float, Field(ge=0.0, le=1.0)]
    negative_context_window_chars: Annotated[int, Field(ge=0)]

    @model_validator(mode="after")
    def _overlap_smaller_than_chunk(self) -> EngineConfig:
        if self.chunk_overlap_chars * 2 >= self.chunk_chars:
            raise ValueError("chunk_overlap_chars must be less than half of chunk_chars")
        return self


class MinorsConfig(_Frozen):
    age_threshold_years: Annotated[int, Field(ge=1, le=30)]
    # Fixed "today" for reproducible tests; None means the real current date.
    reference_date: dt.date | None = None


class SuppressPattern(_Frozen):
    name: str
    regex: str
    description: str = ""

    @field_validator("regex")
    @classmethod
    def _compiles(cls, value: str) -> str:
        regex.compile(value)
        return value


class SuppressConfig(_Frozen):
    """Shop identifier formats (order, tracking, SKU, coupon...) that are never findings."""

    patterns: tuple[SuppressPattern, ...]
    # Words that, right before a span, say it is a shop identifier and not personal data.
    negative_context: tuple[str, ...]


class NotPersonalConfig(_Frozen):
    """What looks like personal data but is the shop's or the goods' (not_personal.py)."""

    shop_phones: tuple[str, ...] = ()
    shop_emails: tuple[str, ...] = ()
    brands: tuple[str, ...] = ()
    place_words_before: tuple[str, ...] = ()
    place_words_after: tuple[str, ...] = ()
    place_window_chars: Annotated[int, Field(ge=0)] = 16


class DocumentsConfig(_Frozen):
    """Reading pictures, PDFs and text files (detectors/documents.py)."""

    # Tesseract language packs joined with "+", e.g. ["eng", "chi_sim"].
    ocr_languages: Annotated[tuple[str, ...], Field(min_length=1)]
    # Tesseract page segmentation mode (11 = sparse text: screenshots, ID cards).
    ocr_page_segmentation_mode: Annotated[int, Field(ge=0, le=13)]
    # Limit for reading one document in the worker (decode, parse, OCR), in seconds.
    read_timeout_secs: Annotated[float, Field(gt=0.0)]
    # Extra time the pool allows (detection of the text included) before it declares the
    # worker stuck, answers DocumentTimeoutError and replaces the workers.
    hang_grace_secs: Annotated[float, Field(gt=0.0)]
    max_image_pixels: Annotated[int, Field(ge=1)]
    pdf_max_pages: Annotated[int, Field(ge=1)]
    # A document whose text is longer is unreadable (never scanned in part).
    max_text_chars: Annotated[int, Field(ge=1)]
    # Pixels added around each box when a picture is redacted.
    redaction_margin_px: Annotated[int, Field(ge=0)]
    # Larger pictures are reduced (by a whole factor) to at most this many pixels before OCR;
    # the boxes found are scaled back to the picture. Bounds a worker's memory per picture.
    ocr_max_pixels: Annotated[int, Field(ge=1_000_000)]

    @field_validator("ocr_languages")
    @classmethod
    def _language_names(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for name in value:
            if not regex.fullmatch(r"[a-z]{3}(?:_[a-z]+)?", name):
                raise ValueError(f"not a Tesseract language name: {name!r}")
        return value


class DetectionSettings(_Frozen):
    engine: EngineConfig
    minors: MinorsConfig
    suppress: SuppressConfig
    entity_thresholds: dict[str, Annotated[float, Field(ge=0.0, le=1.0)]]
    documents: DocumentsConfig
    not_personal: NotPersonalConfig = NotPersonalConfig()

    @model_validator(mode="after")
    def _document_text_fits_the_engine(self) -> DetectionSettings:
        if self.documents.max_text_chars > self.engine.max_text_chars:
            raise ValueError("documents.max_text_chars must not exceed engine.max_text_chars")
        return self


class CategoryConfig(_Frozen):
    description: str
    sensitive: bool


class CategoriesSettings(_Frozen):
    minor_category: str
    categories: dict[str, CategoryConfig]
    entities: dict[str, str]

    @model_validator(mode="after")
    def _entities_map_to_known_categories(self) -> CategoriesSettings:
        unknown = {c for c in self.entities.values() if c not in self.categories}
        if self.minor_category not in self.categories:
            unknown.add(self.minor_category)
        if unknown:
            raise ValueError(f"unknown categories referenced: {sorted(unknown)}")
        for entity in self.entities:
            if not regex.fullmatch(r"[A-Z][A-Z0-9_]*", entity):
                raise ValueError(f"entity type {entity!r} is not upper snake case")
        return self


class DetectionConfig(_Frozen):
    detection: DetectionSettings
    categories: CategoriesSettings

    def category_of(self, entity_type: str) -> tuple[str, bool]:
        name = self.categories.entities[entity_type]
        return name, self.categories.categories[name].sensitive

    def sensitive_entities(self) -> frozenset[str]:
        """Entity types whose category is sensitive."""
        categories = self.categories
        return frozenset(
            entity
            for entity, name in categories.entities.items()
            if categories.categories[name].sensitive
        )

    def minor(self) -> tuple[str, bool]:
        name = self.categories.minor_category
        return name, self.categories.categories[name].sensitive


def default_config_dir() -> pathlib.Path:
    """The repository's ``config/`` directory."""
    return pathlib.Path(__file__).resolve().parent.parent / "config"


def _read_toml(path: pathlib.Path) -> dict[str, object]:
    if not path.is_file():
        raise FileNotFoundError(f"detection config file missing: {path}")
    with path.open("rb") as handle:
        return tomllib.load(handle)


def load_detection_config(config_dir: pathlib.Path) -> DetectionConfig:
    """Load and validate both TOML files; raises on anything missing or unknown."""
    return DetectionConfig(
        detection=DetectionSettings.model_validate(_read_toml(config_dir / DETECTION_FILE)),
        categories=CategoriesSettings.model_validate(_read_toml(config_dir / CATEGORIES_FILE)),
    )
