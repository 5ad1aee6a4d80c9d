# Chinese punctuation is the data here, on purpose.
# ruff: noqa: RUF001
"""Saved replies (issue 20 item 4): config/replies.toml is validated at start-up and served
to staff who answer or watch conversations, in both languages; customers and privacy
officers get nothing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from chat_service.errors import ConfigError
from chat_service.settings import Settings
from tests.helpers.consent import headers
from tests.helpers.ws import Client

REPO = Path(__file__).resolve().parents[2]


async def test_when_an_agent_asks_then_the_shops_replies_come_in_both_languages(
    client: Client,
) -> None:
    for role in ("agent", "supervisor"):
        response = await client.get("/api/replies", headers=headers(client, role, f"{role}-1"))
        assert response.status == 200
        body = await response.json()
        keys = [r["key"] for r in body["replies"]]
        assert "greeting" in keys and len(set(keys)) == len(keys)
        greeting = next(r for r in body["replies"] if r["key"] == "greeting")
        assert "{name}" in greeting["text"]["en"]
        assert "{name}" in greeting["text"]["zh"]
        assert greeting["title"] == {"en": "Greeting", "zh": "问候"}
        assert body["placeholders"] == ["agent", "name"]


@pytest.mark.parametrize(("role", "status"), [("customer", 403), ("privacy_officer", 403)])
async def test_when_a_customer_or_officer_asks_then_the_replies_are_refused(
    client: Client, role: str, status: int
) -> None:
    response = await client.get("/api/replies", headers=headers(client, role, "x-1"))
    assert response.status == status
    assert (await client.get("/api/replies")).status == 401


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ("{name}，您好！", "{order}，您好！"),  # a placeholder the console cannot fill
        ('key = "order-status"', 'key = "greeting"'),  # the same key twice
        (', zh = "问候"', ""),  # a title with no Chinese
    ],
)
def test_when_a_reply_is_wrong_then_the_service_does_not_start(
    tmp_path: Path, change: str, named: str
) -> None:
    config = tmp_path / "config"
    shutil.copytree(REPO / "config", config)
    path = config / "replies.toml"
    text = path.read_text(encoding="utf-8")
    assert change in text, change
    path.write_text(text.replace(change, named, 1), encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        Settings.load(config, env={})
    assert "replies.toml" in str(raised.value)
