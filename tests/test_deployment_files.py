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
import tomllib
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


# -- the topology: replica set, Redis, two replicas, nginx (deploy/) ----------------------

NGINX_CONF = REPO_ROOT / "deploy" / "nginx.conf"
DEPLOY_SERVER_TOML = REPO_ROOT / "deploy" / "server.toml"
REPLICAS = ("chat-service-1", "chat-service-2")


def nginx() -> str:
    path = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    if path is None:
        pytest.fail(
            "nginx is not installed, so deploy/nginx.conf cannot be checked; run "
            "`scripts/setup --system` (it installs Debian's nginx-light package)",
            pytrace=False,
        )
    return path


def nginx_block(text: str, opening: str) -> str:
    """The body of the `{ ... }` block that starts with `opening` (braces balanced)."""
    start = text.index(opening)
    depth, i = 0, text.index("{", start)
    for j in range(i, len(text)):
        depth += {"{": 1, "}": -1}.get(text[j], 0)
        if depth == 0:
            return text[i + 1 : j]
    raise AssertionError(f"unbalanced block {opening!r}")


def seconds(value: str) -> float:
    match = re.fullmatch(r"(\d+)(s|m)?", value)
    assert match, value
    return int(match[1]) * (60 if match[2] == "m" else 1)


def test_when_the_topology_is_read_then_it_has_a_replica_set_redis_two_replicas_and_nginx(
    tmp_path: Path,
) -> None:
    empty_env_file = tmp_path / "empty.env"
    empty_env_file.write_text("", encoding="utf-8")
    base = {k: v for k, v in os.environ.items() if k not in COMPOSE_VARIABLES}
    result = subprocess.run(  # noqa: S603 - fixed argument list, no shell
        [
            docker_compose(),
            *("--env-file", str(empty_env_file), "--file", str(COMPOSE_FILE)),
            *("config", "--services"),
        ],
        cwd=REPO_ROOT,
        env={**base, "CHAT_SERVICE_SECRET": DUMMY_SECRET, "CHAT_SERVICE_MASTER_KEY": "k"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert set(result.stdout.split()) == {"mongo1", "mongo2", "mongo3", "redis", "nginx", *REPLICAS}
    compose = COMPOSE_FILE.read_text(encoding="utf-8")
    assert "mongo1:27017,mongo2:27017,mongo3:27017/chat_service?replicaSet=rs0" in compose
    assert "REDIS_URL: redis://redis:6379/0" in compose
    assert "image: redis:" in compose and "image: nginx:" in compose


def test_when_nginx_checks_the_proxy_config_then_it_is_valid(tmp_path: Path) -> None:
    # nginx -t resolves upstream host names: those of the compose network do not exist here.
    text = NGINX_CONF.read_text(encoding="utf-8")
    for replica in REPLICAS:
        assert f"server {replica}:8080" in text
        text = text.replace(f"{replica}:8080", "127.0.0.1:8080")
    conf = tmp_path / "nginx.conf"
    conf.write_text(text, encoding="utf-8")
    result = subprocess.run(  # noqa: S603 - fixed argument list, no shell
        [
            nginx(),
            *("-t", "-c", str(conf), "-p", f"{tmp_path}/", "-e", str(tmp_path / "error.log")),
            *("-g", f"pid {tmp_path / 'nginx.pid'};"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


def test_when_the_proxy_config_is_read_then_it_fits_the_service_settings() -> None:
    text = NGINX_CONF.read_text(encoding="utf-8")
    server = tomllib.loads((REPO_ROOT / "config" / "server.toml").read_text(encoding="utf-8"))
    attachments = tomllib.loads(
        (REPO_ROOT / "config" / "attachments.toml").read_text(encoding="utf-8")
    )
    ws = nginx_block(text, "location = /ws")
    assert re.search(r"proxy_http_version 1\.1;", ws)
    assert "proxy_set_header Upgrade $http_upgrade;" in ws
    assert "proxy_set_header Connection $connection_upgrade;" in ws
    heartbeat = float(server["server"]["heartbeat_secs"])
    for directive in ("proxy_read_timeout", "proxy_send_timeout"):
        match = re.search(rf"{directive} (\w+);", ws)
        assert match, directive
        assert seconds(match[1]) >= 3 * heartbeat, (directive, match[1], heartbeat)
    size = re.search(r"client_max_body_size (\d+)m;", text)
    assert size and int(size[1]) * 1024 * 1024 > attachments["max_upload_bytes"]
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in ws
    assert re.search(r"location = /metrics \{\s*return 404;\s*\}", text)
    upstream = nginx_block(text, "upstream chat_service")
    assert not re.search(r"\b(ip_hash|hash|sticky)\b", upstream), "no sticky sessions"


def test_when_deploy_server_toml_is_read_then_only_the_trusted_proxy_differs() -> None:
    repo = tomllib.loads((REPO_ROOT / "config" / "server.toml").read_text(encoding="utf-8"))
    deploy = tomllib.loads(DEPLOY_SERVER_TOML.read_text(encoding="utf-8"))
    nginx_address = re.search(r"ipv4_address: ([\d.]+)", COMPOSE_FILE.read_text("utf-8"))
    assert nginx_address is not None
    assert deploy["server"]["trusted_proxies"] == [nginx_address[1]]
    deploy["server"]["trusted_proxies"] = repo["server"]["trusted_proxies"]
    assert deploy == repo
