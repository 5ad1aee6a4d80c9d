"""`GET /api/openapi.json` (issue 16 item 9): public, OpenAPI 3.1, in step with the router,
its request bodies the very models the handlers validate with."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

from chat_service.http.privacy import WithdrawalBody
from chat_service.http.rights import HoldBody
from tests.helpers.consent import headers
from tests.helpers.ws import Client

BODIES: list[tuple[str, type[BaseModel]]] = [
    ("/api/conversations/{conversation_id}/legal-hold", HoldBody),
    ("/api/privacy/customers/{customer_id}/legal-hold", HoldBody),
    ("/api/privacy/customers/{customer_id}/consents/withdrawal", WithdrawalBody),
]


async def _document(client: Client) -> dict[str, Any]:
    response = await client.get("/api/openapi.json")  # no token: public
    assert response.status == 200
    assert response.content_type == "application/json"
    document: dict[str, Any] = await response.json()
    return document


async def test_when_anyone_asks_then_an_openapi_3_1_description_is_served(client: Client) -> None:
    document = await _document(client)
    assert document["openapi"] == "3.1.0"
    assert document["info"]["title"] == "chat-service"
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


async def test_when_routes_are_registered_then_each_is_described_and_each_description_routed(
    client: Client,
) -> None:
    routed = {
        (route.resource.canonical, route.method.lower())
        for route in client.app.router.routes()
        if route.resource is not None and route.method != "HEAD"  # HEAD comes with each GET
    }
    described = {
        (path, method)
        for path, item in (await _document(client))["paths"].items()
        for method in item
    }
    assert routed - described == set(), "routes missing from the description"
    assert described - routed == set(), "described but not routed"


@pytest.mark.parametrize(("path", "model"), BODIES)
async def test_when_an_endpoint_takes_a_json_body_then_its_schema_is_the_handlers_model(
    client: Client, path: str, model: type[BaseModel]
) -> None:
    document = await _document(client)
    body = document["paths"][path]["post"]["requestBody"]["content"]["application/json"]
    assert body["schema"] == {"$ref": f"#/components/schemas/{model.__name__}"}
    assert document["components"]["schemas"][model.__name__] == model.model_json_schema()
    # ...and the handler refuses what the schema refuses: a missing required field.
    required = model.model_json_schema()["required"]
    assert required
    concrete = path.replace("{conversation_id}", "c_x").replace("{customer_id}", "cust-1")
    role = "customer" if model is WithdrawalBody else "privacy_officer"
    response = await client.post(concrete, json={}, headers=headers(client, role, "cust-1"))
    assert response.status == 400
    assert f"({required[0]}: " in (await response.json())["error"]["message"]


async def test_when_an_operation_is_described_then_it_names_its_answers_and_parameters(
    client: Client,
) -> None:
    document = await _document(client)
    for path, item in document["paths"].items():
        names = {p["name"] for op in item.values() for p in op.get("parameters", [])}
        for segment in path.split("/"):
            if segment.startswith("{"):
                assert segment.strip("{}") in names, path
        for method, op in item.items():
            assert op["responses"], (path, method)
            for status, answer in op["responses"].items():
                if int(status) >= 400:
                    schema = answer["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/Error"}, (path, status)
    error = await client.get("/api/conversations")  # unauthenticated: an Error body
    assert set((await error.json())["error"]) == {"code", "message"}
