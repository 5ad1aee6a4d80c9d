"""`GET /api/availability` and `PUT /api/availability`: an agent's online / away state
(set by the agent, stored, shown to supervisors; docs/agent-speed.md)."""

from __future__ import annotations

from typing import Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict

from chat_service import keys
from chat_service.actions import availability as actions
from chat_service.auth import Role
from chat_service.http.body import read_json
from chat_service.http.middleware import authenticate
from chat_service.http.responses import AgentState, AgentStates, json_answer
from chat_service.storage.availability import AvailabilityDoc

AVAILABILITY_PATH = "/api/availability"


class AvailabilityBody(BaseModel):
    """`PUT /api/availability`: the agent's new state."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True, hide_input_in_errors=True)

    state: Literal["online", "away"]


def _state(doc: AvailabilityDoc) -> dict[str, str]:
    return {
        "agent_id": doc["_id"],
        "state": doc["state"],
        "changed_at": doc["changed_at"].isoformat(),
    }


async def get_availability(request: web.Request) -> web.Response:
    identity = authenticate(request, Role.AGENT, Role.SUPERVISOR)
    docs = await actions.availability_of(request.app[keys.SERVICES], identity)
    return json_answer(AgentStates, {"agents": [_state(d) for d in docs]})


async def put_availability(request: web.Request) -> web.Response:
    identity = authenticate(request, Role.AGENT)
    body = await read_json(request, AvailabilityBody, expected='{"state": "online" | "away"}')
    doc = await actions.set_availability(request.app[keys.SERVICES], identity, body.state)
    return json_answer(AgentState, _state(doc))


def setup_availability_routes(app: web.Application) -> None:
    app.router.add_get(AVAILABILITY_PATH, get_availability)
    app.router.add_put(AVAILABILITY_PATH, put_availability)
