"""BANK_ACCOUNT: account numbers given with a context word (UK sort code + account, 8-30 digits:
a domestic account number runs to 30 digits, Poland's to 26 and France's to 23).

Bare digit runs are far too common (orders, tracking) to flag on their own, so every pattern
here scores below the threshold until a context word such as "account" / "账号" is near.
"""

from __future__ import annotations

from typing import ClassVar

from detectors.recognizers.base import (
    HAS_DIGIT,
    NOT_AFTER_DIGIT,
    NOT_BEFORE_DIGIT,
    PatternSpec,
    ProjectPatternRecognizer,
)


class GenericBankAccountRecognizer(ProjectPatternRecognizer):
    ENTITY = "BANK_ACCOUNT"
    GUARD = HAS_DIGIT
    PATTERNS_SPEC: ClassVar[tuple[PatternSpec, ...]] = (
        (
            "uk_sort_code_account",
            rf"{NOT_AFTER_DIGIT}\d{{2}}-\d{{2}}-\d{{2}},?\s+\d{{8}}{NOT_BEFORE_DIGIT}",
            0.35,
        ),
        ("digits", rf"{NOT_AFTER_DIGIT}\d{{8,30}}{NOT_BEFORE_DIGIT}", 0.2),
        (
            "grouped_digits",
            rf"{NOT_AFTER_DIGIT}\d{{4}}(?:[ -]\d{{3,4}}){{2,4}}{NOT_BEFORE_DIGIT}",
            0.2,
        ),
    )
    CONTEXT_WORDS = (
        "account", "acct", "a/c", "sort code", "routing", "bank", "refund to", "开户行", "账号",
        "账户", "银行卡", "银行账号", "卡号", "收款", "退款到", "对公", "户名",
    )  # fmt: skip
