"""The chat path's view of PII detection: one async call returning contract findings."""

from __future__ import annotations

from typing import Any, Protocol


class Scanner(Protocol):
    async def scan(self, text: str, language: str | None) -> list[dict[str, Any]]: ...


class PoolScanner:
    """Adapts the detection engine's process pool (detectors.DetectorPool)."""

    def __init__(self, pool: Any) -> None:
        self._pool = pool

    async def scan(self, text: str, language: str | None) -> list[dict[str, Any]]:
        findings = await self._pool.detect(text, language)
        return [f.to_contract() for f in findings]
