"""`config/web.toml` -> a frozen, validated model (unknown keys are an error)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from chat_service.errors import ConfigError
from chat_service.tomlfile import load_toml

# An origin ("https://shop.example[:port]") or a CSP source keyword such as 'self'.
_Source = Annotated[
    str, StringConstraints(pattern=r"^('self'|'none'|https?://[A-Za-z0-9.\-]+(:[0-9]{1,5})?)$")
]
_Origin = Annotated[str, StringConstraints(pattern=r"^https?://[A-Za-z0-9.\-]+(:[0-9]{1,5})?$")]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class WebConfig(_Frozen):
    # Who may frame the widget page (CSP frame-ancestors); the console is never framed.
    frame_ancestors: tuple[_Source, ...] = Field(min_length=1)
    # Shop origins that embed the widget's script tag (CORS on the widget's static files).
    embed_origins: tuple[_Origin, ...]
    # Cache-Control max-age of the static files; ETag revalidation after that.
    static_max_age_secs: int = Field(ge=0, le=31_536_000)


def load_web_config(config_dir: Path) -> WebConfig:
    path = config_dir / "web.toml"
    raw = load_toml(path)
    try:
        return WebConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"{path}: {exc}") from exc
