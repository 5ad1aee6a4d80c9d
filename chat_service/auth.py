"""Access tokens: signed (HS256), expiring JWTs as the shop's login system issues them."""

from __future__ import annotations

import time
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

import jwt

from chat_service.errors import Unauthenticated
from chat_service.settings import AuthSection, Secret

ALGORITHM = "HS256"
NAME_MAX_CHARS = 80  # the `name` claim: the customer's display name as the shop sends it
PROFILE_MAX_FIELDS = 12  # the `profile` claim: shop fields such as {"order": "A-1001"}
PROFILE_KEY_MAX_CHARS = 32
PROFILE_VALUE_MAX_CHARS = 120


class Role(StrEnum):
    CUSTOMER = "customer"
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    PRIVACY_OFFICER = "privacy_officer"


AGENT_ROLES = frozenset({Role.AGENT, Role.SUPERVISOR})


@dataclass(frozen=True, slots=True)
class Identity:
    """Who is calling. `age`, `lang`, `name` and `profile` come from optional token claims
    the shop's login system may set (a customer's age in years; their preferred language;
    their display name; shop fields such as an order number, plain strings only)."""

    role: Role
    sub: str
    age: int | None = field(default=None, compare=False)
    lang: str | None = field(default=None, compare=False)
    expires_at: float | None = field(default=None, compare=False)  # the token's exp (epoch s)
    name: str | None = field(default=None, compare=False)
    profile: Mapping[str, str] = field(default_factory=dict, compare=False)

    def is_minor(self, minor_age_years: int) -> bool:
        return self.age is not None and self.age < minor_age_years

    @property
    def is_agent(self) -> bool:
        return self.role in AGENT_ROLES


class TokenService:
    def __init__(self, secret: Secret, auth: AuthSection) -> None:
        self._secret = secret
        self._auth = auth

    def issue(
        self,
        role: Role,
        sub: str,
        ttl_secs: int | None = None,
        *,
        now: float | None = None,
        extra: dict[str, object] | None = None,
    ) -> str:
        if not sub or len(sub) > 128:
            raise ValueError("sub must be 1-128 characters")
        ttl = self._auth.default_ttl_secs if ttl_secs is None else ttl_secs
        if ttl <= 0 or ttl > self._auth.max_ttl_secs:
            raise ValueError(f"ttl must be between 1 and {self._auth.max_ttl_secs} seconds")
        issued = int(time.time() if now is None else now)
        claims: dict[str, object] = {
            **(extra or {}),
            "iss": self._auth.issuer,
            "aud": self._auth.audience,
            "sub": sub,
            "role": role.value,
            "iat": issued,
            "exp": issued + ttl,
        }
        return jwt.encode(claims, self._secret.reveal(), algorithm=ALGORITHM)

    def verify(self, token: str) -> Identity:
        if not token or len(token) > 4096:
            raise Unauthenticated()
        try:
            claims = jwt.decode(
                token,
                self._secret.reveal(),
                algorithms=[ALGORITHM],
                audience=self._auth.audience,
                issuer=self._auth.issuer,
                leeway=self._auth.leeway_secs,
                options={"require": ["exp", "iat", "sub", "aud", "iss"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthenticated("the access token has expired") from exc
        except jwt.InvalidAudienceError as exc:
            raise Unauthenticated("the access token is for another service") from exc
        except jwt.PyJWTError as exc:
            raise Unauthenticated("the access token is not valid") from exc
        if claims["exp"] - claims["iat"] > self._auth.max_ttl_secs + self._auth.leeway_secs:
            raise Unauthenticated("the access token lives longer than allowed")
        sub, role = claims.get("sub"), claims.get("role")
        if not isinstance(sub, str) or not sub or len(sub) > 128:
            raise Unauthenticated("the access token has no valid subject")
        age, lang = claims.get("age"), claims.get("lang")
        if age is not None and (not isinstance(age, int) or isinstance(age, bool) or age < 0):
            raise Unauthenticated("the access token has an invalid age claim")
        if lang is not None and lang not in ("en", "zh"):
            lang = None
        name = customer_name(claims.get("name"))
        profile = customer_profile(claims.get("profile"))
        try:
            return Identity(
                Role(str(role)),
                sub,
                age=age,
                lang=lang,
                expires_at=float(claims["exp"]),
                name=name,
                profile=profile,
            )
        except ValueError as exc:
            raise Unauthenticated("the access token has an unknown role") from exc


def _plain(value: str, max_chars: int) -> bool:
    """1..max_chars characters with no control or format characters (line breaks,
    bidirectional overrides, zero-width joiners): text shown as the shop sent it."""
    return (
        0 < len(value) <= max_chars
        and value.strip() == value
        and not any(unicodedata.category(ch)[0] == "C" for ch in value)
    )


def customer_name(raw: object) -> str | None:
    """The `name` claim, checked: a plain string of at most NAME_MAX_CHARS characters."""
    if raw is None:
        return None
    if not isinstance(raw, str) or not _plain(raw, NAME_MAX_CHARS):
        raise Unauthenticated(
            f"the access token's name claim must be plain text of 1-{NAME_MAX_CHARS} characters"
        )
    return raw


def customer_profile(raw: object) -> dict[str, str]:
    """The `profile` claim, checked: at most PROFILE_MAX_FIELDS string -> string pairs, keys
    of letters, digits, `_`, `-` and `.`, values plain text."""
    if raw is None:
        return {}
    if not isinstance(raw, dict) or len(raw) > PROFILE_MAX_FIELDS:
        raise Unauthenticated(
            f"the access token's profile claim must be an object of at most "
            f"{PROFILE_MAX_FIELDS} fields"
        )
    profile: dict[str, str] = {}
    for key, value in raw.items():
        if not (
            isinstance(key, str)
            and 0 < len(key) <= PROFILE_KEY_MAX_CHARS
            and key.isascii()
            and all(ch.isalnum() or ch in "_-." for ch in key)
            and isinstance(value, str)
            and _plain(value, PROFILE_VALUE_MAX_CHARS)
        ):
            raise Unauthenticated(
                "the access token's profile claim holds a field that is not a plain string "
                f"(keys: 1-{PROFILE_KEY_MAX_CHARS} of A-Z a-z 0-9 _ - .; values: "
                f"1-{PROFILE_VALUE_MAX_CHARS} characters)"
            )
        profile[key] = value
    return profile
