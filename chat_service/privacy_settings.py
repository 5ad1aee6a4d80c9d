"""`config/retention.toml` and `config/webhooks.toml` -> frozen, validated models (unknown
keys are an error). `Settings.load` reads both, with the other configuration files, before
anything starts, so a typo stops the service at once with the file and the key. Kept apart
from the retention engine (chat_service/privacy/retention/) and the webhook sender
(privacy/webhooks.py), which work with services and the store: this module needs nothing
but pydantic, so settings can import it.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from chat_service.errors import ConfigError
from chat_service.secret import Secret, is_loopback
from chat_service.tomlfile import load_toml

logger = logging.getLogger("chat_service.privacy.webhooks")

RETENTION_FILE = "retention.toml"
WEBHOOKS_FILE = "webhooks.toml"
CATEGORIES_FILE = "categories.toml"
MIN_SECRET_CHARS = 32  # a webhook's signing secret

# -- retention.toml -------------------------------------------------------------------------

DataKind = Literal["connection_data", "sensitive_values", "child_without_guardian", "conversations"]
CountsFrom = Literal["message_created", "conversation_closed"]
Action = Literal["delete", "anonymise"]

_ALLOWED: dict[DataKind, tuple[set[str], set[str]]] = {
    # data kind: (moments it may count from, actions)
    "connection_data": ({"message_created"}, {"anonymise", "delete"}),
    "sensitive_values": ({"message_created", "conversation_closed"}, {"delete"}),
    "child_without_guardian": ({"message_created"}, {"delete"}),
    "conversations": ({"conversation_closed"}, {"anonymise", "delete"}),
}


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RetentionRule(_Frozen):
    purpose: str = Field(min_length=1)
    data: DataKind
    categories: tuple[str, ...] = ()
    counts_from: CountsFrom
    period_days: float = Field(ge=0)
    action: Action

    @model_validator(mode="after")
    def _consistent(self) -> RetentionRule:
        moments, actions = _ALLOWED[self.data]
        if self.counts_from not in moments:
            raise ValueError(f"{self.data} counts from one of {sorted(moments)}")
        if self.action not in actions:
            raise ValueError(f"{self.data} allows actions {sorted(actions)}")
        if (self.data == "sensitive_values") != bool(self.categories):
            raise ValueError("categories are required for sensitive_values, and only there")
        return self

    @property
    def period(self) -> timedelta:
        return timedelta(days=self.period_days)


class RetentionConfig(_Frozen):
    interval_secs: float = Field(gt=0)
    batch_size: int = Field(ge=1, le=10_000)
    pause_between_batches_secs: float = Field(ge=0, le=10)
    lease_secs: float = Field(ge=5)
    rules: dict[str, RetentionRule] = Field(min_length=1)


def load_retention_config(config_dir: Path) -> RetentionConfig:
    """`config/retention.toml`, validated; categories must exist in categories.toml."""
    path = config_dir / RETENTION_FILE
    try:
        config = RetentionConfig.model_validate(load_toml(path))
    except ValidationError as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    categories = load_toml(config_dir / CATEGORIES_FILE).get("categories", {})
    known = set(categories) if isinstance(categories, dict) else set()
    for name, rule in config.rules.items():
        unknown = set(rule.categories) - known
        if unknown:
            raise ConfigError(f"{path}: rules.{name}: unknown categories {sorted(unknown)}")
    return config


# -- webhooks.toml ------------------------------------------------------------------------

EventName = Literal["customer.deleted", "consent.withdrawn"]
EVENTS: tuple[EventName, ...] = ("customer.deleted", "consent.withdrawn")


class _FrozenQuiet(BaseModel):
    # Errors do not echo inputs: a URL may carry a credential by mistake.
    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)


class RetryPolicy(_FrozenQuiet):
    max_attempts: int = Field(ge=1, le=100)
    initial_backoff_secs: float = Field(gt=0)
    backoff_multiplier: float = Field(ge=1)
    max_backoff_secs: float = Field(gt=0)
    jitter_ratio: float = Field(ge=0, lt=1)
    request_timeout_secs: float = Field(gt=0, le=300)
    poll_interval_secs: float = Field(gt=0)

    @model_validator(mode="after")
    def _consistent(self) -> RetryPolicy:
        if self.max_backoff_secs < self.initial_backoff_secs:
            raise ValueError("max_backoff_secs is shorter than initial_backoff_secs")
        return self

    def base_backoff_secs(self, failed_attempts: int) -> float:
        """The wait after the n-th failed attempt, before jitter."""
        delay = self.initial_backoff_secs
        for _ in range(failed_attempts - 1):
            delay = min(self.max_backoff_secs, delay * self.backoff_multiplier)
        return min(self.max_backoff_secs, delay)

    def backoff_secs(self, failed_attempts: int, draw: float) -> float:
        """With jitter: `draw` in [0, 1) shortens the wait by up to `jitter_ratio` of it."""
        return self.base_backoff_secs(failed_attempts) * (1.0 - self.jitter_ratio * draw)


class WebhookEntry(_FrozenQuiet):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,62}$")
    url: str
    events: tuple[EventName, ...] = Field(min_length=1)
    secret_env: str = Field(pattern=r"^[A-Z_][A-Z0-9_]{0,127}$")

    @field_validator("url")
    @classmethod
    def _http_url(cls, url: str) -> str:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise ValueError("url must be http:// or https://")
        if not parts.hostname:
            raise ValueError("url has no host")
        if parts.username is not None or parts.password is not None:
            raise ValueError("url must not carry credentials (use secret_env)")
        if parts.fragment:
            raise ValueError("url must not have a fragment")
        try:
            _ = parts.port
        except ValueError as exc:
            raise ValueError("url has an invalid port") from exc
        return url


class WebhookFile(_FrozenQuiet):
    webhooks: tuple[WebhookEntry, ...]
    retry: RetryPolicy

    @model_validator(mode="after")
    def _unique_names(self) -> WebhookFile:
        names = [w.name for w in self.webhooks]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"webhook names must be unique: {duplicates}")
        return self


@dataclass(frozen=True, slots=True)
class Webhook:
    """One configured recipient, with its signing secret resolved from the environment."""

    name: str
    url: str
    events: frozenset[str]
    secret: Secret


@dataclass(frozen=True, slots=True)
class WebhookConfig:
    retry: RetryPolicy
    webhooks: tuple[Webhook, ...]

    def subscribers(self, event: str) -> list[Webhook]:
        return [w for w in self.webhooks if event in w.events]

    def get(self, name: str) -> Webhook | None:
        return next((w for w in self.webhooks if w.name == name), None)


def load_webhook_config(config_dir: Path, env: Mapping[str, str] | None = None) -> WebhookConfig:
    """`<config_dir>/webhooks.toml` + each webhook's secret from `env` (default: os.environ).

    An unknown or missing key, a URL that is not http(s), or a secret variable that is unset
    or shorter than 32 characters is a ConfigError (the service refuses to start).
    Blocking (reads a file): call it through `asyncio.to_thread` from async code.
    """
    env = os.environ if env is None else env
    path = config_dir / WEBHOOKS_FILE
    try:
        parsed = WebhookFile.model_validate(load_toml(path))
    except ValidationError as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    webhooks: list[Webhook] = []
    for entry in parsed.webhooks:
        value = env.get(entry.secret_env)
        if not value:
            raise ConfigError(
                f"{path}: webhook {entry.name!r}: environment variable {entry.secret_env} "
                "(its signing secret) is not set"
            )
        if len(value) < MIN_SECRET_CHARS:
            raise ConfigError(
                f"{path}: webhook {entry.name!r}: {entry.secret_env} must be at least "
                f"{MIN_SECRET_CHARS} characters"
            )
        if urlsplit(entry.url).scheme == "http" and not _is_loopback_url(entry.url):
            logger.warning("webhook sends notices over plain http", extra={"webhook": entry.name})
        webhooks.append(Webhook(entry.name, entry.url, frozenset(entry.events), Secret(value)))
    return WebhookConfig(parsed.retry, tuple(webhooks))


def _is_loopback_url(url: str) -> bool:
    return is_loopback(urlsplit(url).hostname or "")
