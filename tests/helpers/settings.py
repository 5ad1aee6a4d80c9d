"""Copies of Settings with some configuration values changed."""

from __future__ import annotations

from typing import Any

from chat_service.settings import ServerConfig, Settings


def settings_with(base: Settings, **sections: dict[str, Any]) -> Settings:
    raw = base.config.model_dump()
    for section, values in sections.items():
        raw[section] = {**raw[section], **values}
    return base.with_overrides(config=ServerConfig.model_validate(raw))
