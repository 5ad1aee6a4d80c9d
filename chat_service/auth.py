"""Access tokens: signed (HS256), expiring JWTs as the shop's login system issues them."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from enum import StrEnum

import jwt

from chat_service.errors import Unauthenticated
from chat_service.settings import AuthSection, Secret

ALGORITHM = "HS256"


class Role(StrEnum):
    CUSTOMER = "customer"
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    PRIVACY_OFFICER = "privacy_officer"


AGENT_ROLES = frozenset({Role.AGENT, Role.SUPERVISOR})


@dataclass(frozen=True, slots=True)
class Identity:
    """Who is calling. `age` and `lang` come from optional token claims the shop's login
    system may set (a customer's age in years; their preferred language)."""

    role: Role
    sub: str
    age: int | None = field(default=None, compare=False)
    lang: str | None = field(default=None, compare=False)
    expires_at: float | None = field(default=None, compare=False)  # the token's exp (epoch s)

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
        try:
            return Identity(
                Role(str(role)), sub, age=age, lang=lang, expires_at=float(claims["exp"])
            )
        except ValueError as exc:
            raise Unauthenticated("the access token has an unknown role") from exc
