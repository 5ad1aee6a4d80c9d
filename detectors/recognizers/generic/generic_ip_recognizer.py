"""IP_ADDRESS: IPv4 dotted quads and IPv6, validated with :mod:`ipaddress`.

A dotted quad is also how software, firmware and builds are numbered ("10.2.0.1"). One said to
be a version is not an address: after a version word ("version", "build", "release",
"firmware", "patch", "v"), after what software does with a version ("the server runs",
"running", "updated/upgraded to", "still on", "installed", "latest is"), after an operating
system or a piece of software ("iOS", "Android", "Windows", "the app"), or before "update",
"release", "build", "patch", "beta" ("after the 10.2.0.1 update"). An address word nearer the
value keeps it an address ("my IP is 10.2.0.1", "runs on host 10.2.0.1", "from 192.168.1.20").
"""

from __future__ import annotations

import ipaddress
from typing import ClassVar, override

import regex
from presidio_analyzer import RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from detectors.recognizers.base import REGEX_TIMEOUT, PatternSpec, ProjectPatternRecognizer

_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"

# "I'm on", "still on": a version one stays on, not a host one is at.
_STAYING_ON = r"(?:still|stuck|i['\u2019]?m|we['\u2019]?re|i\s+am|we\s+are|currently)\s+on"
# Right before the value, the rest of its clause: a version word or what software does with
# one, then fillers ("is", "to", "number", ":", "the", "v").
_VERSION_BEFORE = regex.compile(
    r"(?<![A-Za-z])(?:versions?|ver|builds?|releases?|firmware|fw|patch(?:ed)?|updated?|updating"
    r"|upgrad(?:e|ed|ing)|downgrad(?:e|ed|ing)|roll(?:ed)?\s+back|revert(?:ed)?|installed|install(?:ing)?"
    rf"|runs|running|run|{_STAYING_ON}"
    r"|latest|newest|current|ios|ipados|android|windows|macos|os|kernel|bios|uefi|app|software"
    r"|driver|sdk|client|v)"
    r"(?:[ \t]*(?:to|is|was|from|number|no\.?|version|build|[:#=]|the|v\.?))*"
    r"[ \t]*(?:v\.?[ \t]?)?\Z",
    regex.IGNORECASE,
)
_VERSION_AFTER = regex.compile(
    r"[ \t]*(?:-[ \t]*)?(?:updates?|upgrades?|releases?|builds?|versions?|patch|firmware|beta|alpha"
    r"|rc\d*|nightly|hotfix)(?![A-Za-z])",
    regex.IGNORECASE,
)
# An address word right before the value keeps the address ("runs on host 10.2.0.1", "IP:
# 10.2.0.1"); so does "on" or "at" ("runs on 10.2.0.1": where it runs), but not "I'm on".
_ADDRESS_BEFORE = regex.compile(
    r"(?<![A-Za-z])(?:ip|ipv4|address|addr|host|hostname|gateway|dns|subnet|proxy|ping|ssh"
    r"|on|at|from|via)(?![A-Za-z])[^A-Za-z]*\Z",
    regex.IGNORECASE,
)
_STAYING_ON_END = regex.compile(rf"{_STAYING_ON}[ \t]*\Z", regex.IGNORECASE)
_CLAUSE_CHARS = 40


def _said_to_be_version(text: str, start: int, end: int) -> bool:
    before = regex.split(
        r"[.,;!?\n(]\s", text[max(0, start - _CLAUSE_CHARS) : start], timeout=REGEX_TIMEOUT.secs
    )[-1]
    if _ADDRESS_BEFORE.search(before, timeout=REGEX_TIMEOUT.secs) and not _STAYING_ON_END.search(
        before, timeout=REGEX_TIMEOUT.secs
    ):
        return False
    return bool(
        _VERSION_BEFORE.search(before, timeout=REGEX_TIMEOUT.secs)
        or _VERSION_AFTER.match(text, end, timeout=REGEX_TIMEOUT.secs)
    )


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

    @override
    def analyze(
        self,
        text: str,
        entities: list[str],
        nlp_artifacts: NlpArtifacts | None = None,
        regex_flags: int | None = None,
    ) -> list[RecognizerResult]:
        results = super().analyze(text, entities, nlp_artifacts, regex_flags)
        return [
            r
            for r in results
            if ":" in text[r.start : r.end] or not _said_to_be_version(text, r.start, r.end)
        ]
