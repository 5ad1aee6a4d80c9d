"""Reading a TOML configuration file, with errors that name the file."""

from __future__ import annotations

import tomllib
from pathlib import Path

from chat_service.errors import ConfigError


def load_toml(path: Path) -> dict[str, object]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError as exc:
        raise ConfigError(f"configuration file missing: {path}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from exc
