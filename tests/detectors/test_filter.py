"""The detection filter's contract (CONTRACT section 3), in-process and as a subprocess."""

from __future__ import annotations

import io
import json
import pathlib
import subprocess
import sys

import pytest

from detectors import run_filter

ROOT = pathlib.Path(__file__).resolve().parents[2]

LINES = [
    json.dumps({"id": "a", "text": "身份证号11010519491231002X"}),
    "this is not json",
    json.dumps(["not", "an", "object"]),
    json.dumps({"id": "d"}),
    json.dumps({"id": "e", "text": 5}),
    json.dumps({"id": "f", "text": "hi", "language": "fr"}),
    json.dumps({"id": "g", "text": "Call me on +1-683-268-5957", "language": "en"}),
    json.dumps({"id": "h", "text": "\ud800 card 4111111111111111"}),
    json.dumps({"id": "i", "text": ""}),
    '{"id": "j", "n": ' + "9" * 5000 + ', "text": "hi"}',
    "[" * 100_000,
    json.dumps({"id": "k", "text": "after the hostile lines: card 4111111111111111"}),
]


def check_output(lines: list[str]) -> None:
    out = [json.loads(line) for line in lines]
    assert [o.get("id") for o in out] == [
        "a", None, None, "d", "e", "f", "g", "h", "i", None, None, "k"
    ]  # fmt: skip
    assert [o["entity_type"] for o in out[0]["findings"]] == ["CN_RESIDENT_ID"]
    first = out[0]["findings"][0]
    assert first == {
        "entity_type": "CN_RESIDENT_ID",
        "start": 4,
        "end": 22,
        "score": 1.0,
        "category": "identity_document",
        "sensitive": True,
    }
    for index in (1, 2, 3, 4, 5, 9, 10):
        assert set(out[index]) == {"id", "error"} and out[index]["error"]
    assert [f["entity_type"] for f in out[6]["findings"]] == ["PHONE_NUMBER"]
    assert [f["entity_type"] for f in out[7]["findings"]] == ["CREDIT_CARD"]
    assert out[8] == {"id": "i", "findings": []}
    assert "too long" in out[9]["error"] and "nested" in out[10]["error"]
    assert [f["entity_type"] for f in out[11]["findings"]] == ["CREDIT_CARD"]


def test_when_filter_runs_in_process_then_every_line_gets_one_answer_in_order(
    config_dir: pathlib.Path,
) -> None:
    stdout = io.StringIO()
    status = run_filter(io.StringIO("\n".join(LINES) + "\n"), stdout, None, config_dir)
    assert status == 0
    check_output(stdout.getvalue().splitlines())


def test_when_default_language_is_unsupported_then_filter_fails(config_dir: pathlib.Path) -> None:
    assert run_filter(io.StringIO(""), io.StringIO(), "fr", config_dir) == 2


@pytest.mark.timeout(180)
def test_when_filter_runs_as_a_subprocess_then_contract_holds() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "detectors", "--language", "zh"],
        input="\n".join(LINES) + "\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=170,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    check_output(completed.stdout.splitlines())
