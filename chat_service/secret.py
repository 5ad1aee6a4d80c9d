"""Secret strings, and whether a host is this machine: used by settings and config files alike
(kept apart from settings.py so that configuration modules Settings.load reads can use them)."""

from __future__ import annotations

import ipaddress
from typing import override


class Secret:
    """A string that never shows itself in a repr, a log line or a traceback."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    @override
    def __repr__(self) -> str:
        return "Secret('**********')"

    @override
    def __str__(self) -> str:
        return "**********"

    @override
    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    @override
    def __hash__(self) -> int:
        return hash(self._value)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
