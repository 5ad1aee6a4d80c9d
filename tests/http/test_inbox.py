"""`GET /api/inbox` (docs/inbox.md): views with counts, rows named and masked as the viewer
may see them, waiting times and unanswered counts, closed conversations reachable, and
only what each role may see."""

from __future__ import annotations

from typing import Any

import pytest

from tests.actions.test_customer_fields import connect_customer
from tests.helpers.consent import CARD, CARD_TEXT, answer, headers, send_sensitive
from tests.helpers.rights import file_deletion
from tests.helpers.ws import Client, connect


async def inbox(client: Client, role: str, sub: str, view: str, page: int = 0) -> dict[str, Any]:
    response = await client.get(
        f"/api/inbox?view={view}&page={page}", headers=headers(client, role, sub)
    )
    assert response.status == 200, await response.text()
    body: dict[str, Any] = await response.json()
    return body


def row_of(body: dict[str, Any], conversation_id: str) -> dict[str, Any]:
    rows: list[dict[str, Any]] = [
        r for r in body["conversations"] if r["conversation"]["id"] == conversation_id
    ]
    assert len(rows) == 1, rows
    return rows[0]


async def test_when_customers_write_then_the_inbox_shows_named_masked_rows_longest_waiting_first(
    client: Client,
) -> None:
    agent = await connect(client, "agent", "agent-rows")
    first = await connect_customer(client, "cust-first", name="Chen Jing", profile={"order": "A-1"})
    await send_sensitive(first, CARD_TEXT)  # waits longest; the card needs consent
    first_id = (await agent.expect("conversation.opened"))["conversation"]["id"]
    second = await connect_customer(client, "cust-second", name="Zhao Lei")
    for text in ("hello", "anyone there?"):
        client_id = await second.send_text(text)
        await second.expect("message.ack", client_id=client_id)
    second_id = (await agent.expect("conversation.opened"))["conversation"]["id"]

    body = await inbox(client, "agent", "agent-rows", "unassigned")

    assert body["views"] == ["mine", "unassigned", "closed"]
    assert body["counts"]["mine"] == 0
    assert body["counts"]["unassigned"] >= 2
    ids = [r["conversation"]["id"] for r in body["conversations"]]
    assert ids.index(first_id) < ids.index(second_id)
    first_row = row_of(body, first_id)
    assert first_row["conversation"]["customer_name"] == "Chen Jing"
    assert first_row["conversation"]["customer_profile"] == {"order": "A-1"}
    assert first_row["last_message"]["text"] == "My card is [CREDIT_CARD], please refund it."
    assert CARD not in str(body)  # an agent browsing the queue sees masks only
    assert first_row["unanswered"] == 1 and first_row["waiting_since"] is not None
    second_row = row_of(body, second_id)
    assert second_row["conversation"]["customer_name"] == "Zhao Lei"
    assert second_row["last_message"]["text"] == "anyone there?"
    assert second_row["unanswered"] == 2


async def test_when_the_agent_answers_then_the_row_stops_waiting_and_moves_to_mine(
    client: Client,
) -> None:
    agent = await connect(client, "agent", "agent-answers")
    customer = await connect_customer(client, "cust-answered", name="Sun Li")
    await customer.send_text("hi")
    conversation_id = (await agent.expect("conversation.opened"))["conversation"]["id"]
    await agent.send({"type": "conversation.join", "conversation_id": conversation_id})
    await agent.expect("conversation.assigned", conversation_id=conversation_id)
    reply = await agent.send_text("how can I help?", conversation_id=conversation_id)
    await agent.expect("message.ack", client_id=reply)

    body = await inbox(client, "agent", "agent-answers", "mine")

    assert body["counts"]["mine"] == 1
    row = row_of(body, conversation_id)
    assert row["unanswered"] == 0 and row["waiting_since"] is None
    assert row["last_message"]["text"] == "how can I help?"
    assert conversation_id not in str(await inbox(client, "agent", "agent-x", "unassigned"))


async def test_when_a_conversation_closes_then_its_agent_finds_it_in_closed_and_others_do_not(
    client: Client,
) -> None:
    agent = await connect(client, "agent", "agent-closes")
    customer = await connect_customer(client, "cust-closed", name="Wu Min")
    await customer.send_text("thanks, bye")
    conversation_id = (await agent.expect("conversation.opened"))["conversation"]["id"]
    await agent.send({"type": "conversation.join", "conversation_id": conversation_id})
    await agent.expect("conversation.assigned", conversation_id=conversation_id)
    await agent.send({"type": "conversation.close", "conversation_id": conversation_id})
    await agent.expect("conversation.closed")

    mine = await inbox(client, "agent", "agent-closes", "closed")
    assert mine["counts"] == {"mine": 0, "unassigned": mine["counts"]["unassigned"], "closed": 1}
    row = row_of(mine, conversation_id)
    assert row["conversation"]["status"] == "closed"
    assert row["conversation"]["customer_name"] == "Wu Min"
    assert row["last_message"]["text"] == "thanks, bye"
    assert row["waiting_since"] is None
    other = await inbox(client, "agent", "agent-other", "closed")
    assert conversation_id not in str(other)
    supervisor = await inbox(client, "supervisor", "sup-1", "closed")
    assert row_of(supervisor, conversation_id)["conversation"]["agent_id"] == "agent-closes"
    assert supervisor["views"] == ["mine", "unassigned", "all", "closed"]


async def test_when_the_open_view_is_asked_for_then_it_lists_mine_and_the_queue_with_every_count(
    client: Client,
) -> None:
    agent = await connect(client, "agent", "agent-open")
    other = await connect(client, "agent", "agent-else")
    ids: dict[str, str] = {}
    for sub in ("cust-mine", "cust-queue", "cust-else"):
        customer = await connect_customer(client, sub, name=sub.title())
        await customer.send_text("hello")
        ids[sub] = (await agent.expect("conversation.opened"))["conversation"]["id"]
    for peer, sub in ((agent, "cust-mine"), (other, "cust-else")):
        await peer.send({"type": "conversation.join", "conversation_id": ids[sub]})
        await peer.expect("conversation.assigned", conversation_id=ids[sub])

    body = await inbox(client, "agent", "agent-open", "open")

    assert body["view"] == "open"
    assert body["views"] == ["mine", "unassigned", "closed"]  # not a view of its own
    listed = {r["conversation"]["id"] for r in body["conversations"]}
    assert ids["cust-mine"] in listed and ids["cust-queue"] in listed
    assert ids["cust-else"] not in listed and "Cust-Else" not in str(body)
    mine = await inbox(client, "agent", "agent-open", "mine")
    queue = await inbox(client, "agent", "agent-open", "unassigned")
    assert body["counts"] == mine["counts"] == queue["counts"]  # the rows' counts, as counted
    assert body["counts"]["mine"] == 1
    assert listed == {
        r["conversation"]["id"] for r in mine["conversations"] + queue["conversations"]
    }
    supervisor = await inbox(client, "supervisor", "sup-open", "open")
    assert {ids["cust-mine"], ids["cust-queue"], ids["cust-else"]} <= {
        r["conversation"]["id"] for r in supervisor["conversations"]
    }
    assert supervisor["counts"]["all"] == len(supervisor["conversations"])


@pytest.mark.parametrize(
    ("role", "query", "status"),
    [
        ("agent", "view=all", 403),
        ("customer", "view=mine", 403),
        ("privacy_officer", "view=mine", 403),
        ("agent", "view=everything", 400),
        ("agent", "view=closed&page=-1", 400),
        ("agent", "view=closed&page=99999999", 400),
    ],
)
async def test_when_a_caller_asks_for_a_view_they_may_not_have_then_refused(
    client: Client, role: str, query: str, status: int
) -> None:
    response = await client.get(f"/api/inbox?{query}", headers=headers(client, role, "someone"))
    assert response.status == status
    assert (await response.json())["error"]["code"] in ("forbidden", "bad_request")


async def test_when_there_is_no_token_then_the_inbox_is_refused(client: Client) -> None:
    response = await client.get("/api/inbox")
    assert response.status == 401


async def panel(client: Client, role: str, sub: str, conversation_id: str) -> dict[str, Any]:
    response = await client.get(
        f"/api/conversations/{conversation_id}/customer", headers=headers(client, role, sub)
    )
    assert response.status == 200, await response.text()
    body: dict[str, Any] = await response.json()
    return body


async def test_when_an_agent_opens_the_panel_then_it_shows_the_customer_and_every_conversation(
    client: Client,
) -> None:
    agent = await connect(client, "agent", "agent-panel")
    customer = await connect_customer(
        client, "cust-panel", name="<b>Gao</b> Yan", profile={"order": "D-9", "tier": "gold"}
    )
    await customer.send_text("first question")
    first_id = (await agent.expect("conversation.opened"))["conversation"]["id"]
    await agent.send({"type": "conversation.join", "conversation_id": first_id})
    await agent.expect("conversation.assigned", conversation_id=first_id)
    await agent.send({"type": "conversation.close", "conversation_id": first_id})
    await customer.expect("conversation.closed")
    _, request = await send_sensitive(customer, CARD_TEXT)
    second_id = (await agent.expect("conversation.opened"))["conversation"]["id"]
    await answer(customer, request["request_id"], granted=True)
    await customer.expect("consent.recorded")
    status, _ = await file_deletion(client, "cust-panel")
    assert status == 201

    mine = await panel(client, "agent", "agent-panel", second_id)

    assert mine["customer_id"] == "cust-panel"
    assert mine["customer_name"] == "<b>Gao</b> Yan"  # as sent; pages show it as text
    assert mine["customer_profile"] == {"order": "D-9", "tier": "gold"}
    assert mine["minor"] is False
    [consent] = mine["consents"]
    assert consent["decision"] == "granted" and "financial" in consent["categories"]
    assert consent["at"]
    [deletion] = mine["privacy_requests"]
    assert (deletion["kind"], deletion["status"]) == ("deletion", "received")
    assert [(c["conversation"]["id"], c["readable"]) for c in mine["conversations"]] == [
        (first_id, True),  # handled by this agent
        (second_id, True),  # in the queue
    ]
    assert mine["conversations"][0]["conversation"]["status"] == "closed"
    other = await panel(client, "agent", "agent-not-handling", second_id)
    assert [c["readable"] for c in other["conversations"]] == [False, True]
    supervisor = await panel(client, "supervisor", "sup-1", first_id)
    assert [c["readable"] for c in supervisor["conversations"]] == [True, True]


async def test_when_an_agent_asks_for_the_panel_of_a_conversation_they_may_not_read_then_404(
    client: Client,
) -> None:
    agent = await connect(client, "agent", "agent-owner")
    customer = await connect_customer(client, "cust-private", name="Private Person")
    await customer.send_text("hello")
    conversation_id = (await agent.expect("conversation.opened"))["conversation"]["id"]
    await agent.send({"type": "conversation.join", "conversation_id": conversation_id})
    await agent.expect("conversation.assigned", conversation_id=conversation_id)

    path = f"/api/conversations/{conversation_id}/customer"
    for role, sub, status in (
        ("agent", "agent-intruder", 404),
        ("customer", "cust-private", 403),
        ("privacy_officer", "po-1", 403),
    ):
        response = await client.get(path, headers=headers(client, role, sub))
        assert response.status == status, (role, status)
        assert "Private Person" not in await response.text()
