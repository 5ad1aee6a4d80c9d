"""`config/attachments.toml` -> a frozen, validated model (unknown keys are an error)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from chat_service.errors import ConfigError
from chat_service.tomlfile import load_toml


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class AttachmentsConfig(_Frozen):
    # Largest upload of any type, in bytes (per-type limits may only be lower).
    max_upload_bytes: int = Field(gt=0)


def load_attachments_config(config_dir: Path) -> AttachmentsConfig:
    path = config_dir / "attachments.toml"
    raw = load_toml(path)
    try:
        return AttachmentsConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"{path}: {exc}") from exc
