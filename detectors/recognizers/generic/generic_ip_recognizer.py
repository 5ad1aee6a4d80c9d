"""IP_ADDRESS: IPv4 dotted quads and IPv6, validated with :mod:`ipaddress`."""

from __future__ import annotations

import ipaddress
from typing import ClassVar, override

from detectors.recognizers.base import PatternSpec, ProjectPatternRecognizer

_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"


class GenericIpRecognizer(ProjectPatternRecognizer):
    ENTITY = "IP_ADDRESS"
    PATTERNS_SPEC: ClassVar[tuple[PatternSpec, ...]] = (
        ("ipv4", rf"(?<![0-9A-Za-z_.])(?:{_OCTET}\.){{3}}{_OCTET}(?![0-9A-Za-z_]|\.\d)", 0.6),
        (
            "ipv6",
            r"(?<![0-9A-Za-z_:])(?:[0-9A-Fa-f]{1,4}:){2,7}(?::|(?::[0-9A-Fa-f]{1,4}){1,6}|[0-9A-Fa-f]{1,4})"
            r"(?![0-9A-Za-z_:])",
            0.6,
        ),
        (
            "ipv6_compressed_prefix",
            r"(?<![0-9A-Za-z_:])::(?:[0-9A-Fa-f]{1,4}:){0,6}[0-9A-Fa-f]{1,4}(?![0-9A-Za-z_:])",
            0.5,
        ),
    )
    CONTEXT_WORDS = ("ip", "ip address", "ipv4", "ipv6", "IP地址", "地址", "服务器", "server")
    CHECK_EXPLANATION = "valid IP address"

    @override
    def validate_result(self, pattern_text: str) -> bool:
        try:
            address = ipaddress.ip_address(pattern_text)
        except ValueError:
            return False
        if isinstance(address, ipaddress.IPv4Address):
            # 1.2.3.4-style version strings and 0.x addresses are not someone's address.
            return not address.is_unspecified and pattern_text.count(".") == 3
        return True
