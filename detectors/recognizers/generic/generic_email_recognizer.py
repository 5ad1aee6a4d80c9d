"""EMAIL_ADDRESS: RFC 5322-ish local part and a domain whose suffix is on the public-suffix list.

The suffix check uses tldextract's bundled snapshot (detectors/offline.py): no network.
"""

from __future__ import annotations

from typing import ClassVar, override

import regex

from detectors.offline import offline_tld_extractor
from detectors.recognizers.base import PatternSpec, ProjectPatternRecognizer


class GenericEmailRecognizer(ProjectPatternRecognizer):
    ENTITY = "EMAIL_ADDRESS"
    GUARD = regex.compile("@")
    PATTERNS_SPEC: ClassVar[tuple[PatternSpec, ...]] = (
        (
            "email",
            r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@"
            r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}"
            r"(?![A-Za-z0-9-])",
            0.5,
        ),
    )
    CONTEXT_WORDS = ("email", "e-mail", "mail", "邮箱", "邮件", "电子邮件")
    CHECK_EXPLANATION = "e-mail domain has a public suffix"

    @override
    def validate_result(self, pattern_text: str) -> bool:
        domain = pattern_text.rsplit("@", 1)[-1]
        return bool(offline_tld_extractor()(domain).suffix)
