"""The HTTP API fuzzed from its own OpenAPI description (issue 16 item 9): schemathesis
(pinned in requirements.lock) runs against the real server with generated valid and invalid
requests; no answer may be a 5xx, and every status, content type and JSON body must be the
ones the description declares for that operation."""

from __future__ import annotations

import asyncio
import re
import sys
from pathlib import Path

import pytest

from tests.helpers.ws import Client, token_for

CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
)
MAX_EXAMPLES = 8  # per operation and phase: keeps the run to tens of seconds on 2 cores
RUN_TIMEOUT_SECS = 420.0  # ~40 s on an idle 2-core machine; generous for a loaded one


@pytest.mark.timeout(RUN_TIMEOUT_SECS + 180)  # + the store and detection pool start-up
async def test_when_the_api_is_fuzzed_from_its_description_then_no_5xx_and_answers_conform(
    client: Client, tmp_path: Path
) -> None:
    officer = token_for(client, "privacy_officer", "po-fuzz")
    process = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).with_name("st")),
        "run",
        str(client.make_url("/api/openapi.json")),
        "--checks",
        ",".join(CHECKS),
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        "16",
        "--workers",
        "1",
        "--header",
        f"Authorization: Bearer {officer}",
        "--generation-database",
        "none",
        "--request-timeout",
        "60",
        "--max-redirects",
        "0",
        "--suppress-health-check",
        "all",
        "--no-color",
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout=RUN_TIMEOUT_SECS)
    report = output.decode(errors="replace")
    assert process.returncode == 0, report[-6000:]
    # Every operation of the description was selected and tested.
    loaded = re.search(r"Operations:\s+(\d+) selected / (\d+) total", report)
    assert loaded is not None and loaded[1] == loaded[2], report[-3000:]
    assert re.search(rf"Tested:\s+{loaded[1]}\b", report), report[-3000:]
    cases = re.search(r"Test cases:\s+(\d+) generated, (\d+) passed\s*$", report, re.MULTILINE)
    assert cases is not None and cases[1] == cases[2], report[-3000:]  # none failed
