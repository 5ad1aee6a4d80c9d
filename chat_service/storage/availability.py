"""Owner of `agent_availability`: whether each agent is online or away (issue 20 item 4;
docs/agent-speed.md). One document per agent who ever set it: `{_id: agent_id, state:
"online" | "away", changed_at}`; an agent with no document is online. The queue reads the
away agents from here (not from any instance's memory), so every instance respects the
same state.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal, TypedDict

from pymongo import ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection

AvailabilityState = Literal["online", "away"]


class AvailabilityDoc(TypedDict):
    _id: str  # the agent's id (token sub)
    state: AvailabilityState
    changed_at: datetime


class AgentAvailability:
    def __init__(self, collection: AsyncCollection[AvailabilityDoc]) -> None:
        self._c = collection

    async def ensure_indexes(self) -> None:
        await self._c.create_index("state", name="by_state")

    async def set(self, agent_id: str, state: AvailabilityState, now: datetime) -> AvailabilityDoc:
        doc = await self._c.find_one_and_update(
            {"_id": agent_id},  # index: _id
            {"$set": {"state": state, "changed_at": now}},
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )
        if doc is None:  # an upsert returns the document after it: never None
            raise RuntimeError("the availability upsert returned nothing")
        return doc

    async def get(self, agent_id: str) -> AvailabilityDoc | None:
        return await self._c.find_one({"_id": agent_id})  # index: _id

    async def away(self) -> frozenset[str]:
        """The ids of the agents who are away now."""
        cursor = self._c.find({"state": "away"}, {"_id": 1}, comment="index: by_state")
        return frozenset([doc["_id"] async for doc in cursor])

    async def list_all(self) -> list[AvailabilityDoc]:
        """Every agent who set a state, by id."""
        return await self._c.find({}, sort=[("_id", 1)]).to_list()  # index: _id
