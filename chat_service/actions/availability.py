"""Availability (issue 20 item 4): an agent sets themself online or away; supervisors see
every agent's state. What "the queue respects it" means (docs/agent-speed.md): an away
agent is not offered new conversations (no `conversation.opened` reaches their sockets, so
no tone or notification either) and may not join one (`agent_away`); the conversations they
already hold stay theirs."""

from __future__ import annotations

from chat_service.actions import delivery
from chat_service.auth import Identity, Role
from chat_service.errors import AgentAway, Forbidden
from chat_service.services import Services
from chat_service.storage.availability import AvailabilityDoc, AvailabilityState


async def set_availability(
    services: Services, identity: Identity, state: AvailabilityState
) -> AvailabilityDoc:
    if identity.role is not Role.AGENT:
        raise Forbidden()
    doc = await services.store.availability.set(identity.sub, state, services.clock())
    await delivery.notify_availability(services, doc)
    return doc


async def availability_of(services: Services, identity: Identity) -> list[AvailabilityDoc]:
    """An agent: their own state (online when never set); a supervisor: every agent's."""
    if identity.role is Role.SUPERVISOR:
        return await services.store.availability.list_all()
    if identity.role is not Role.AGENT:
        raise Forbidden()
    doc = await services.store.availability.get(identity.sub)
    return [doc] if doc is not None else []


async def check_may_take(services: Services, identity: Identity) -> None:
    """An away agent takes no new conversation."""
    doc = await services.store.availability.get(identity.sub)
    if doc is not None and doc["state"] == "away":
        raise AgentAway()
