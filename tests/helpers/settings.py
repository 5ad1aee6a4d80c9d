"""Copies of Settings with some configuration values changed."""

from __future__ import annotations

from typing import Any

from chat_service.settings import ServerConfig, Settings


def settings_with(base: Settings, **sections: dict[str, Any]) -> Settings:
    raw = base.config.model_dump()
    for section, values in sections.items():
        raw[section] = {**raw[section], **values}
    return base.with_overrides(config=ServerConfig.model_validate(raw))


# Frame and message budgets no test run reaches: for tests that send thousands of frames
# as one customer and check something other than the rate limits.
UNLIMITED_RATES: dict[str, Any] = {
    "frames_per_sec": 1_000_000.0,
    "frame_burst": 1_000_000,
    "messages_per_sec": 1_000_000.0,
    "message_burst": 1_000_000,
}
