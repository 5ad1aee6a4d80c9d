"""`config/replies.toml` -> the shop's saved replies, validated at start-up.

Each reply has a key (what an agent types after `/` to find it), a title and a text in both
languages (English and Simplified Chinese). A text may hold placeholders from
`PLACEHOLDERS` only ({name}: the customer's display name, else their id; {agent}: the
agent's id); any other `{...}` is an error at start, as is a missing language or an unknown
key. The console fills the placeholders from the conversation (docs/agent-speed.md).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
)

from chat_service.errors import ConfigError
from chat_service.tomlfile import load_toml

REPLIES_FILE = "replies.toml"
PLACEHOLDERS = frozenset({"name", "agent"})
MAX_REPLIES = 500
MAX_REPLY_CHARS = 2000
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")

_Key = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_\-]{0,39}$")]
_Title = Annotated[str, StringConstraints(min_length=1, max_length=80)]
_Text = Annotated[str, StringConstraints(min_length=1, max_length=MAX_REPLY_CHARS)]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Localised(_Frozen):
    """One wording in both languages."""

    en: _Text
    zh: _Text


class LocalisedTitle(_Frozen):
    en: _Title
    zh: _Title


def _known_placeholders(text: Localised) -> Localised:
    for wording in (text.en, text.zh):
        unknown = set(_PLACEHOLDER.findall(wording)) - PLACEHOLDERS
        if unknown:
            raise ValueError(
                f"unknown placeholder(s) {sorted(unknown)}; allowed: {sorted(PLACEHOLDERS)}"
            )
    return text


class SavedReply(_Frozen):
    key: _Key
    title: LocalisedTitle
    text: Localised

    _placeholders = field_validator("text")(_known_placeholders)


class ReplyWording(_Frozen):
    """A saved reply's new wording (`PUT /api/replies/{key}`: the shortcut stays)."""

    title: LocalisedTitle
    text: Localised

    _placeholders = field_validator("text")(_known_placeholders)


class RepliesConfig(_Frozen):
    replies: tuple[SavedReply, ...] = Field(max_length=MAX_REPLIES)

    @field_validator("replies")
    @classmethod
    def _unique_keys(cls, replies: tuple[SavedReply, ...]) -> tuple[SavedReply, ...]:
        seen: set[str] = set()
        for reply in replies:
            if reply.key in seen:
                raise ValueError(f"reply key {reply.key!r} is used twice")
            seen.add(reply.key)
        return replies


def load_replies_config(config_dir: Path) -> RepliesConfig:
    path = config_dir / REPLIES_FILE
    raw = load_toml(path)
    try:
        return RepliesConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"{path}: {exc}") from exc
