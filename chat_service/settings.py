"""Settings: `config/*.toml` -> frozen, validated models; environment overrides; secrets.

A missing file, a missing key or an unknown key is an error at start-up (fail fast):
`Settings.load` reads every file the service reads (server, consent, attachments, web,
retention, webhooks with their secrets, holidays, saved replies, and the detection pool's
detection.toml and categories.toml, which `detectors.config` checks without loading any
model) before the store or the detection pool starts.
Environment variables override the file: CHAT_SERVICE_SECRET, CHAT_SERVICE_MASTER_KEY,
MONGODB_URI, CHAT_SERVICE_ALLOWED_ORIGINS, CHAT_SERVICE_METRICS_TOKEN; the KMIP key manager
comes from CHAT_SERVICE_KMIP_ENDPOINT, _CA_FILE, _CERT_FILE and _KEY_ID (`KmipSettings`).
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Self
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from chat_service.attachments.config import AttachmentsConfig, load_attachments_config
from chat_service.errors import ConfigError
from chat_service.policy.config import ConsentConfig, load_consent_config
from chat_service.privacy_settings import (
    RetentionConfig,
    WebhookConfig,
    load_retention_config,
    load_webhook_config,
)
from chat_service.secret import Secret as Secret
from chat_service.secret import is_loopback as is_loopback
from chat_service.tomlfile import load_toml
from chat_service.web.config import WebConfig, load_web_config
from chat_service.web.replies import RepliesConfig, load_replies_config
from chat_service.workdays import HolidayCalendar, load_holiday_calendar
from detectors.config import (
    CATEGORIES_FILE,
    DETECTION_FILE,
    DetectionConfig,
    load_detection_config,
)

DEFAULT_CONFIG_DIR = Path(__file__).resolve().parent.parent / "config"
# Development signing secret: accepted only while serving on loopback.
DEV_SECRET = "dev-only-insecure-secret-change-me-0123456789"  # noqa: S105  # loopback only
MIN_METRICS_TOKEN_CHARS = 32
REDIS_SCHEMES = ("redis", "rediss", "unix")  # what REDIS_URL may name


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ServerSection(_Frozen):
    host: str
    port: int = Field(ge=0, le=65535)
    allowed_origins: tuple[str, ...]
    # Peers (addresses or networks) whose Forwarded / X-Forwarded-* headers are believed.
    trusted_proxies: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]
    heartbeat_secs: float = Field(gt=0)
    shutdown_grace_secs: float = Field(ge=0)


class AuthSection(_Frozen):
    issuer: str
    audience: str
    default_ttl_secs: int = Field(gt=0)
    max_ttl_secs: int = Field(gt=0)
    leeway_secs: int = Field(ge=0)


class LimitsSection(_Frozen):
    max_frame_bytes: int = Field(ge=1024)
    max_text_chars: int = Field(ge=1)
    conversations_per_hour: int = Field(ge=1)
    frames_per_sec: float = Field(gt=0)
    frame_burst: int = Field(ge=1)
    frames_in_flight_per_customer: int = Field(ge=1)
    messages_per_sec: float = Field(gt=0)
    message_burst: int = Field(ge=1)
    rate_violations_before_close: int = Field(ge=1)
    rate_limited_pause_secs: float = Field(ge=0)
    send_queue_frames: int = Field(ge=8)
    send_queue_bytes: int = Field(ge=65536)
    send_buffer_bytes: int = Field(ge=4096)
    send_timeout_secs: float = Field(gt=0)
    history_page: int = Field(ge=1, le=1000)
    history_page_bytes: int = Field(ge=4096)
    # With REDIS_URL: how long a limit's decision waits for Redis before the instance's own
    # tables decide (chat_service/net/global_limits.py).
    shared_limits_timeout_secs: float = Field(gt=0, le=5)


class ConnectionsSection(_Frozen):
    """Timeouts and caps on connections, before and besides authentication."""

    idle_timeout_secs: float = Field(gt=0)
    header_timeout_secs: float = Field(gt=0)
    body_timeout_secs: float = Field(gt=0)
    body_min_bytes_per_sec: int = Field(ge=0)  # 0: no minimum rate
    body_rate_grace_secs: float = Field(gt=0)
    max_per_ip: int = Field(ge=0)  # 0: no cap (behind a reverse proxy)
    max_sockets_per_customer: int = Field(ge=1)
    fd_reserve: int = Field(ge=16)
    refusal_log_interval_secs: float = Field(gt=0)


class RatesSection(_Frozen):
    """Rate limits shared by key (chat_service/net/rates.py); frames: `[limits]`."""

    customer_writes_per_sec: float = Field(gt=0)
    customer_write_burst: int = Field(ge=1)
    failed_auth_per_sec: float = Field(gt=0)
    failed_auth_burst: int = Field(ge=1)
    max_keys: int = Field(ge=16)


class StoreSection(_Frozen):
    database: str = Field(pattern=r"^[A-Za-z0-9_]{1,60}$")
    server_selection_timeout_ms: int = Field(ge=100)
    embedded_restart_delay_secs: float = Field(ge=0)


class DetectionSection(_Frozen):
    workers: int = Field(ge=1, le=64)
    queued_per_customer: int = Field(ge=1)


class MetricsSection(_Frozen):
    """The operators' `/metrics` listener (http/metrics.py); port 0 picks a free one."""

    host: str
    port: int = Field(ge=0, le=65535)


class JobsSection(_Frozen):
    """The periodic jobs that run on one instance at a time, each under a lease
    (chat_service/jobs.py). A lease outlasts several intervals, so the holder keeps it
    from turn to turn; a dead holder's jobs move within lease + interval."""

    consent_sweeper_lease_secs: float = Field(ge=1)
    deletion_interval_secs: float = Field(gt=0)
    deletion_lease_secs: float = Field(ge=1)

    @model_validator(mode="after")
    def _lease_outlasts_interval(self) -> JobsSection:
        if self.deletion_lease_secs <= self.deletion_interval_secs:
            raise ValueError("deletion_lease_secs must be longer than deletion_interval_secs")
        return self


class ServerConfig(_Frozen):
    server: ServerSection
    auth: AuthSection
    limits: LimitsSection
    connections: ConnectionsSection
    rates: RatesSection
    store: StoreSection
    detection: DetectionSection
    metrics: MetricsSection
    jobs: JobsSection


@dataclass(frozen=True, slots=True)
class ConfigFiles:
    """The configuration files the service's jobs use after start-up, read and validated
    with the others before anything starts: a typo names its file and key at once."""

    config_dir: Path
    retention: RetentionConfig
    webhooks: WebhookConfig
    holidays: HolidayCalendar
    # The detection pool reads these itself in each worker; checked here so that a typo
    # stops the start before the pool (and Presidio) is loaded.
    detection: DetectionConfig
    # The shop's saved replies, served to the console (docs/agent-speed.md).
    replies: RepliesConfig

    @classmethod
    def load(cls, config_dir: Path, env: Mapping[str, str]) -> ConfigFiles:
        return cls(
            config_dir=config_dir,
            retention=load_retention_config(config_dir),
            webhooks=load_webhook_config(config_dir, env),
            holidays=load_holiday_calendar(config_dir),
            detection=_detection_config(config_dir),
            replies=load_replies_config(config_dir),
        )


# The model each of the detection files is validated by, as pydantic names it.
_DETECTION_FILE_OF = {"DetectionSettings": DETECTION_FILE, "CategoriesSettings": CATEGORIES_FILE}


def _detection_config(config_dir: Path) -> DetectionConfig:
    try:
        return load_detection_config(config_dir)
    except ValidationError as exc:
        file = _DETECTION_FILE_OF.get(exc.title, f"{DETECTION_FILE} or {CATEGORIES_FILE}")
        raise ConfigError(f"{config_dir / file}: {exc}") from exc
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{config_dir}: detection configuration: {exc}") from exc


@dataclass(frozen=True)
class KmipSettings:
    """The KMIP server whose key wraps new customer data keys (docs/deployment.md)."""

    host: str
    port: int
    ca_file: Path  # the CA that signed the KMIP server's certificate (PEM)
    cert_file: Path  # this service's client certificate and its private key (one PEM)
    key_id: str | None  # an existing SecretData (96 bytes); None: one made per data key

    @property
    def endpoint(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host  # an IPv6 address
        return f"{host}:{self.port}"

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> KmipSettings | None:
        """None without CHAT_SERVICE_KMIP_ENDPOINT; ConfigError if it is set but the rest is
        missing, malformed or not a readable file (the server itself is checked at start)."""
        endpoint = env.get("CHAT_SERVICE_KMIP_ENDPOINT", "").strip()
        if not endpoint:
            for name in ("CA_FILE", "CERT_FILE", "KEY_ID"):
                if env.get(f"CHAT_SERVICE_KMIP_{name}"):
                    raise ConfigError(
                        f"CHAT_SERVICE_KMIP_{name} is set but CHAT_SERVICE_KMIP_ENDPOINT is not"
                    )
            return None
        host, sep, port_text = endpoint.rpartition(":")
        if not sep or not host or not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise ConfigError(
                f"CHAT_SERVICE_KMIP_ENDPOINT must be host:port (e.g. kmip.example:5696), "
                f"not {endpoint!r}"
            )
        files: dict[str, Path] = {}
        for name in ("CA_FILE", "CERT_FILE"):
            value = env.get(f"CHAT_SERVICE_KMIP_{name}", "").strip()
            if not value:
                raise ConfigError(
                    f"CHAT_SERVICE_KMIP_{name} is required with CHAT_SERVICE_KMIP_ENDPOINT"
                )
            path = Path(value)
            if not path.is_file():
                raise ConfigError(f"CHAT_SERVICE_KMIP_{name}: {path} is not a readable file")
            files[name] = path
        key_id = env.get("CHAT_SERVICE_KMIP_KEY_ID", "").strip() or None
        return cls(
            host=host.strip("[]"),
            port=int(port_text),
            ca_file=files["CA_FILE"],
            cert_file=files["CERT_FILE"],
            key_id=key_id,
        )


class Settings:
    """Everything the service needs to start, resolved once."""

    def __init__(
        self,
        config: ServerConfig,
        *,
        consent: ConsentConfig,
        attachments: AttachmentsConfig,
        web: WebConfig,
        files: ConfigFiles,
        config_dir: Path,
        data_dir: Path,
        secret: Secret | None,
        master_key: Secret | None,
        mongodb_uri: Secret | None,
        metrics_token: Secret | None = None,
        kmip: KmipSettings | None = None,
        redis_url: Secret | None = None,
    ) -> None:
        self.config = config
        self.consent = consent
        self.attachments = attachments
        self.web = web
        # The files read by jobs after start-up, validated now (retention, webhooks, holidays).
        self.files = files
        self.config_dir = config_dir
        self.data_dir = data_dir
        self.secret = secret
        self.master_key = master_key
        self.mongodb_uri = mongodb_uri
        # Lets a scraper read /metrics on the public port too (Authorization: Bearer ...).
        self.metrics_token = metrics_token
        # The KMIP server that wraps new data keys; None: the local master key does.
        self.kmip = kmip
        # Fan-out and cache invalidation across instances (unset: one instance, in-process).
        self.redis_url = redis_url

    @classmethod
    def load(
        cls,
        config_dir: Path | None = None,
        data_dir: Path | None = None,
        env: Mapping[str, str] | None = None,
    ) -> Self:
        env = os.environ if env is None else env
        config_dir = (config_dir or DEFAULT_CONFIG_DIR).resolve()
        raw = load_toml(config_dir / "server.toml")
        origins = env.get("CHAT_SERVICE_ALLOWED_ORIGINS")
        if origins is not None:
            section = raw.get("server", {})
            server = dict(section) if isinstance(section, dict) else {}
            server["allowed_origins"] = [o.strip() for o in origins.split(",") if o.strip()]
            raw = {**raw, "server": server}
        try:
            config = ServerConfig.model_validate(raw)
        except ValidationError as exc:
            raise ConfigError(f"{config_dir / 'server.toml'}: {exc}") from exc
        secret = env.get("CHAT_SERVICE_SECRET")
        master = env.get("CHAT_SERVICE_MASTER_KEY")
        uri = env.get("MONGODB_URI")
        metrics_token = env.get("CHAT_SERVICE_METRICS_TOKEN")
        redis_url = env.get("REDIS_URL") or None
        if redis_url is not None and urlsplit(redis_url).scheme not in REDIS_SCHEMES:
            raise ConfigError(f"REDIS_URL must start with one of {', '.join(REDIS_SCHEMES)}")
        if metrics_token and len(metrics_token) < MIN_METRICS_TOKEN_CHARS:
            raise ConfigError(
                f"CHAT_SERVICE_METRICS_TOKEN must be at least {MIN_METRICS_TOKEN_CHARS} characters"
            )
        consent = load_consent_config(config_dir)
        if config.jobs.consent_sweeper_lease_secs <= consent.sweep_interval_secs:
            raise ConfigError(
                f"{config_dir / 'server.toml'}: jobs.consent_sweeper_lease_secs must be longer "
                "than sweep_interval_secs in consent.toml"
            )
        return cls(
            config,
            consent=consent,
            attachments=load_attachments_config(config_dir),
            web=load_web_config(config_dir),
            files=ConfigFiles.load(config_dir, env),
            config_dir=config_dir,
            data_dir=(data_dir or Path("var")).resolve(),
            secret=Secret(secret) if secret else None,
            master_key=Secret(master) if master else None,
            mongodb_uri=Secret(uri) if uri else None,
            metrics_token=Secret(metrics_token) if metrics_token else None,
            kmip=KmipSettings.from_env(env),
            redis_url=Secret(redis_url) if redis_url else None,
        )

    def with_overrides(self, **changes: object) -> Settings:
        """A copy with some attributes replaced (used by the CLI and tests). A new
        `config_dir` leaves `files` to `config_files()`, which reads them there."""
        clone = Settings(
            self.config,
            consent=self.consent,
            attachments=self.attachments,
            web=self.web,
            files=self.files,
            config_dir=self.config_dir,
            data_dir=self.data_dir,
            secret=self.secret,
            master_key=self.master_key,
            mongodb_uri=self.mongodb_uri,
            metrics_token=self.metrics_token,
            kmip=self.kmip,
            redis_url=self.redis_url,
        )
        for name, value in changes.items():
            if not hasattr(clone, name):
                raise AttributeError(name)
            setattr(clone, name, value)
        return clone

    def config_files(self) -> ConfigFiles:
        """`files`, as `Settings.load` checked them; read again from `config_dir` if a copy
        (`with_overrides`) moved it elsewhere (blocking then: call it in a thread; webhook
        secrets from os.environ)."""
        if self.files.config_dir != self.config_dir:
            self.files = ConfigFiles.load(self.config_dir, os.environ)
        return self.files

    def signing_secret(self, host: str) -> Secret:
        """The token signing secret; the development default only on loopback."""
        if self.secret is not None:
            if len(self.secret.reveal()) < 32:
                raise ConfigError("CHAT_SERVICE_SECRET must be at least 32 characters")
            return self.secret
        if is_loopback(host):
            return Secret(DEV_SECRET)
        raise ConfigError(
            f"CHAT_SERVICE_SECRET is required when serving on a non-loopback address ({host})"
        )
