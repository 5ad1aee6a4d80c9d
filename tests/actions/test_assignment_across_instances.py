"""Two instances (two apps) on one store: two agents, one on each, joining the same
conversation at once. The store decides (a compare-and-swap in
chat_service/storage/conversations.py `assign`), so exactly one wins and the other gets
the protocol's refusal, whichever instance each is on (`already_assigned`, or
`conversation_not_found` once the conversation is someone else's)."""

from __future__ import annotations

import asyncio
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection
from pytest_aiohttp import AiohttpClient

from chat_service import keys
from chat_service.settings import Settings
from tests.conftest import AppFactory
from tests.helpers.ws import FRAME_TIMEOUT_SECS, connect

ROUNDS = 4


async def assigned_agent(
    conversations: AsyncCollection[dict[str, Any]], conversation_id: str
) -> str:
    """The agent the store assigned the conversation to, once it has (polls the store)."""
    async with asyncio.timeout(FRAME_TIMEOUT_SECS):
        while True:
            doc = await conversations.find_one({"_id": conversation_id})
            if doc is not None and doc.get("agent_id"):
                return str(doc["agent_id"])
            await asyncio.sleep(0.01)


async def test_when_agents_on_two_instances_join_at_once_then_exactly_one_is_assigned(
    aiohttp_client: AiohttpClient, make_app: AppFactory, settings: Settings
) -> None:
    a = await aiohttp_client(make_app(settings))
    b = await aiohttp_client(make_app(settings))
    agent_a = await connect(a, "agent", "agent-a")
    agent_b = await connect(b, "agent", "agent-b")
    winners: list[str] = []
    for round_ in range(ROUNDS):
        customer = await connect(a, "customer", f"cust-race-{round_}")
        client_id = await customer.send_text("Hello, is anyone there?")
        ack = await customer.expect("message.ack", client_id=client_id)
        conversation_id = ack["conversation_id"]
        join = {"type": "conversation.join", "conversation_id": conversation_id}
        await asyncio.gather(agent_a.send(join), agent_b.send(join))

        agent_id = await assigned_agent(a.app[keys.STORE].db["conversations"], conversation_id)
        if agent_id == "agent-a":
            winner, loser = agent_a, agent_b
        else:
            winner, loser = agent_b, agent_a
        # Each agent's socket says the same: the winner is assigned, the other refused.
        assigned = await winner.expect("conversation.assigned", conversation_id=conversation_id)
        assert assigned["agent_id"] == winner.sub
        refused = await loser.expect("error")
        # The refusal: `already_assigned` if the loser's join read the conversation before
        # the winner's swap; `conversation_not_found` if after (an agent sees only the queue
        # and their own, as on one instance: tests/actions/test_authorization.py).
        assert refused["code"] in ("already_assigned", "conversation_not_found"), refused
        winners.append(winner.sub)
        await customer.close()
    assert len(winners) == ROUNDS
    # No stray assignment frame reached the losers: every refusal was for its own round.
    for peer in (agent_a, agent_b):
        assert not [f for f in peer.buffer if f.get("type") == "error"]
