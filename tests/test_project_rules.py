"""Project checks that linters do not know (zulip's custom_check idea)."""

from __future__ import annotations

import ast
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


REGEX_METHODS = {"search", "match", "fullmatch", "finditer", "findall", "sub", "subn", "split"}
# Where pattern calls may go without `timeout=`, and why: a file's functions ("*": all).
REGEX_WITHOUT_TIME_LIMIT = {
    # Validates configured patterns once at start-up, never on message text.
    "detectors/config.py": {"*"},
    # The HEALTH lexicon read at start-up: a worker started with a tiny limit must start.
    "detectors/recognizers/generic/generic_health_recognizer.py": {"lexicon"},
    # Runs in the document pool, which does not load Presidio (so not REGEX_TIMEOUT), under
    # the read timer (read_timeout_secs); its one pattern matches one OCR character.
    "detectors/documents.py": {"_needs_space"},
    # Stdlib `re`: `regex` reads \s (U+001C-U+001F) and \d (Unicode 16 digits) differently,
    # so a switch would change what the patterns match; none nests a quantifier.
    "detectors/digit_groups.py": {"*"},
}


def _regex_modules(tree: ast.Module) -> set[str]:
    """Names bound to the `regex` module (or stdlib `re`, which has no time limit)."""
    return {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
        if alias.name in ("regex", "re")
    }


def _compiled_names(tree: ast.Module) -> tuple[set[str], set[str]]:
    """Module-level names bound to `regex.compile(...)`, and class attributes bound to it
    or annotated as a pattern (`GUARD: ClassVar[regex.Pattern[str] | None]`)."""
    modules = _regex_modules(tree)

    def compiles(value: ast.expr | None) -> bool:
        return (
            isinstance(value, ast.Call)
            and isinstance(value.func, ast.Attribute)
            and value.func.attr == "compile"
            and isinstance(value.func.value, ast.Name)
            and value.func.value.id in modules
        )

    def targets(body: list[ast.stmt], *, annotated: bool) -> set[str]:
        names = set()
        for statement in body:
            if isinstance(statement, ast.Assign) and compiles(statement.value):
                names |= {t.id for t in statement.targets if isinstance(t, ast.Name)}
            elif isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
                pattern = annotated and "Pattern" in ast.unparse(statement.annotation)
                if pattern or compiles(statement.value):
                    names.add(statement.target.id)
        return names

    attributes = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            attributes |= targets(node.body, annotated=True)
    return targets(tree.body, annotated=False), attributes


def _module_name(path: Path) -> str:
    return ".".join(path.relative_to(REPO).with_suffix("").parts)


def regex_calls_without_timeout(path: Path, exported: dict[str, set[str]]) -> list[str]:
    """Calls `X.search/match/...(...)` without `timeout=` where X is the regex module, a
    name bound to `regex.compile` here or imported from another detectors module that
    binds it, or a class attribute bound to it."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names, attributes = _compiled_names(tree)
    names |= _regex_modules(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module in exported:
            names |= {
                alias.asname or alias.name
                for alias in node.names
                if alias.name in exported[node.module]
            }
    allowed = REGEX_WITHOUT_TIME_LIMIT.get(str(path.relative_to(REPO)), set())
    if "*" in allowed:
        return []
    inside_allowed = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name in allowed
        for inner in ast.walk(node)
    }
    found = []
    for node in ast.walk(tree):
        if id(node) in inside_allowed or not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in REGEX_METHODS
            and not any(keyword.arg == "timeout" for keyword in node.keywords)
        ):
            continue
        target = node.func.value
        if (isinstance(target, ast.Name) and target.id in names) or (
            isinstance(target, ast.Attribute) and target.attr in attributes
        ):
            found.append(f"{path.relative_to(REPO)}:{node.lineno}: {ast.unparse(node.func)}")
    return found


def test_every_regex_on_text_has_the_time_limit() -> None:
    """A pattern on message text runs with `timeout=` (REGEX_TIMEOUT.secs, or the
    `timeout` argument in modules kept free of Presidio): one that runs out of time fails
    closed (detectors/README.md, Recognizers). Stdlib `re` has no time limit, so a call on
    it is listed too. Only the functions in REGEX_WITHOUT_TIME_LIMIT may go without."""
    exported = {
        _module_name(path): _compiled_names(ast.parse(path.read_text(encoding="utf-8")))[0]
        for path in DETECTORS
    }
    calls = [call for path in DETECTORS for call in regex_calls_without_timeout(path, exported)]
    assert calls == []
