"""The HTTP API fuzzed from its own OpenAPI description (issue 16 item 9): schemathesis
(pinned in requirements.lock) runs against the real server with generated valid and invalid
requests; no answer may be a 5xx, and every status, content type and JSON body must be the
ones the description declares for that operation (success bodies included: their schemas
are the models the handlers reply with, http/responses.py).

Three callers, one run each: a privacy officer over every operation with generated ids;
then, over a conversation, an upload and consents the service really holds, that
conversation's customer and its agent over the operations they are served by, with the
path ids fixed to theirs (so their answers are successes, not only 403 and 404)."""

from __future__ import annotations

import asyncio
import json
import re
import sys
from pathlib import Path

import aiohttp
import pytest

from tests.helpers.consent import assigned_chat, headers
from tests.helpers.ws import Client, token_for

CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
)
RUN_TIMEOUT_SECS = 420.0  # each run ~10-40 s on an idle 2-core machine; generous for a loaded one
CUSTOMER, AGENT = "cust-fuzz", "agent-fuzz"
# (role, sub, operations' path regex or None for all, examples per operation and phase)
CALLERS = {
    "privacy_officer": ("po-fuzz", None, 8),
    "customer": (
        CUSTOMER,
        r"^/api/(privacy/customers/|attachments|conversations/\{conversation_id\}/messages)",
        5,
    ),
    "agent": (AGENT, r"^/api/(conversations|attachments)", 5),
}


async def _seed(client: Client) -> dict[str, str]:
    """A customer's conversation joined by an agent, with a text file uploaded into it:
    the ids the customer's and the agent's runs use."""
    chat = await assigned_chat(client, customer_sub=CUSTOMER, agent_sub=AGENT)
    form = aiohttp.FormData()
    form.add_field("file", b"order 1234 arrived\n", filename="note.txt", content_type="text/plain")
    form.add_field("conversation_id", chat.conversation_id)
    upload = await client.post(
        "/api/attachments", data=form, headers=headers(client, "customer", CUSTOMER)
    )
    assert upload.status == 201, await upload.text()
    attachment = (await upload.json())["id"]
    await chat.customer.close()
    await chat.agent.close()
    return {
        "path.customer_id": CUSTOMER,
        "path.conversation_id": chat.conversation_id,
        "path.attachment_id": attachment,
    }


def _config(path: Path, parameters: dict[str, str]) -> Path:
    """A schemathesis.toml fixing path parameters (TOML basic strings are JSON strings)."""
    lines = ["[parameters]", *(f"{json.dumps(k)} = {json.dumps(v)}" for k, v in parameters.items())]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.timeout(RUN_TIMEOUT_SECS + 180)  # + the store and detection pool start-up
@pytest.mark.parametrize("role", sorted(CALLERS))
async def test_when_the_api_is_fuzzed_from_its_description_then_no_5xx_and_answers_conform(
    client: Client, tmp_path: Path, role: str
) -> None:
    sub, operations, examples = CALLERS[role]
    token = token_for(client, role, sub)
    config: list[str] = []
    selection: list[str] = []
    if operations is not None:
        parameters = await _seed(client)
        config = ["--config-file", str(_config(tmp_path / "schemathesis.toml", parameters))]
        selection = ["--include-path-regex", operations]
    process = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).with_name("st")),
        *config,
        "run",
        str(client.make_url("/api/openapi.json")),
        *selection,
        "--checks",
        ",".join(CHECKS),
        "--max-examples",
        str(examples),
        "--seed",
        "16",
        "--workers",
        "1",
        "--header",
        f"Authorization: Bearer {token}",
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
    loaded = re.search(r"Operations:\s+(\d+) selected / (\d+) total", report)
    assert loaded is not None, report[-3000:]
    if operations is None:  # every operation of the description was selected
        assert loaded[1] == loaded[2], report[-3000:]
    assert int(loaded[1]) >= 3, report[-3000:]
    assert re.search(rf"Tested:\s+{loaded[1]}\b", report), report[-3000:]
    cases = re.search(r"Test cases:\s+(\d+) generated, (\d+) passed\s*$", report, re.MULTILINE)
    assert cases is not None and cases[1] == cases[2], report[-3000:]  # none failed
