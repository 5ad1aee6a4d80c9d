"""`config/consent.toml` -> a frozen, validated model (unknown keys are an error)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from chat_service.errors import ConfigError
from chat_service.tomlfile import load_toml

Language = str  # "en" | "zh"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Notice(_Frozen):
    en: str = Field(min_length=1)
    zh: str = Field(min_length=1)

    def text(self, language: str) -> str:
        return self.zh if language == "zh" else self.en


class Purpose(_Frozen):
    categories: tuple[str, ...]
    notice: Notice
    guardian_notice: Notice


class CategoryNames(_Frozen):
    en: dict[str, str]
    zh: dict[str, str]


class Visibility(_Frozen):
    agent: tuple[str, ...] = ()
    supervisor: tuple[str, ...] = ()
    privacy_officer: tuple[str, ...] = ()


class ConsentConfig(_Frozen):
    policy_version: str = Field(min_length=1)
    default_purpose: str
    response_timeout_secs: int = Field(gt=0)
    minor_response_timeout_secs: int = Field(gt=0)
    sweep_interval_secs: float = Field(gt=0)
    minor_age_years: int = Field(gt=0, le=18)
    sensitive_categories: tuple[str, ...]
    purposes: dict[str, Purpose]
    category_names: CategoryNames
    visibility: Visibility

    @model_validator(mode="after")
    def _consistent(self) -> ConsentConfig:
        if self.default_purpose not in self.purposes:
            raise ValueError(f"default_purpose {self.default_purpose!r} is not a purpose")
        known = set(self.sensitive_categories)
        for name, purpose in self.purposes.items():
            unknown = set(purpose.categories) - known
            if unknown:
                raise ValueError(f"purpose {name}: unknown categories {sorted(unknown)}")
        for language, names in (("en", self.category_names.en), ("zh", self.category_names.zh)):
            missing = known - set(names)
            if missing:
                raise ValueError(f"category_names.{language}: missing {sorted(missing)}")
        for role in ("agent", "supervisor", "privacy_officer"):
            unknown = set(getattr(self.visibility, role)) - known
            if unknown:
                raise ValueError(f"visibility.{role}: unknown categories {sorted(unknown)}")
        return self

    def visible_to(self, role: str) -> frozenset[str]:
        return frozenset(getattr(self.visibility, role, ()))

    def describe(self, categories: list[str], language: str) -> str:
        names = self.category_names.zh if language == "zh" else self.category_names.en
        return ("、" if language == "zh" else ", ").join(names[c] for c in categories)

    def notice(self, purpose: str, categories: list[str], language: str, *, guardian: bool) -> str:
        spec = self.purposes[purpose]
        text = spec.notice.text(language).format(categories=self.describe(categories, language))
        if guardian:
            text = spec.guardian_notice.text(language) + "\n\n" + text
        return text


def load_consent_config(config_dir: Path) -> ConsentConfig:
    path = config_dir / "consent.toml"
    try:
        return ConsentConfig.model_validate(load_toml(path))
    except ValidationError as exc:
        raise ConfigError(f"{path}: {exc}") from exc
