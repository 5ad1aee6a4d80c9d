"""`typing`: who may say they are typing (actions/typing_status.py) and who sees it
(actions/delivery.notify_typing). Absence is shown by order, not by waiting: frames to one
socket keep their order, so a `typing` that was sent would arrive before a later event."""

from __future__ import annotations

from tests.helpers.ws import Client, Peer, connect, customer_opens


def _received(peer: Peer) -> list[str]:
    """The types of the frames this socket got and the test has not taken yet."""
    return [f["type"] for f in peer.buffer]


async def test_when_a_customer_types_then_only_their_agent_sees_it(
    client: Client,
) -> None:
    agent = await connect(client, "agent", "agent-1")
    supervisor = await connect(client, "supervisor", "sup-1")
    customer = await connect(client, "customer", "cust-1")
    other_tab = await connect(client, "customer", "cust-1")
    conversation_id = await customer_opens(client, customer, agent, "hi")
    await agent.send({"type": "conversation.join", "conversation_id": conversation_id})
    await customer.expect("conversation.assigned")
    await other_tab.expect("conversation.assigned")

    await customer.send({"type": "typing", "conversation_id": conversation_id})
    typing = await agent.expect("typing")
    assert typing == {
        "type": "typing",
        "conversation_id": conversation_id,
        "sender": {"role": "customer", "id": "cust-1"},
    }

    # Not the customer's other tab, nor a supervisor: the agent's answer reaches them after
    # the typing would have.
    await agent.send_text("hello", conversation_id=conversation_id)
    for peer in (other_tab, supervisor, customer):
        await peer.expect_message(text="hello")
        assert "typing" not in _received(peer), peer.sub


async def test_when_an_agent_types_in_a_queued_conversation_then_it_is_not_found(
    client: Client,
) -> None:
    agent = await connect(client, "agent", "agent-1")
    customer = await connect(client, "customer", "cust-1")
    conversation_id = await customer_opens(client, customer, agent, "hi")

    # In the queue: the agent may read the conversation, not take part in it.
    await agent.send({"type": "typing", "conversation_id": conversation_id})
    error = await agent.expect("error")
    assert error["code"] == "conversation_not_found"

    # Nobody saw it: the customer learns of the join after the typing would have arrived.
    await agent.send({"type": "conversation.join", "conversation_id": conversation_id})
    await customer.expect("conversation.assigned")
    assert "typing" not in _received(customer)

    # Once joined, the same frame reaches the customer.
    await agent.send({"type": "typing", "conversation_id": conversation_id})
    typing = await customer.expect("typing")
    assert typing["sender"] == {"role": "agent", "id": "agent-1"}
