"""The chat path's view of PII detection: one async call returning contract findings.

Documents (pictures, PDFs, text files) have their own protocol, `DocumentScanner`, rather
than two more methods on `Scanner`: the command-line tools and the benchmarks pass scanners
that only ever see text, and an attachment whose scanner cannot read documents is held
(fail closed), never passed on. `PoolScanner` implements both.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

if TYPE_CHECKING:
    from detectors.documents import DocumentKind, ImageFormat

DocumentFailure = Literal["unreadable", "timeout", "error"]
BoxTuple = tuple[int, int, int, int]  # left, top, width, height, in pixels


class Scanner(Protocol):
    async def scan(self, text: str, language: str | None, owner: str = "") -> list[dict[str, Any]]:
        """Contract findings of `text`. `owner` (role:sub of whoever sent it) is whose turn
        the text takes: detection is shared fairly between owners (detectors/pool.py)."""
        ...


@dataclass(frozen=True, slots=True)
class DocumentResult:
    """Findings of a document, as contract findings plus "page" and "boxes". The extracted
    text is not kept: it may hold the very values the findings point at."""

    findings: list[dict[str, Any]]
    pages: int


class TextNotScanned(Exception):
    """The detector refused this text (a pattern ran out of time on it). The text must not
    pass, and sending it again will be refused again: not a passing outage."""


class DocumentScanFailed(Exception):
    """The document could not be read or scanned; `reason` is safe to log and count."""

    def __init__(self, reason: DocumentFailure, detail: str) -> None:
        super().__init__(detail)
        self.reason: DocumentFailure = reason


@runtime_checkable
class DocumentScanner(Protocol):
    async def scan_document(
        self, kind: DocumentKind, data: bytes, language: str | None
    ) -> DocumentResult: ...

    async def redact_image(
        self, data: bytes, boxes: Sequence[BoxTuple], image_format: ImageFormat
    ) -> bytes: ...


class PoolScanner:
    """Adapts the detection engine's process pool (detectors.DetectorPool)."""

    def __init__(self, pool: Any) -> None:
        self._pool = pool

    async def scan(self, text: str, language: str | None, owner: str = "") -> list[dict[str, Any]]:
        from detectors.pool import TextRefusedError

        try:
            findings = await self._pool.detect(text, language, owner=owner)
        except TextRefusedError as exc:
            raise TextNotScanned(str(exc)) from exc
        return [f.to_contract() for f in findings]

    async def scan_document(
        self, kind: DocumentKind, data: bytes, language: str | None
    ) -> DocumentResult:
        from detectors.documents import DocumentTimeoutError, DocumentUnreadableError

        try:
            scan = await self._pool.scan_document(kind, data, language=language)
        except DocumentTimeoutError as exc:
            raise DocumentScanFailed("timeout", str(exc)) from None
        except DocumentUnreadableError as exc:
            raise DocumentScanFailed("unreadable", str(exc)) from None
        except Exception as exc:  # fail closed, whatever it was
            raise DocumentScanFailed("error", type(exc).__name__) from None
        return DocumentResult([f.to_contract() for f in scan.findings], scan.pages)

    async def redact_image(
        self, data: bytes, boxes: Sequence[BoxTuple], image_format: ImageFormat
    ) -> bytes:
        from detectors.documents import Box, DocumentTimeoutError, DocumentUnreadableError

        pool_boxes = [Box(1, left, top, width, height) for left, top, width, height in boxes]
        try:
            redacted: bytes = await self._pool.redact_image(
                data, pool_boxes, image_format=image_format
            )
        except DocumentTimeoutError as exc:
            raise DocumentScanFailed("timeout", str(exc)) from None
        except DocumentUnreadableError as exc:
            raise DocumentScanFailed("unreadable", str(exc)) from None
        except Exception as exc:  # fail closed, whatever it was
            raise DocumentScanFailed("error", type(exc).__name__) from None
        return redacted
