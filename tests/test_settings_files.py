"""Every configuration file is read and validated by `Settings.load`, before the store or the
detection pool starts: a typo in a file the jobs or the pool read later (retention,
webhooks, holidays, detection, categories) stops the service at once with the file and the
key."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from chat_service.errors import ConfigError
from chat_service.settings import Settings

REPO = Path(__file__).resolve().parents[1]

# (file, a line as shipped, the same line with a typo in its key, the misspelt key)
TYPOS = [
    ("retention.toml", "batch_size = 500\n", "batch_sise = 500\n", "batch_sise"),
    ("webhooks.toml", "max_attempts = 15\n", "max_atempts = 15\n", "max_atempts"),
    (
        "holidays.toml",
        "deadline_working_days = 15\n",
        "deadline_workdays = 15\n",
        "deadline_workdays",
    ),
    ("detection.toml", "score_threshold = 0.5\n", "score_treshold = 0.5\n", "score_treshold"),
    ("categories.toml", 'minor_category = "minor"\n', 'minor_categry = "minor"\n', "minor_categry"),
    ("replies.toml", 'key = "greeting"\n', 'kye = "greeting"\n', "kye"),
]


def config_with_typo(tmp_path: Path, file: str, line: str, typo: str) -> Path:
    config = tmp_path / "config"
    shutil.copytree(REPO / "config", config)
    path = config / file
    text = path.read_text(encoding="utf-8")
    assert line in text, f"{file} no longer has {line!r}: update this test"
    path.write_text(text.replace(line, typo, 1), encoding="utf-8")
    return config


@pytest.mark.parametrize(("file", "line", "typo", "key"), TYPOS, ids=[t[0] for t in TYPOS])
def test_when_a_file_read_later_has_a_typo_then_settings_load_names_the_file_and_key(
    tmp_path: Path, file: str, line: str, typo: str, key: str
) -> None:
    config = config_with_typo(tmp_path, file, line, typo)
    with pytest.raises(ConfigError) as raised:
        Settings.load(config, env={})
    assert file in str(raised.value)
    assert key in str(raised.value)


def test_when_a_webhook_secret_is_unset_then_settings_load_names_the_variable(
    tmp_path: Path,
) -> None:
    config = tmp_path / "config"
    shutil.copytree(REPO / "config", config)
    path = config / "webhooks.toml"
    text = path.read_text(encoding="utf-8").replace("\nwebhooks = []\n", "\n")
    text += (
        '\n[[webhooks]]\nname = "crm"\nurl = "https://crm.example/privacy"\n'
        'events = ["customer.deleted"]\nsecret_env = "TEST_UNSET_WEBHOOK_SECRET"\n'
    )
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match="TEST_UNSET_WEBHOOK_SECRET"):
        Settings.load(config, env={})
    loaded = Settings.load(config, env={"TEST_UNSET_WEBHOOK_SECRET": "w" * 32})
    webhook = loaded.files.webhooks.get("crm")
    assert webhook is not None
    assert webhook.secret.reveal() == "w" * 32


def test_when_the_files_are_valid_then_settings_hold_them_as_loaded() -> None:
    settings = Settings.load(REPO / "config", env={})
    assert settings.files.retention.batch_size == 500
    assert settings.files.webhooks.webhooks == ()
    assert settings.files.holidays.deadline_working_days == 15


def test_when_the_config_dir_is_overridden_then_its_files_are_read_and_checked(
    tmp_path: Path,
) -> None:
    settings = Settings.load(REPO / "config", env={})
    file, line, typo, key = TYPOS[0]
    moved = settings.with_overrides(config_dir=config_with_typo(tmp_path, file, line, typo))
    with pytest.raises(ConfigError, match=key):
        moved.config_files()


@pytest.mark.skipif(bool(os.environ.get("MONGODB_URI")), reason="exercises the embedded store")
@pytest.mark.parametrize(("file", "line", "typo", "key"), TYPOS[:2], ids=[t[0] for t in TYPOS[:2]])
async def test_when_a_file_has_a_typo_then_serve_fails_before_starting_the_store(
    tmp_path: Path, file: str, line: str, typo: str, key: str
) -> None:
    config = await asyncio.to_thread(config_with_typo, tmp_path, file, line, typo)
    data = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if k != "CHAT_SERVICE_SECRET"}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "chat_service",
        "serve",
        "--port",
        "0",
        "--config",
        str(config),
        "--data",
        str(data),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    out, err = await process.communicate()
    assert process.returncode == 2, (out, err)
    assert file.encode() in err
    assert key.encode() in err
    assert b"http://" not in out, "the server started listening"
    started = await asyncio.to_thread(lambda: data.exists() and any(data.iterdir()))
    assert not started, "the store started before the configuration was checked"


def test_when_settings_load_checks_the_detection_files_then_no_model_is_loaded() -> None:
    """The check reads detection.toml and categories.toml with `detectors.config` alone:
    a typo is reported in a moment, not after Presidio, spaCy and jieba have loaded."""
    code = (
        "import sys; from chat_service.settings import Settings; "
        f"s = Settings.load(__import__('pathlib').Path({str(REPO / 'config')!r}), env={{}}); "
        "assert s.files.detection.detection.engine.score_threshold == 0.5; "
        "print(sorted(m for m in ('presidio_analyzer', 'spacy', 'jieba') if m in sys.modules))"
    )
    done = subprocess.run(  # noqa: S603 - this interpreter, fixed code, no shell
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stdout.strip() == "[]", done.stdout + done.stderr
