"""Configuration fails fast and keeps secrets out of reprs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from chat_service.attachments.config import document_text_limit
from chat_service.errors import ConfigError
from chat_service.settings import DEV_SECRET, Secret, Settings

REPO = Path(__file__).resolve().parents[1]


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


@pytest.mark.parametrize(
    ("file", "old", "new", "match"),
    [
        pytest.param(
            "server.toml",
            "deletion_lease_secs = 120.0",
            "deletion_lease_secs = 30.0",
            "deletion_lease_secs must be longer",
            id="deletion-lease-not-above-its-interval",
        ),
        pytest.param(
            "consent.toml",
            "sweep_interval_secs = 30.0",
            "sweep_interval_secs = 600.0",
            "consent_sweeper_lease_secs must be longer",
            id="consent-sweeper-lease-not-above-its-interval",
        ),
    ],
)
def test_when_a_job_lease_does_not_outlast_its_interval_then_config_error(
    tmp_path: Path, file: str, old: str, new: str, match: str
) -> None:
    config = copy_config(tmp_path)
    path = config / file
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))
    with pytest.raises(ConfigError, match=match):
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


def test_when_text_files_could_hold_more_characters_than_detection_reads_then_config_error(
    tmp_path: Path,
) -> None:
    config = copy_config(tmp_path)
    path = config / "attachments.toml"
    text = path.read_text()
    assert 'content_type = "text/plain"\nextensions = ["txt"]\nmax_bytes = 500000\n' in text
    path.write_text(text.replace("max_bytes = 500000\n", "max_bytes = 1048576\n"))
    with pytest.raises(ConfigError, match=r"text/plain max_bytes = 1048576 could admit more"):
        Settings.load(config, env={})


def test_when_detection_reads_longer_documents_then_longer_text_files_are_allowed(
    tmp_path: Path,
) -> None:
    config = copy_config(tmp_path)
    attachments, detection = config / "attachments.toml", config / "detection.toml"
    attachments.write_text(
        attachments.read_text().replace("max_bytes = 500000\n", "max_bytes = 1048576\n")
    )
    detection.write_text(
        detection.read_text().replace("max_text_chars = 500_000", "max_text_chars = 1_048_576")
    )
    settings = Settings.load(config, env={})
    rule = settings.attachments.rule_for("text/plain")
    assert rule is not None and rule.max_bytes == 1048576


def test_when_the_shipped_text_limit_is_loaded_then_it_is_what_detection_reads() -> None:
    settings = Settings.load(REPO / "config", env={})
    rule = settings.attachments.rule_for("text/plain")
    assert rule is not None
    assert rule.max_bytes == document_text_limit(REPO / "config") == 500_000


def test_when_the_metrics_token_is_short_then_config_error() -> None:
    with pytest.raises(ConfigError, match="CHAT_SERVICE_METRICS_TOKEN"):
        Settings.load(REPO / "config", env={"CHAT_SERVICE_METRICS_TOKEN": "short"})


def test_when_the_metrics_token_is_set_then_it_is_a_secret() -> None:
    token = "t" * 40
    settings = Settings.load(REPO / "config", env={"CHAT_SERVICE_METRICS_TOKEN": token})
    assert settings.metrics_token == Secret(token)
    assert token not in repr(settings.metrics_token)
    assert Settings.load(REPO / "config", env={}).metrics_token is None


def test_when_redis_url_is_set_then_it_is_read_and_kept_secret() -> None:
    url = "redis://:hunter2-password@10.0.0.5:6379/0"
    settings = Settings.load(REPO / "config", env={"REDIS_URL": url})
    assert settings.redis_url is not None
    assert settings.redis_url.reveal() == url
    assert "hunter2" not in repr(settings.redis_url)
    assert Settings.load(REPO / "config", env={}).redis_url is None
    assert Settings.load(REPO / "config", env={"REDIS_URL": ""}).redis_url is None


def test_when_redis_url_is_not_a_redis_url_then_config_error() -> None:
    with pytest.raises(ConfigError, match="REDIS_URL must start with"):
        Settings.load(REPO / "config", env={"REDIS_URL": "http://127.0.0.1:6379"})
