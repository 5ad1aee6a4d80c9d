"""GET /api/search over the wire on the embedded store: what is found, by whom, masked how."""

from __future__ import annotations

from typing import Any

from chat_service import keys
from chat_service.search_terms import terms_of
from tests.helpers.consent import (
    CARD,
    CARD_DIGITS,
    CARD_TEXT,
    answer,
    assigned_chat,
    headers,
    raw_db,
    raw_message,
    send_sensitive,
)
from tests.helpers.ws import Client, connect, customer_opens


async def search(
    client: Client, role: str, sub: str, status: int = 200, **params: str
) -> dict[str, Any]:
    response = await client.get("/api/search", params=params, headers=headers(client, role, sub))
    body: dict[str, Any] = await response.json()
    assert response.status == status, body
    return body


async def say(peer: Any, text: str, conversation_id: str) -> int:
    client_id = await peer.send_text(text, conversation_id=conversation_id)
    ack = await peer.expect("message.ack", client_id=client_id)
    return int(ack["seq"])


async def test_when_a_word_is_searched_then_its_message_is_found_with_a_snippet(
    client: Client,
) -> None:
    chat = await assigned_chat(client)
    seq = await say(
        chat.customer, "The parcel arrived DAMAGED, the box was crushed", chat.conversation_id
    )
    await say(chat.customer, "Another line about nothing", chat.conversation_id)

    for role, sub in (("agent", "agent-1"), ("supervisor", "boss")):
        body = await search(client, role, sub, q="damaged box")
        assert [(r["conversation"]["id"], r["message"]["seq"]) for r in body["results"]] == [
            (chat.conversation_id, seq)
        ]
        assert body["results"][0]["snippet"] == "The parcel arrived DAMAGED, the box was crushed"
        assert body["terms"] == ["damaged", "box"]
        assert body["next_offset"] is None


async def test_when_a_sensitive_value_is_searched_then_it_is_never_found_even_after_consent(
    client: Client,
) -> None:
    chat = await assigned_chat(client)
    message_id, request = await send_sensitive(chat.customer, CARD_TEXT)
    await answer(chat.customer, request["request_id"], granted=True)
    await chat.customer.expect("consent.recorded")
    updated = await chat.agent.expect("message.updated")
    assert CARD in updated["message"]["text"]  # the agent may see it now...

    stored = await raw_message(client, message_id)
    assert not any(ch.isdigit() for term in stored["search_terms"] for ch in term)
    for q in (CARD, CARD_DIGITS, "4111", "credit_card", "CREDIT_CARD"):
        assert (await search(client, "agent", "agent-1", q=q))["results"] == [], q
    # ...and the message is still found by its other words, rendered as the agent sees it.
    found = (await search(client, "agent", "agent-1", q="refund"))["results"]
    assert [r["message"]["id"] for r in found] == [message_id]
    assert CARD in found[0]["message"]["text"]
    # Another agent, not handling it, would see a mask: it is not theirs to find at all.
    assert (await search(client, "agent", "agent-2", q="refund"))["results"] == []
    # The supervisor's snippet is the supervisor's rendering (config/consent.toml decides).
    supervisor = (await search(client, "supervisor", "boss", q="refund"))["results"][0]
    assert supervisor["snippet"] == supervisor["message"]["text"]


async def test_when_another_agent_holds_the_conversation_then_it_is_not_returned(
    client: Client,
) -> None:
    chat = await assigned_chat(client, customer_sub="cust-a", agent_sub="agent-1")
    await say(chat.customer, "my umbrella order", chat.conversation_id)
    mine = await assigned_chat(client, customer_sub="cust-b", agent_sub="agent-2")
    await say(mine.customer, "my umbrella question", mine.conversation_id)
    waiting = await connect(client, "customer", "cust-c")
    queue = await customer_opens(client, waiting, mine.agent, "an umbrella in the queue")

    found = await search(client, "agent", "agent-2", q="umbrella")
    assert {r["conversation"]["id"] for r in found["results"]} == {mine.conversation_id, queue}
    everything = await search(client, "supervisor", "boss", q="umbrella")
    assert {r["conversation"]["id"] for r in everything["results"]} == {
        chat.conversation_id,
        mine.conversation_id,
        queue,
    }


async def test_when_a_chinese_word_is_searched_then_its_message_is_found(client: Client) -> None:
    chat = await assigned_chat(client)
    seq = await say(chat.customer, "我想申请退款\uff0c订单还没有发货\u3002", chat.conversation_id)
    await say(chat.customer, "谢谢你的帮助", chat.conversation_id)

    for q in ("退款", "订单 发货", "申请退款"):
        body = await search(client, "agent", "agent-1", q=q)
        assert [r["message"]["seq"] for r in body["results"]] == [seq], q
    assert (await search(client, "agent", "agent-1", q="退货"))["results"] == []


async def test_when_results_fill_more_than_a_page_then_pages_follow_newest_first(
    client: Client,
) -> None:
    chat = await assigned_chat(client)
    seqs = [await say(chat.customer, f"invoice number {i}", chat.conversation_id) for i in range(5)]

    first = await search(client, "agent", "agent-1", q="invoice", limit="2")
    assert [r["message"]["seq"] for r in first["results"]] == seqs[::-1][:2]
    assert first["next_offset"] == 2
    second = await search(client, "agent", "agent-1", q="invoice", limit="2", offset="2")
    third = await search(client, "agent", "agent-1", q="invoice", limit="2", offset="4")
    assert [r["message"]["seq"] for r in second["results"]] == seqs[::-1][2:4]
    assert [r["message"]["seq"] for r in third["results"]] == seqs[:1]
    assert third["next_offset"] is None


async def test_when_a_query_is_bad_then_the_answer_is_a_clear_4xx(client: Client) -> None:
    for params in (
        {},
        {"q": "   "},
        {"q": "the of and"},
        {"q": "x" * 201},
        {"q": " ".join(f"w{i}" for i in range(13))},
        {"q": "refund", "offset": "1001"},
        {"q": "refund", "offset": "-1"},
        {"q": "refund", "limit": "0"},
        {"q": "refund", "limit": "51"},
        {"q": "refund", "limit": "ten"},
    ):
        body = await search(client, "agent", "agent-1", 400, **params)
        assert body["error"]["code"] == "bad_request", params
    assert (await search(client, "customer", "cust-1", 403, q="refund"))["error"][
        "code"
    ] == "forbidden"
    assert (await search(client, "privacy_officer", "po", 403, q="refund"))["error"][
        "code"
    ] == "forbidden"
    response = await client.get("/api/search", params={"q": "refund"})
    assert response.status == 401


async def test_when_retention_rewrites_a_text_then_the_erased_words_are_no_longer_found(
    client: Client,
) -> None:
    chat = await assigned_chat(client)
    client_id = await chat.customer.send_text(
        "connect from lighthouse7 please", conversation_id=chat.conversation_id
    )
    ack = await chat.customer.expect("message.ack", client_id=client_id)
    assert len((await search(client, "agent", "agent-1", q="lighthouse7"))["results"]) == 1

    store = client.app[keys.STORE]
    stored = await raw_message(client, ack["message_id"])
    changed = await store.retention.rewrite_message(
        ack["message_id"],
        text=stored["text"],
        version=stored["secrets_version"],
        changes={"text": "connect from [IP_ADDRESS] please"},
        mark="connection_deleted",
        at=stored["created_at"],
    )
    assert changed
    assert (await search(client, "agent", "agent-1", q="lighthouse7"))["results"] == []
    assert (await raw_message(client, ack["message_id"]))["search_terms"] == ["connect", "please"]


async def test_when_messages_predate_the_terms_then_backfill_makes_them_findable_once(
    client: Client,
) -> None:
    chat = await assigned_chat(client)
    ids = []
    for text in ("old walrus message", "another walrus note"):
        client_id = await chat.customer.send_text(text, conversation_id=chat.conversation_id)
        ids.append((await chat.customer.expect("message.ack", client_id=client_id))["message_id"])
    messages = raw_db(client)["messages"]
    await messages.update_many({"_id": {"$in": ids}}, {"$unset": {"search_terms": ""}})
    assert (await search(client, "agent", "agent-1", q="walrus"))["results"] == []

    store = client.app[keys.STORE]
    assert await store.search.backfill(batch=1) >= 2  # also the greeting's own: all lacking
    assert len((await search(client, "agent", "agent-1", q="walrus"))["results"]) == 2
    assert await store.search.backfill() == 0  # idempotent
    assert (await raw_message(client, ids[0]))["search_terms"] == terms_of("old walrus message")
