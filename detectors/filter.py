"""The detection filter of CONTRACT section 3: JSON lines in, one JSON line out per input.

Input ``{"id": str, "text": str, "language"?: "en"|"zh"}``; output, in the same order,
``{"id", "findings": [...]}`` or, for a line that cannot be processed, ``{"id", "error"}``
(``id`` echoed when the line had one) and the stream goes on. Lines are read in batches
so spaCy can ``pipe`` them; each batch is flushed before the next is read.
"""

from __future__ import annotations

import json
import logging
import pathlib
import select
from typing import TextIO

from detectors.config import load_detection_config
from detectors.engine import DetectItem, Detector
from detectors.findings import Finding, KnownCustomer
from detectors.text import SUPPORTED_LANGUAGES

logger = logging.getLogger(__name__)

BATCH_LINES = 32


class BadLineError(ValueError):
    def __init__(self, message: str, line_id: object = None) -> None:
        super().__init__(message)
        self.line_id = line_id


def parse_line(line: str) -> tuple[object, DetectItem]:
    """Returns (id, item) or raises BadLineError."""
    try:
        data = json.loads(line)
    except json.JSONDecodeError as error:
        raise BadLineError(f"not valid JSON: {error.msg}") from None
    except ValueError:
        # Python refuses integers of more than 4,300 digits (int_max_str_digits).
        raise BadLineError("not valid JSON: a number is too long") from None
    except RecursionError:
        raise BadLineError("not valid JSON: nested too deeply") from None
    if not isinstance(data, dict):
        raise BadLineError("a line must be a JSON object")
    line_id = data.get("id")
    text = data.get("text")
    if "text" not in data:
        raise BadLineError("missing 'text'", line_id)
    if not isinstance(text, str):
        raise BadLineError("'text' must be a string", line_id)
    language = data.get("language")
    if language is not None and language not in SUPPORTED_LANGUAGES:
        raise BadLineError("'language' must be 'en' or 'zh'", line_id)
    known = None
    if isinstance(data.get("known"), dict):
        values = {k: v for k, v in data["known"].items() if k in {"name", "phone", "address"}}
        if all(isinstance(v, str) for v in values.values()):
            known = KnownCustomer(**values)
    return line_id, (text, language, known)


def _write(stdout: TextIO, payload: dict[str, object]) -> None:
    stdout.write(json.dumps(payload, ensure_ascii=True) + "\n")


def _process(
    detector: Detector, lines: list[str], default_language: str | None, out: TextIO
) -> int:
    parsed: list[tuple[object, DetectItem] | BadLineError] = []
    for line in lines:
        try:
            line_id, (text, language, known) = parse_line(line)
            parsed.append((line_id, (text, language or default_language, known)))
        except BadLineError as error:
            parsed.append(error)
    items = [p[1] for p in parsed if not isinstance(p, BadLineError)]
    outcomes: list[list[Finding] | ValueError]
    try:
        outcomes = list(detector.detect_batch(items))
    except ValueError:
        outcomes = []  # one at a time, so one bad item fails alone
        for item in items:
            try:
                outcomes.append(detector.detect_batch([item])[0])
            except ValueError as error:
                outcomes.append(error)
    results = iter(outcomes)
    failures = 0
    for entry in parsed:
        if isinstance(entry, BadLineError):
            failures += 1
            _write(out, {"id": entry.line_id, "error": str(entry)})
            continue
        outcome = next(results)
        if isinstance(outcome, ValueError):
            failures += 1
            _write(out, {"id": entry[0], "error": str(outcome)})
        else:
            _write(out, {"id": entry[0], "findings": [f.to_contract() for f in outcome]})
    out.flush()
    return failures


def run_filter(
    stdin: TextIO, stdout: TextIO, default_language: str | None, config_dir: pathlib.Path
) -> int:
    """Run the filter until end of input. Returns 0, or 2 for a bad ``default_language``.

    Bad lines are reported in-stream and do not change the exit status.
    """
    if default_language is not None and default_language not in SUPPORTED_LANGUAGES:
        logger.error("unsupported language %r", default_language)
        return 2
    detector = Detector(load_detection_config(config_dir))
    batch: list[str] = []
    for raw in stdin:
        line = raw.rstrip("\r\n")
        if not line.strip():
            continue
        batch.append(line)
        if len(batch) >= BATCH_LINES or not _more_buffered(stdin):
            _process(detector, batch, default_language, stdout)
            batch = []
    if batch:
        _process(detector, batch, default_language, stdout)
    return 0


def _more_buffered(stream: TextIO) -> bool:
    """Whether more input is ready now, so batching never keeps an interactive caller waiting."""
    try:
        fd = stream.fileno()
    except (OSError, ValueError, AttributeError):
        return True  # an in-memory stream never blocks
    readable, _, _ = select.select([fd], [], [], 0)
    return bool(readable)
