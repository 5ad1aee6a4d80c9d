"""`config/attachments.toml` -> a frozen, validated model (unknown keys are an error).

The allow-list is a table of types: each names its content type, how it is handled
(`sanitizer`: image, pdf or text), the file-name extensions it may carry and its largest
size. Anything not in the table is refused (415).

One limit for text: detection reads at most `[documents] max_text_chars` characters of a
document (config/detection.toml) and holds a longer one unscanned, so the text type's
`max_bytes` may not exceed it (a UTF-8 character takes at least one byte, so a file within
`max_bytes` has at most that many characters). Loading refuses a configuration that breaks
this; an upload over the limit is refused with 413 `too_large` as it streams in, before
anything is scanned.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from chat_service.errors import ConfigError
from chat_service.tomlfile import load_toml

DETECTION_FILE = "detection.toml"
Sanitizer = Literal["image", "pdf", "text"]
# The content types this version can sniff and sanitise; the allow-list picks among them.
KNOWN_TYPES: dict[str, Sanitizer] = {
    "image/jpeg": "image",
    "image/png": "image",
    "image/webp": "image",
    "application/pdf": "pdf",
    "text/plain": "text",
}


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class AllowedType(_Frozen):
    content_type: str
    # Lower case, without the dot; the first is the one forced onto stored names.
    extensions: tuple[str, ...] = Field(min_length=1)
    max_bytes: int = Field(gt=0)

    @property
    def sanitizer(self) -> Sanitizer:
        return KNOWN_TYPES[self.content_type]

    @model_validator(mode="after")
    def _known(self) -> Self:
        if self.content_type not in KNOWN_TYPES:
            raise ValueError(
                f"content_type {self.content_type!r} cannot be sniffed or sanitised; "
                f"known: {sorted(KNOWN_TYPES)}"
            )
        for ext in self.extensions:
            if not ext or ext != ext.lower() or not ext.isascii() or not ext.isalnum():
                raise ValueError(f"extension {ext!r}: lower-case letters and digits, no dot")
        return self


class AttachmentsConfig(_Frozen):
    # Largest upload of any type, in bytes (per-type limits may only be lower).
    max_upload_bytes: int = Field(gt=0)
    # Largest picture in pixels (width x height), read from the header before decoding;
    # also Pillow's Image.MAX_IMAGE_PIXELS (decompression bombs).
    max_image_pixels: int = Field(gt=0)
    # Largest PDF, in pages.
    max_pdf_pages: int = Field(gt=0)
    # Longest stored file name, in characters (after sanitising).
    max_name_chars: int = Field(ge=16, le=255)
    # Seconds the scan (OCR, text extraction, detection) may take before the upload is held.
    scan_timeout_secs: float = Field(gt=0)
    # Hours an upload no message used is kept before retention deletes it (and its blobs).
    unsent_retention_hours: float = Field(gt=0)
    # Most bytes of file contents in one customer export; beyond it, metadata only.
    export_max_content_bytes: int = Field(ge=0)
    # Seconds after which a temporary upload file (a killed process's) is deleted at start-up.
    stale_upload_secs: float = Field(ge=60)
    # Bytes one customer may upload per UTC day (agents' uploads are not counted); past it,
    # 429 upload_quota_exceeded. Counted in the store (storage/upload_quotas.py).
    daily_upload_bytes_per_customer: int = Field(gt=0)
    # Bytes of memory all uploads being decoded, sanitised and scanned may be charged at
    # once (attachments/budget.py); an upload waits at most decode_wait_secs for its share,
    # then is answered 503 server_busy.
    decode_budget_bytes: int = Field(ge=64 * 1024 * 1024)
    decode_wait_secs: float = Field(gt=0)
    # Exports built at once, in all and per customer; a request waits at most
    # export_wait_secs for a turn, then is answered 503 server_busy.
    export_concurrency: int = Field(ge=1)
    export_concurrency_per_customer: int = Field(ge=1)
    export_wait_secs: float = Field(gt=0)
    types: tuple[AllowedType, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        seen: set[str] = set()
        for rule in self.types:
            if rule.content_type in seen:
                raise ValueError(f"content_type {rule.content_type!r} is listed twice")
            seen.add(rule.content_type)
            if rule.max_bytes > self.max_upload_bytes:
                raise ValueError(f"{rule.content_type}: max_bytes may not exceed max_upload_bytes")
        return self

    def rule_for(self, content_type: str) -> AllowedType | None:
        for rule in self.types:
            if rule.content_type == content_type:
                return rule
        return None

    def rule_for_extension(self, extension: str) -> AllowedType | None:
        for rule in self.types:
            if extension in rule.extensions:
                return rule
        return None


def load_attachments_config(config_dir: Path) -> AttachmentsConfig:
    path = config_dir / "attachments.toml"
    raw = load_toml(path)
    try:
        config = AttachmentsConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    check_text_fits_detection(config, document_text_limit(config_dir), path)
    return config


def document_text_limit(config_dir: Path) -> int:
    """`[documents] max_text_chars` of config/detection.toml: the most characters detection
    reads from one document (the detectors validate the rest of that file)."""
    path = config_dir / DETECTION_FILE
    documents = load_toml(path).get("documents")
    value = documents.get("max_text_chars") if isinstance(documents, dict) else None
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ConfigError(f"{path}: [documents] max_text_chars must be a positive integer")
    return value


def check_text_fits_detection(config: AttachmentsConfig, max_text_chars: int, path: Path) -> None:
    """A text file the allow-list admits must fit what detection reads, or it would be
    accepted and then always held."""
    for rule in config.types:
        if rule.sanitizer == "text" and rule.max_bytes > max_text_chars:
            raise ConfigError(
                f"{path}: {rule.content_type} max_bytes = {rule.max_bytes} could admit more "
                f"characters than detection reads from a document ({DETECTION_FILE} "
                f"[documents] max_text_chars = {max_text_chars}); lower max_bytes to at most "
                f"{max_text_chars} or raise max_text_chars"
            )
