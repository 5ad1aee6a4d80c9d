"""Who may see what: customers their own conversations, agents their queue and their own."""

from __future__ import annotations

from tests.helpers.ws import Client, connect, customer_opens, token_for


async def test_when_customer_fetches_anothers_conversation_then_it_does_not_exist(
    client: Client,
) -> None:
    agent = await connect(client, "agent", "agent-1")
    alice = await connect(client, "customer", "alice")
    mallory = await connect(client, "customer", "mallory")
    conversation_id = await customer_opens(client, alice, agent, "my address is private")

    await mallory.send(
        {"type": "history.fetch", "conversation_id": conversation_id, "after_seq": 0}
    )
    error = await mallory.expect("error")
    assert error["code"] == "conversation_not_found"
    await mallory.send({"type": "typing", "conversation_id": conversation_id})
    assert (await mallory.expect("error"))["code"] == "conversation_not_found"
    await mallory.send_text("hijack", conversation_id=conversation_id)
    assert (await mallory.expect("error"))["code"] == "conversation_not_found"

    response = await client.get(
        f"/api/conversations/{conversation_id}/messages",
        headers={"Authorization": "Bearer " + token_for(client, "customer", "mallory")},
    )
    assert response.status == 404
    await alice.expect_message(seq=1)  # her own message
    await alice.expect_nothing("message.new")  # and nothing of mallory's


async def test_when_conversation_is_assigned_then_other_agents_lose_access(
    client: Client,
) -> None:
    agent1 = await connect(client, "agent", "agent-1")
    agent2 = await connect(client, "agent", "agent-2")
    customer = await connect(client, "customer", "cust-1")
    conversation_id = await customer_opens(client, customer, agent1, "hi")

    await agent1.send({"type": "conversation.join", "conversation_id": conversation_id})
    await agent1.expect("conversation.assigned")
    await agent2.expect("conversation.assigned")
    await agent2.send({"type": "conversation.join", "conversation_id": conversation_id})
    assert (await agent2.expect("error"))["code"] == "conversation_not_found"

    response = await client.get(
        f"/api/conversations/{conversation_id}/messages",
        headers={"Authorization": "Bearer " + token_for(client, "agent", "agent-2")},
    )
    assert response.status == 404
    listing = await client.get(
        "/api/conversations",
        headers={"Authorization": "Bearer " + token_for(client, "agent", "agent-2")},
    )
    assert (await listing.json())["conversations"] == []

    supervisor = await client.get(
        f"/api/conversations/{conversation_id}/messages",
        headers={"Authorization": "Bearer " + token_for(client, "supervisor", "sup-1")},
    )
    assert supervisor.status == 200


async def test_when_agent_writes_without_joining_then_refused(client: Client) -> None:
    agent = await connect(client, "agent", "agent-1")
    customer = await connect(client, "customer", "cust-1")
    conversation_id = await customer_opens(client, customer, agent, "hi")
    await agent.send_text("unsolicited", conversation_id=conversation_id)
    assert (await agent.expect("error"))["code"] == "conversation_not_found"
    await customer.expect_message(seq=1)
    await customer.expect_nothing("message.new")


async def test_when_customer_tries_to_join_then_refused(client: Client) -> None:
    agent = await connect(client, "agent", "agent-1")
    alice = await connect(client, "customer", "alice")
    conversation_id = await customer_opens(client, alice, agent, "hi")
    await alice.send({"type": "conversation.join", "conversation_id": conversation_id})
    assert (await alice.expect("error"))["code"] == "conversation_not_found"
