"""Configuration fails fast and keeps secrets out of reprs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from chat_service.errors import ConfigError
from chat_service.settings import DEV_SECRET, Secret, Settings

REPO = Path(__file__).resolve().parents[2]


def copy_config(tmp_path: Path) -> Path:
    target = tmp_path / "config"
    shutil.copytree(REPO / "config", target)
    return target


def test_when_the_file_is_missing_then_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="missing"):
        Settings.load(tmp_path, env={})


def test_when_a_key_is_unknown_then_config_error(tmp_path: Path) -> None:
    config = copy_config(tmp_path)
    path = config / "server.toml"
    path.write_text(path.read_text() + "\n[extra]\nsurprise = 1\n")
    with pytest.raises(ConfigError, match="extra"):
        Settings.load(config, env={})


def test_when_a_key_is_missing_then_config_error(tmp_path: Path) -> None:
    config = copy_config(tmp_path)
    path = config / "server.toml"
    path.write_text(path.read_text().replace("heartbeat_secs = 20.0\n", ""))
    with pytest.raises(ConfigError, match="heartbeat_secs"):
        Settings.load(config, env={})


def test_environment_overrides_the_file() -> None:
    settings = Settings.load(
        REPO / "config",
        env={
            "CHAT_SERVICE_ALLOWED_ORIGINS": "https://shop.example, https://m.shop.example",
            "MONGODB_URI": "mongodb://db:27017/?replicaSet=rs0",
        },
    )
    assert settings.config.server.allowed_origins == (
        "https://shop.example",
        "https://m.shop.example",
    )
    assert settings.mongodb_uri is not None
    assert "db:27017" not in repr(settings.mongodb_uri)


def test_secrets_never_show_in_repr_or_str() -> None:
    secret = Secret("hunter2-hunter2-hunter2-hunter2-hunter2")
    assert "hunter2" not in repr(secret) and "hunter2" not in str(secret)
    assert "hunter2" not in repr([secret])


def test_the_development_secret_is_only_for_loopback() -> None:
    settings = Settings.load(REPO / "config", env={})
    assert settings.signing_secret("127.0.0.1").reveal() == DEV_SECRET
    assert settings.signing_secret("::1").reveal() == DEV_SECRET
    with pytest.raises(ConfigError, match="CHAT_SERVICE_SECRET is required"):
        settings.signing_secret("0.0.0.0")  # noqa: S104  # checking the refusal
    short = Settings.load(REPO / "config", env={"CHAT_SERVICE_SECRET": "short"})
    with pytest.raises(ConfigError, match="at least 32"):
        short.signing_secret("127.0.0.1")
