"""`config/web.toml` -> a frozen, validated model (unknown keys are an error)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from chat_service.errors import ConfigError
from chat_service.tomlfile import load_toml


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class WebConfig(_Frozen):
    # Origins of shop sites allowed to embed the widget (CSP frame-ancestors).
    frame_ancestors: tuple[str, ...]


def load_web_config(config_dir: Path) -> WebConfig:
    path = config_dir / "web.toml"
    raw = load_toml(path)
    try:
        return WebConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"{path}: {exc}") from exc
