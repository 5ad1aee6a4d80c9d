"""Project checks that linters do not know (zulip's custom_check idea)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SOURCES = sorted((REPO / "chat_service").rglob("*.py"))
DETECTORS = sorted((REPO / "detectors").rglob("*.py"))


def offending(pattern: str, files: list[Path]) -> list[str]:
    regex = re.compile(pattern)
    return [
        f"{path.relative_to(REPO)}:{number}: {line.strip()}"
        for path in files
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if regex.search(line) and "noqa" not in line
    ]


def test_no_print_in_library_code() -> None:
    """Library code logs; only the command line prints (the detection filter writes its
    JSON lines to stdout through `sys.stdout`, not `print`)."""
    files = [p for p in [*SOURCES, *DETECTORS] if p.name != "cli.py"]
    assert offending(r"^\s*print\(", files) == []


def test_no_spacy_model_is_ever_downloaded() -> None:
    """The spaCy model is a pinned package (requirements.lock): nothing may fetch one.
    Presidio downloads a model it does not find when built with its defaults
    (`AnalyzerEngine()`, `NlpEngineProvider`, `SpacyNlpEngine.load`), so code here builds
    its own NLP engine (detectors/nlp.py; tests/benchmarks/presidio_ootb.py)."""
    files = [*SOURCES, *DETECTORS, *sorted((REPO / "tests").rglob("*.py"))]
    pattern = r"spacy\.cli|spacy download|AnalyzerEngine\(\s*\)|NlpEngineProvider"
    assert offending(pattern, [p for p in files if p.name != "test_project_rules.py"]) == []


def test_only_storage_touches_collections() -> None:
    files = [p for p in SOURCES if "storage" not in p.parts]
    pattern = r"\.db\[|AsyncCollection|get_collection\(|\.insert_one\(|\.find_one\(|\.update_one\("
    assert offending(pattern, files) == []


@pytest.mark.parametrize("word", ["ticket", "chat_user", "user_id", "hit_"])
def test_one_vocabulary(word: str) -> None:
    """Customer, agent, conversation, message, finding: never user, ticket or hit."""
    assert offending(rf"\b{word}", SOURCES) == []


def test_no_motor() -> None:
    assert offending(r"^\s*(import motor|from motor)", SOURCES) == []
