"""The end of a chat: handling times at close, the customer's rating (once, scanned) and
transcript (their own view), and what reaches the supervisors and /metrics."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from chat_service.privacy.deletion import process_due
from tests.helpers.consent import CARD, CARD_DIGITS, services_of
from tests.helpers.metrics import scrape
from tests.helpers.rights import file_deletion, notifier_for
from tests.helpers.ws import Client, Peer, connect, customer_opens, token_for


def auth(client: Client, role: str, sub: str) -> dict[str, str]:
    return {"Authorization": "Bearer " + token_for(client, role, sub)}


async def rate(
    client: Client, conversation_id: str, body: Any, role: str = "customer", sub: str = "cust-1"
) -> tuple[int, Any]:
    response = await client.post(
        f"/api/conversations/{conversation_id}/rating", json=body, headers=auth(client, role, sub)
    )
    return response.status, await response.json()


async def ended_chat(client: Client) -> tuple[Peer, Peer, str]:
    """cust-1 and agent-1 talk (with markup in the text), then agent-1 closes."""
    agent = await connect(client, "agent", "agent-1")
    customer = await connect(client, "customer", "cust-1")
    conversation_id = await customer_opens(client, customer, agent, "Is <b>this</b> & that ok?")
    await agent.send({"type": "conversation.join", "conversation_id": conversation_id})
    await customer.expect("conversation.assigned")
    reply = await agent.send_text("Yes, <script>x()</script>", conversation_id=conversation_id)
    await agent.expect("message.ack", client_id=reply)
    await agent.send({"type": "conversation.close", "conversation_id": conversation_id})
    await customer.expect("conversation.closed", conversation_id=conversation_id)
    return agent, customer, conversation_id


async def test_when_customer_rates_an_ended_chat_then_once_only_and_supervisors_see_it(
    client: Client,
) -> None:
    supervisor = await connect(client, "supervisor", "sup-1")
    _agent, _customer, conversation_id = await ended_chat(client)

    status, body = await rate(
        client, conversation_id, {"score": 4, "comment": f"Quick! my card {CARD} was refunded"}
    )
    assert status == 201, body
    assert body == {
        "conversation_id": conversation_id,
        "score": 4,
        "comment": "Quick! my card [CREDIT_CARD] was refunded",
    }
    rated = await supervisor.expect("conversation.rated")
    assert rated == {
        "type": "conversation.rated",
        "conversation_id": conversation_id,
        "agent_id": "agent-1",
        "score": 4,
    }
    status, body = await rate(client, conversation_id, {"score": 1})
    assert status == 409 and body["error"]["code"] == "already_rated"

    response = await client.get("/api/team", headers=auth(client, "supervisor", "sup-1"))
    team = await response.json()
    [outcome] = [o for o in team["outcomes"] if o["conversation_id"] == conversation_id]
    assert outcome["score"] == 4 and outcome["agent_id"] == "agent-1"
    assert outcome["first_response_secs"] is not None and outcome["first_response_secs"] >= 0
    assert outcome["resolution_secs"] >= outcome["first_response_secs"]
    assert CARD not in str(team) and CARD_DIGITS not in str(team)

    response = await client.get(
        "/api/privacy/customers/cust-1/export", headers=auth(client, "customer", "cust-1")
    )
    export = await response.json()
    assert [(r["conversation_id"], r["score"], r["comment"]) for r in export["ratings"]] == [
        (conversation_id, 4, "Quick! my card [CREDIT_CARD] was refunded")
    ]
    assert "staff_notes" not in export  # the customer's own export: no staff notes

    metrics = await scrape(client)
    assert 'chat_conversation_ratings_total{score="4"} 1.0' in metrics
    assert "chat_first_response_seconds_count 1.0" in metrics
    assert "chat_resolution_seconds_count 1.0" in metrics


async def test_when_rating_is_not_the_customers_to_give_then_it_is_refused(
    client: Client,
) -> None:
    agent = await connect(client, "agent", "agent-1")
    customer = await connect(client, "customer", "cust-1")
    conversation_id = await customer_opens(client, customer, agent, "Hello")
    status, body = await rate(client, conversation_id, {"score": 5})
    assert status == 409 and body["error"]["code"] == "conversation_open"
    await agent.send({"type": "conversation.join", "conversation_id": conversation_id})
    await agent.send({"type": "conversation.close", "conversation_id": conversation_id})
    await customer.expect("conversation.closed", conversation_id=conversation_id)

    assert (await rate(client, conversation_id, {"score": 5}, sub="cust-2"))[0] == 404
    assert (await rate(client, conversation_id, {"score": 5}, "agent", "agent-1"))[0] == 403
    assert (await rate(client, conversation_id, {"score": 6}))[0] == 400
    assert (await rate(client, conversation_id, {"score": "5"}))[0] == 400
    assert (await rate(client, conversation_id, {"score": 3, "extra": 1}))[0] == 400
    status, _ = await rate(client, conversation_id, {"score": 5})
    assert status == 201


async def test_when_customer_downloads_the_transcript_then_it_is_their_view_escaped(
    client: Client,
) -> None:
    _agent, _customer, conversation_id = await ended_chat(client)
    path = f"/api/conversations/{conversation_id}/transcript"
    mine = auth(client, "customer", "cust-1")

    response = await client.get(path, headers=mine)
    assert response.status == 200
    assert response.content_type == "text/plain"
    assert "attachment" in response.headers["Content-Disposition"]
    text = await response.text()
    assert "You: Is <b>this</b> & that ok?" in text
    assert "Agent: Yes, <script>x()</script>" in text

    response = await client.get(path + "?format=html&lang=zh", headers=mine)
    assert response.status == 200 and response.content_type == "text/html"
    page = await response.text()
    assert "<script>" not in page and "<b>this" not in page
    assert "Yes, &lt;script&gt;x()&lt;/script&gt;" in page
    assert "我" in page and '<html lang="zh">' in page

    assert (await client.get(path, headers=auth(client, "customer", "cust-2"))).status == 404
    assert (await client.get(path, headers=auth(client, "agent", "agent-1"))).status == 403
    assert (await client.get(path + "?format=pdf", headers=mine)).status == 400


async def test_when_a_chat_closes_unanswered_then_only_its_resolution_time_is_observed(
    client: Client,
) -> None:
    agent = await connect(client, "agent", "agent-1")
    customer = await connect(client, "customer", "cust-1")
    conversation_id = await customer_opens(client, customer, agent, "anyone?")
    await agent.send({"type": "conversation.join", "conversation_id": conversation_id})
    await agent.send({"type": "conversation.close", "conversation_id": conversation_id})
    await customer.expect("conversation.closed", conversation_id=conversation_id)
    response = await client.get("/api/team", headers=auth(client, "supervisor", "sup-1"))
    [outcome] = (await response.json())["outcomes"]
    assert outcome["first_response_secs"] is None
    metrics = await scrape(client)
    assert "chat_first_response_seconds_count 0.0" in metrics
    assert "chat_resolution_seconds_count 1.0" in metrics


async def test_when_the_customer_is_deleted_then_their_notes_and_ratings_go_too(
    client: Client, tmp_path: Path
) -> None:
    _agent, _customer, conversation_id = await ended_chat(client)
    response = await client.post(
        f"/api/conversations/{conversation_id}/notes",
        json={"text": "was polite"},
        headers=auth(client, "supervisor", "sup-1"),
    )
    assert response.status == 201
    assert (await rate(client, conversation_id, {"score": 2, "comment": "slow"}))[0] == 201
    services = services_of(client)
    assert await services.store.notes.for_customer("cust-1") != []

    status, _ = await file_deletion(client, "cust-1")
    assert status == 201
    [done] = await process_due(services, notifier=await notifier_for(client, tmp_path))
    assert done["status"] == "completed"
    assert await services.store.notes.for_customer("cust-1") == []
    assert await services.store.outcomes.for_customer("cust-1") == []


async def test_when_the_customer_reconnects_after_the_close_then_hello_says_whether_it_is_rated(
    client: Client,
) -> None:
    _agent, customer, conversation_id = await ended_chat(client)
    await customer.close()

    async def listed() -> dict[str, Any]:
        ws = await client.ws_connect(f"/ws?token={token_for(client, 'customer', 'cust-1')}")
        again = Peer(ws, "customer", "cust-1")
        hello = await again.expect("hello")
        await again.close()
        found: list[dict[str, Any]] = hello["conversations"]
        [conversation] = [c for c in found if c["id"] == conversation_id]
        return conversation

    assert (await listed())["rated"] is False  # the widget offers the rating again
    status, _ = await rate(client, conversation_id, {"score": 5})
    assert status == 201
    assert (await listed())["rated"] is True  # shown as rated, not offered twice
