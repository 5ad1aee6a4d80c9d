"""The customer's language kept on their conversation: from the token's `lang` claim when
it opens, updated when the widget connects in another language (`/ws?lang=`), shown in the
inbox and the customer panel, exported and deleted with the conversation (docs/inbox.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from chat_service import keys
from chat_service.auth import Role
from chat_service.privacy.deletion import process_due
from tests.helpers.consent import services_of
from tests.helpers.rights import docs, file_deletion, notifier_for
from tests.helpers.ws import Client, Peer, connect, token_for


async def connect_customer(client: Client, sub: str, query: str = "", **claims: Any) -> Peer:
    token = client.app[keys.TOKENS].issue(Role.CUSTOMER, sub, extra=claims)
    ws = await client.ws_connect(f"/ws?token={token}{query}")
    peer = Peer(ws, "customer", sub)
    await peer.expect("hello")
    return peer


async def get_json(client: Client, path: str, role: str, sub: str) -> dict[str, Any]:
    response = await client.get(
        path, headers={"Authorization": "Bearer " + token_for(client, role, sub)}
    )
    assert response.status == 200, await response.text()
    body: dict[str, Any] = await response.json()
    return body


async def test_when_a_customer_switches_the_widget_language_then_agents_see_it_in_inbox_and_panel(
    client: Client,
) -> None:
    agent = await connect(client, "agent", "agent-1")
    first = await connect_customer(client, "cust-lang", lang="en")
    await first.send_text("hello, where is my parcel?")
    opened = (await agent.expect("conversation.opened"))["conversation"]
    assert opened["customer_lang"] == "en"  # the token's claim when it opens
    await first.close()

    # the widget's language switch reloads it: it connects again in the chosen language
    second = await connect_customer(client, "cust-lang", "&lang=zh", lang="en")
    updated = (await agent.expect("conversation.updated"))["conversation"]
    assert (updated["id"], updated["customer_lang"]) == (opened["id"], "zh")

    inbox = await get_json(client, "/api/inbox?view=unassigned", "agent", "agent-1")
    [row] = [r for r in inbox["conversations"] if r["conversation"]["id"] == opened["id"]]
    assert row["conversation"]["customer_lang"] == "zh"
    panel = await get_json(
        client, f"/api/conversations/{opened['id']}/customer", "agent", "agent-1"
    )
    assert panel["customer_lang"] == "zh"

    # a message in the same language changes nothing more
    client_id = await second.send_text("还在吗")
    await second.expect("message.ack", client_id=client_id)
    await agent.expect("message.new")
    await agent.expect_nothing("conversation.updated")


async def test_when_neither_token_nor_widget_says_a_language_then_it_is_null(
    client: Client,
) -> None:
    agent = await connect(client, "agent", "agent-1")
    customer = await connect_customer(client, "cust-nolang", "&lang=fr")  # not one we speak
    await customer.send_text("hi")
    opened = (await agent.expect("conversation.opened"))["conversation"]
    assert opened["customer_lang"] is None


async def test_when_a_customer_exports_then_deletes_then_the_language_goes_with_the_data(
    client: Client, tmp_path: Path
) -> None:
    agent = await connect(client, "agent", "agent-1")
    customer = await connect_customer(client, "cust-lang-rights", "&lang=zh")
    await customer.send_text("请删除我的数据")
    conversation_id = (await agent.expect("conversation.opened"))["conversation"]["id"]
    assert (await docs(client, "conversations", _id=conversation_id))[0]["customer_lang"] == "zh"
    await customer.close()

    export = await get_json(
        client, "/api/privacy/customers/cust-lang-rights/export", "customer", "cust-lang-rights"
    )
    assert export["profile"]["customer_lang"] == "zh"
    [conversation] = export["conversations"]
    assert conversation["customer_lang"] == "zh"

    status, _ = await file_deletion(client, "cust-lang-rights")
    assert status == 201
    [done] = await process_due(services_of(client), notifier=await notifier_for(client, tmp_path))
    assert done["status"] == "completed"
    assert await docs(client, "conversations", _id=conversation_id) == []
