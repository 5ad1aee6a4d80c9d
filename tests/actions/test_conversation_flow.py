"""The whole conversation over real sockets: open, queue, join, talk, type, close."""

from __future__ import annotations

from tests.helpers.ws import Client, connect, customer_opens, token_for


async def test_when_customer_writes_first_then_agents_see_it_open_and_queued(
    client: Client,
) -> None:
    agent = await connect(client, "agent", "agent-1")
    customer = await connect(client, "customer", "cust-1")

    client_id = await customer.send_text("Hello, where is my order?")
    ack = await customer.expect("message.ack", client_id=client_id)
    assert ack["seq"] == 1
    opened = await agent.expect("conversation.opened")
    assert opened["conversation"]["customer_id"] == "cust-1"
    assert opened["conversation"]["agent_id"] is None
    new = await agent.expect("message.new")
    assert new["message"]["text"] == "Hello, where is my order?"
    assert new["message"]["sender"] == {"role": "customer", "id": "cust-1"}
    assert new["message"]["seq"] == 1

    response = await client.get(
        "/api/conversations",
        headers={"Authorization": "Bearer " + token_for(client, "agent", "agent-1")},
    )
    assert response.status == 200
    listed = (await response.json())["conversations"]
    assert [c["id"] for c in listed] == [ack["conversation_id"]]


async def test_when_agent_joins_and_replies_then_both_sides_talk_live(client: Client) -> None:
    agent = await connect(client, "agent", "agent-1")
    other_agent = await connect(client, "agent", "agent-2")
    customer = await connect(client, "customer", "cust-1")
    conversation_id = await customer_opens(client, customer, agent, "Hi")

    await agent.send({"type": "conversation.join", "conversation_id": conversation_id})
    assigned = await customer.expect("conversation.assigned")
    assert assigned == {
        "type": "conversation.assigned",
        "conversation_id": conversation_id,
        "agent_id": "agent-1",
    }
    await other_agent.expect("conversation.assigned", conversation_id=conversation_id)
    await other_agent.expect_message(seq=1)  # it was in the queue then

    reply_id = await agent.send_text("Hello, how can I help?", conversation_id=conversation_id)
    ack = await agent.expect("message.ack", client_id=reply_id)
    assert ack["seq"] == 2
    new = await customer.expect_message(seq=2)
    assert new["text"] == "Hello, how can I help?"
    assert new["sender"] == {"role": "agent", "id": "agent-1"}

    # Once assigned, the conversation's messages go to its agent only.
    await customer.send_text("Thanks", conversation_id=conversation_id)
    await agent.expect("message.new")
    await other_agent.expect_nothing("message.new")


async def test_when_customer_continues_then_the_open_conversation_is_reused(
    client: Client,
) -> None:
    agent = await connect(client, "agent", "agent-1")
    customer = await connect(client, "customer", "cust-1")
    conversation_id = await customer_opens(client, customer, agent, "one")
    second = await customer.send_text("two")  # no conversation_id: continues the open one
    ack = await customer.expect("message.ack", client_id=second)
    assert ack["conversation_id"] == conversation_id
    assert ack["seq"] == 2
    await agent.expect_nothing("conversation.opened")


async def test_when_customer_has_two_tabs_then_each_gets_every_message(client: Client) -> None:
    agent = await connect(client, "agent", "agent-1")
    tab1 = await connect(client, "customer", "cust-1")
    tab2 = await connect(client, "customer", "cust-1")
    conversation_id = await customer_opens(client, tab1, agent, "from tab one")
    mine = await tab2.expect("message.new")
    assert mine["message"]["text"] == "from tab one"

    await agent.send({"type": "conversation.join", "conversation_id": conversation_id})
    await agent.expect("conversation.assigned")
    await agent.send_text("reply", conversation_id=conversation_id)
    for tab in (tab1, tab2):
        got = await tab.expect_message(seq=2)
        assert got["text"] == "reply"
        assert got["sender"]["role"] == "agent"


async def test_when_someone_types_then_the_other_side_sees_it_and_nothing_is_stored(
    client: Client,
) -> None:
    agent = await connect(client, "agent", "agent-1")
    customer = await connect(client, "customer", "cust-1")
    conversation_id = await customer_opens(client, customer, agent, "hi")
    await agent.send({"type": "conversation.join", "conversation_id": conversation_id})
    await customer.expect("conversation.assigned")

    await customer.send({"type": "typing", "conversation_id": conversation_id})
    typing = await agent.expect("typing")
    assert typing["sender"] == {"role": "customer", "id": "cust-1"}
    await customer.expect_nothing("typing")

    await customer.send(
        {"type": "history.fetch", "conversation_id": conversation_id, "after_seq": 0}
    )
    history = await customer.expect("history")
    assert [m["seq"] for m in history["messages"]] == [1]


async def test_when_conversation_is_closed_then_both_are_told_and_next_message_opens_anew(
    client: Client,
) -> None:
    agent = await connect(client, "agent", "agent-1")
    customer = await connect(client, "customer", "cust-1")
    conversation_id = await customer_opens(client, customer, agent, "hi")
    await agent.send({"type": "conversation.join", "conversation_id": conversation_id})
    await customer.expect("conversation.assigned")

    await agent.send({"type": "conversation.close", "conversation_id": conversation_id})
    closed = await customer.expect("conversation.closed")
    assert closed["conversation_id"] == conversation_id
    assert closed["closed_by"] == {"role": "agent", "id": "agent-1"}

    await agent.send_text("late", conversation_id=conversation_id)
    error = await agent.expect("error")
    assert error["code"] == "conversation_closed"

    again = await customer.send_text("one more question", conversation_id=conversation_id)
    ack = await customer.expect("message.ack", client_id=again)
    assert ack["conversation_id"] != conversation_id
    assert ack["seq"] == 1
    reopened = await agent.expect("conversation.opened")
    assert reopened["conversation"]["id"] == ack["conversation_id"]


async def test_ping_gets_pong(client: Client) -> None:
    customer = await connect(client, "customer", "cust-1")
    await customer.send({"type": "ping"})
    await customer.expect("pong")


async def test_when_a_message_has_personal_data_then_findings_come_with_it(
    client: Client,
) -> None:
    agent = await connect(client, "agent", "agent-1")
    customer = await connect(client, "customer", "cust-1")
    text = "You can reach me at jane.doe@example.com"
    client_id = await customer.send_text(text)
    await customer.expect("message.ack", client_id=client_id)
    own = await customer.expect_message(seq=1)
    emails = [f for f in own["findings"] if f["entity_type"] == "EMAIL_ADDRESS"]
    assert len(emails) == 1
    assert text[emails[0]["start"] : emails[0]["end"]] == "jane.doe@example.com"
    seen = await agent.expect("message.new")
    assert "jane.doe@example.com" in seen["message"]["text"]  # contact data, not sensitive
