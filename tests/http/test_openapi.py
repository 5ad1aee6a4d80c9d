"""`GET /api/openapi.json` (issue 16 item 9): public, OpenAPI 3.1, in step with the router,
its request bodies the very models the handlers validate with, its success answers the
models the handlers reply with; real answers of every JSON endpoint match their schemas."""

from __future__ import annotations

import inspect
from typing import Any

import aiohttp
import jsonschema_rs
import pytest
from pydantic import BaseModel

from chat_service.http import responses
from chat_service.http.privacy import WithdrawalBody
from chat_service.http.rights import HoldBody
from tests.helpers.consent import headers
from tests.helpers.ws import Client, connect, customer_opens

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
                    if (path, status) == ("/healthz", "503"):  # an Error with health fields
                        assert schema == {"$ref": "#/components/schemas/HealthUnavailable"}
                        continue
                    assert schema == {"$ref": "#/components/schemas/Error"}, (path, status)
    error = await client.get("/api/conversations")  # unauthenticated: an Error body
    assert set((await error.json())["error"]) == {"code", "message"}


ANSWER_MODELS = [
    model
    for name, model in inspect.getmembers(responses, inspect.isclass)
    if issubclass(model, BaseModel)
    and model.__module__ == responses.__name__
    and not name.startswith("_")
]
REF = "#/components/schemas/{model}"


async def test_when_an_endpoint_answers_json_then_its_success_schema_is_the_handlers_model(
    client: Client,
) -> None:
    document = await _document(client)
    schemas = document["components"]["schemas"]
    referenced: set[str] = set()
    for path, item in document["paths"].items():
        for method, op in item.items():
            for status, answer in op["responses"].items():
                content = answer.get("content", {})
                if int(status) >= 300 or "application/json" not in content:
                    continue
                schema = content["application/json"]["schema"]
                if path == "/assets/{path}":  # the pages' own JSON files: any JSON
                    assert schema == {}
                    continue
                assert set(schema) == {"$ref"}, (path, method, status)
                name = schema["$ref"].rsplit("/", 1)[-1]
                model = getattr(responses, name)
                own = model.model_json_schema(mode="serialization", ref_template=REF)
                own.pop("$defs", None)  # (in components/schemas)
                assert schemas[name] == own, name
                referenced.add(name)
    # /healthz's 503 is an Error body too.
    unavailable = responses.HealthUnavailable(
        status="unavailable", store="embedded", error=responses.ErrorDetail(code="x", message="")
    ).model_dump(mode="json")
    error = jsonschema_rs.Draft202012Validator({**document, "$ref": REF.format(model="Error")})
    assert error.is_valid(unavailable)
    # Every model of responses.py is in the description (answers, or parts of answers).
    assert {m.__name__ for m in ANSWER_MODELS} - set(schemas) == set()
    assert "Export" in referenced and "MessagePage" in referenced


def _conforms(document: dict[str, Any], path: str, method: str, status: int, body: Any) -> None:
    answer = document["paths"][path][method]["responses"][str(status)]
    schema = answer["content"]["application/json"]["schema"]
    validator = jsonschema_rs.Draft202012Validator({**document, **schema})
    errors = [str(e) for e in validator.iter_errors(body)]
    assert not errors, (path, method, status, errors[:3])


async def _call(
    client: Client,
    document: dict[str, Any],
    method: str,
    path: str,
    concrete: str,
    caller: tuple[str, str] | None,
    status: int,
    **kwargs: Any,
) -> Any:
    auth = headers(client, *caller) if caller else {}
    response = await client.request(method.upper(), concrete, headers=auth, **kwargs)
    text = await response.text()
    assert response.status == status, (method, concrete, response.status, text[:300])
    assert response.content_type == "application/json", (concrete, response.content_type)
    body = await response.json()
    _conforms(document, path, method, status, body)
    return body


async def test_when_each_json_endpoint_answers_a_real_caller_then_the_body_matches_its_schema(
    client: Client,
) -> None:
    """Every JSON endpoint, called by a caller it serves, over data the service made:
    status, content type and body as described (the same check schemathesis makes, with
    real conversations, messages, consents, holds, deletion requests and uploads)."""
    document = await _document(client)
    customer = await connect(client, "customer", "cust-oa")
    agent = await connect(client, "agent", "agent-oa")
    conversation = await customer_opens(
        client, customer, agent, "hello, my card is 4111 1111 1111 1111"
    )
    cust, officer, agt = (
        ("customer", "cust-oa"),
        ("privacy_officer", "po-oa"),
        ("agent", "agent-oa"),
    )
    c_path = "/api/privacy/customers/{customer_id}"
    mine = "/api/privacy/customers/cust-oa"

    await _call(client, document, "get", "/healthz", "/healthz", None, 200)
    await _call(client, document, "get", "/api/openapi.json", "/api/openapi.json", None, 200)
    listed = await _call(
        client, document, "get", "/api/conversations", "/api/conversations", agt, 200
    )
    assert conversation in {c["id"] for c in listed["conversations"]}
    page = await _call(
        client,
        document,
        "get",
        "/api/conversations/{conversation_id}/messages",
        f"/api/conversations/{conversation}/messages",
        cust,
        200,
    )
    assert page["messages"], page
    form = aiohttp.FormData()
    form.add_field("file", b"a plain note\n", filename="note.txt", content_type="text/plain")
    form.add_field("conversation_id", conversation)
    await _call(
        client, document, "post", "/api/attachments", "/api/attachments", cust, 201, data=form
    )
    await _call(client, document, "get", c_path + "/consents", mine + "/consents", cust, 200)
    await _call(
        client,
        document,
        "post",
        c_path + "/consents/withdrawal",
        mine + "/consents/withdrawal",
        cust,
        200,
        json={"categories": ["financial"]},
    )
    hold = {"hold": True, "reason": "a dispute"}
    for path, concrete in (
        (
            "/api/conversations/{conversation_id}/legal-hold",
            f"/api/conversations/{conversation}/legal-hold",
        ),
        (c_path + "/legal-hold", mine + "/legal-hold"),
    ):
        await _call(client, document, "post", path, concrete, officer, 201, json=hold)
        await _call(client, document, "post", path, concrete, officer, 200, json=hold)
    await _call(
        client,
        document,
        "get",
        "/api/privacy/legal-holds",
        "/api/privacy/legal-holds?active=all",
        officer,
        200,
    )
    deletion = c_path + "/deletion-requests"
    await _call(client, document, "post", deletion, mine + "/deletion-requests", cust, 201)
    await _call(client, document, "post", deletion, mine + "/deletion-requests", cust, 200)
    await _call(client, document, "get", deletion, mine + "/deletion-requests", cust, 200)
    await _call(client, document, "get", "/api/privacy/report", "/api/privacy/report", officer, 200)
    exported = await _call(client, document, "get", c_path + "/export", mine + "/export", cust, 200)
    assert exported["counts"]["attachments"] == 1
    responses.Export.model_validate(exported)
    await customer.close()
    await agent.close()
