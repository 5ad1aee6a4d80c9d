"""Static checks of the production deployment files (Dockerfile, docker-compose.yml).

No Docker engine runs where the test suite runs, so these tests validate what can be
validated without one: `docker-compose config -q` (Debian 12's docker-compose 1.29.2,
the version CI uses) must accept the compose file when the required secrets are set and
must refuse it when they are not, and the Dockerfile must keep its security properties.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = REPO_ROOT / "docker-compose.yml"
DOCKERFILE = REPO_ROOT / "Dockerfile"

# Variables the compose file interpolates; removed from the inherited environment so that
# the operator's own shell cannot make a test pass or fail.
COMPOSE_VARIABLES = (
    "CHAT_SERVICE_SECRET",
    "CHAT_SERVICE_MASTER_KEY",
    "CHAT_SERVICE_ALLOWED_ORIGINS",
    "CHAT_SERVICE_METRICS_TOKEN",
    "CHAT_SERVICE_BIND",
    "CHAT_SERVICE_PORT",
    "CHAT_SERVICE_IMAGE_TAG",
    "COMPOSE_FILE",
    "COMPOSE_PROJECT_NAME",
    "COMPOSE_PATH_SEPARATOR",
    "MONGODB_URI",
)
DUMMY_SECRET = "dummy-secret-for-compose-validation-0123456789"
DUMMY_MASTER_KEY = "ZHVtbXktbWFzdGVyLWtleS1mb3ItY29tcG9zZS12YWxpZGF0aW9u"


def docker_compose() -> str:
    path = shutil.which("docker-compose")
    if path is None:
        pytest.fail(
            "docker-compose is not installed, so docker-compose.yml cannot be validated; "
            "run `scripts/setup --system` (it installs Debian's docker-compose package)",
            pytrace=False,
        )
    return path


def compose_config(tmp_path: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Runs `docker-compose config -q` in the repository root with exactly `env` added."""
    # An empty env file: a developer's `.env` in the repository root must not leak in.
    empty_env_file = tmp_path / "empty.env"
    empty_env_file.write_text("", encoding="utf-8")
    base = {k: v for k, v in os.environ.items() if k not in COMPOSE_VARIABLES}
    return subprocess.run(  # noqa: S603 - fixed argument list, no shell
        [
            docker_compose(),
            "--env-file",
            str(empty_env_file),
            "--file",
            str(COMPOSE_FILE),
            "config",
            "-q",
        ],
        cwd=REPO_ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_compose_file_is_valid_with_secrets_set(tmp_path: Path) -> None:
    result = compose_config(
        tmp_path,
        {"CHAT_SERVICE_SECRET": DUMMY_SECRET, "CHAT_SERVICE_MASTER_KEY": DUMMY_MASTER_KEY},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""


def test_compose_file_requires_the_signing_secret(tmp_path: Path) -> None:
    result = compose_config(tmp_path, {"CHAT_SERVICE_MASTER_KEY": DUMMY_MASTER_KEY})
    assert result.returncode != 0
    assert "set CHAT_SERVICE_SECRET" in result.stderr


def test_compose_file_requires_the_master_key(tmp_path: Path) -> None:
    result = compose_config(tmp_path, {"CHAT_SERVICE_SECRET": DUMMY_SECRET})
    assert result.returncode != 0
    assert "set CHAT_SERVICE_MASTER_KEY" in result.stderr


def dockerfile_instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with continuation lines joined and comments dropped."""
    instructions: list[tuple[str, str]] = []
    current = ""
    for raw_line in text.splitlines():
        line = raw_line.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        current += line
        keyword, _, arguments = current.partition(" ")
        instructions.append((keyword.upper(), arguments.strip()))
        current = ""
    if current:
        keyword, _, arguments = current.partition(" ")
        instructions.append((keyword.upper(), arguments.strip()))
    return instructions


def final_stage(instructions: list[tuple[str, str]]) -> list[tuple[str, str]]:
    starts = [i for i, (keyword, _) in enumerate(instructions) if keyword == "FROM"]
    assert starts, "the Dockerfile has no FROM instruction"
    return instructions[starts[-1] :]


def test_dockerfile_is_multi_stage_and_installs_with_hashes() -> None:
    instructions = dockerfile_instructions(DOCKERFILE.read_text(encoding="utf-8"))
    stages = [arguments for keyword, arguments in instructions if keyword == "FROM"]
    assert len(stages) >= 2, "expected a builder stage and a runtime stage"
    runs = [arguments for keyword, arguments in instructions if keyword == "RUN"]
    locked = [run for run in runs if "requirements.lock" in run and "pip install" in run]
    assert locked, "the locked dependencies are not installed with pip"
    assert all("--require-hashes" in run for run in locked), locked


def test_dockerfile_runtime_runs_as_non_root_with_healthcheck() -> None:
    runtime = final_stage(dockerfile_instructions(DOCKERFILE.read_text(encoding="utf-8")))
    users = [arguments for keyword, arguments in runtime if keyword == "USER"]
    assert users, "the runtime stage has no USER instruction (it would run as root)"
    user = re.split(r"[:\s]", users[-1])[0]
    assert user not in {"root", "0"}, f"the runtime stage runs as {users[-1]!r}"

    healthchecks = [arguments for keyword, arguments in runtime if keyword == "HEALTHCHECK"]
    assert len(healthchecks) == 1
    assert "/healthz" in healthchecks[0]
    assert "urllib" in healthchecks[0]
    assert not healthchecks[0].upper().startswith("NONE")

    keywords = {keyword: arguments for keyword, arguments in runtime}
    assert "8080" in keywords.get("EXPOSE", "").split()
    assert keywords.get("ENTRYPOINT") == '["chat-service"]'
    assert "OMP_THREAD_LIMIT=1" in " ".join(a for k, a in runtime if k == "ENV")
