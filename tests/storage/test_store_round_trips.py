"""The store commands a plain text message costs, pinned: every round trip to the store is
milliseconds on the embedded one, so a new read or write on the hot path shows up here.

The listener sees every command the app's client sends (pymongo command monitoring);
only this test's database counts, without the periodic jobs' commands.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pymongo import monitoring

from chat_service import keys
from chat_service.actions import messages as msg_actions
from chat_service.storage import crypto
from chat_service.storage.conversations import ConversationStore
from chat_service.storage.messages import conv_seq
from tests.helpers.consent import CARD_TEXT, OTHER_CARD, answer, assigned_chat, headers
from tests.helpers.ws import Client, Peer, connect, customer_opens


class _Commands(monitoring.CommandListener):
    """Commands started for one database while recording; thread-safe (the driver may call
    listeners from its own threads)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.database: str | None = None
        self.seen: list[str] = []
        self.returned: dict[str, int] = {}  # documents the store answered, by collection
        self._watched: set[int] = set()  # request ids of this database's commands

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.database_name != self.database or _background(event.command):
            return
        target = event.command.get(event.command_name)
        where = f" {target}" if isinstance(target, str) else ""
        with self._lock:
            self.seen.append(f"{event.command_name}{where}")
            self._watched.add(event.request_id)

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        cursor = event.reply.get("cursor")
        with self._lock:
            if event.request_id not in self._watched or not isinstance(cursor, Mapping):
                return
            batch = cursor.get("firstBatch", cursor.get("nextBatch", []))
            collection = str(cursor.get("ns", "")).partition(".")[2]
            self.returned[collection] = self.returned.get(collection, 0) + len(batch)

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass

    def mark(self, label: str) -> None:
        with self._lock:
            self.seen.append(label)

    def take(self) -> list[str]:
        with self._lock:
            seen, self.seen = self.seen, []
            self.returned = {}
        return seen


# Collections only the server's periodic jobs touch (deletion requests, webhooks,
# retention, holds, the jobs' leases), and the consent sweep's queries (actions/consent.py
# sweep_expired): they run at start-up and on a schedule, whenever that falls.
_BACKGROUND_COLLECTIONS = {"deletion_requests", "webhook_deliveries", "legal_holds", "leases"}
_SWEEP_FILTERS = {"expires_at", "applied", "secrets.state"}


def _background(command: Mapping[str, Any]) -> bool:
    collection = next(iter(command.values()), None)
    if not isinstance(collection, str):
        return False
    if collection in _BACKGROUND_COLLECTIONS or collection.startswith("retention"):
        return True
    query = command.get("filter")
    return isinstance(query, Mapping) and bool(_SWEEP_FILTERS & set(query))


_COMMANDS = _Commands()
# Global and permanent (pymongo has no unregister): it records only while a test of this
# module names its database, and applies to clients created afterwards (each test's app).
monitoring.register(_COMMANDS)


@pytest.fixture
def commands(client: Client) -> Iterator[_Commands]:
    _COMMANDS.database = client.app[keys.SETTINGS].config.store.database
    _COMMANDS.take()
    try:
        yield _COMMANDS
    finally:
        _COMMANDS.database = None


@pytest.fixture(autouse=True)
def keys_stay_cached(monkeypatch: pytest.MonkeyPatch) -> None:
    """libmongocrypt re-reads a data key from the key vault every `KEY_CACHE_MS` (10 s):
    a slow run would count those reads. Set before the app (and its FieldCipher) is made;
    0 means never expire."""
    monkeypatch.setattr(crypto, "KEY_CACHE_MS", 0)


ACK = "-- ack --"


@pytest.fixture
def ack_marked(commands: _Commands, monkeypatch: pytest.MonkeyPatch) -> _Commands:
    """Commands listed with ACK where the ack goes out: what follows is after-ack work."""
    check = msg_actions.check_send_message

    async def marked(*args: Any, **kwargs: Any) -> msg_actions.SendResult:
        result = await check(*args, **kwargs)
        commands.mark(ACK)  # ws/dispatch.py sends the ack now, then runs result.publish
        return result

    monkeypatch.setattr(msg_actions, "check_send_message", marked)
    return commands


def _split(seen: list[str]) -> tuple[list[str], list[str]]:
    assert seen.count(ACK) == 1, seen
    at = seen.index(ACK)
    return seen[:at], seen[at + 1 :]


async def _settled(peer: Peer) -> None:
    """Everything the previous frames of this socket caused has finished (frames of one
    socket are handled one at a time)."""
    await peer.send({"type": "ping"})
    await peer.expect("pong")


async def test_a_customers_first_message_reads_three_times_and_writes_twice(
    client: Client, commands: _Commands
) -> None:
    customer = await connect(client, "customer", "cust-1")
    await _settled(customer)
    commands.take()  # connecting reads the open consent requests: not the message's cost

    client_id = await customer.send_text("Hello")
    ack = await customer.expect("message.ack", client_id=client_id)
    await _settled(customer)
    assert ack["seq"] == 1
    assert commands.take() == [
        "find conversations",  # no open conversation cached: is there one in the store?
        "find messages",  # was this message stored before its conversation closed?
        "aggregate conversations",  # opened in the last hour (limits.conversations_per_hour)
        "insert conversations",  # the new one (the unique open_key refuses a second)
        "insert messages",  # seq 1, known without a read
    ]


async def test_plain_text_messages_cost_one_insert_each(
    client: Client, commands: _Commands
) -> None:
    agent = await connect(client, "agent", "agent-1")
    customer = await connect(client, "customer", "cust-1")
    conversation_id = await customer_opens(client, customer, agent, "Hello")
    await agent.send({"type": "conversation.join", "conversation_id": conversation_id})
    await customer.expect("conversation.assigned")
    await _settled(customer)
    await _settled(agent)
    commands.take()

    # A customer's text in their assigned open conversation, named and not named; the
    # last one has findings (an e-mail address: not sensitive, so no consent path).
    # Not named, it may be a resend of a message stored in another conversation (on
    # another shard once `messages` is sharded): its `_id` is looked up first.
    for named, text, cost in (
        (conversation_id, "Where is my parcel?", ["insert messages"]),
        (None, "Still waiting for it.", ["find messages", "insert messages"]),
        (conversation_id, "Write to jane.doe@example.com please.", ["insert messages"]),
    ):
        client_id = await customer.send_text(text, conversation_id=named)
        ack = await customer.expect("message.ack", client_id=client_id)
        new = await agent.expect_message(seq=ack["seq"])
        await _settled(customer)
        assert commands.take() == cost, text
    assert [f["entity_type"] for f in new["findings"]] == ["EMAIL_ADDRESS"]

    # The agent's plain reply, and the inbox's mark of the newest staff message (one `$max`
    # by `_id`; staff messages only, docs/inbox.md "Reads").
    client_id = await agent.send_text("Let me check.", conversation_id=conversation_id)
    await agent.expect("message.ack", client_id=client_id)
    await customer.expect("message.new")
    await _settled(agent)
    assert commands.take() == ["insert messages", "update conversations"]


async def test_when_a_resend_without_its_conversation_id_finds_another_open_then_the_original_ack(
    client: Client, commands: _Commands
) -> None:
    """The original went into a conversation since closed; the resend names none while the
    customer has another one open. Sharded by conversation, an insert there would go to
    another shard, whose unique `_id` does not know the original: the resend must be
    answered without any insert (docs/idempotency.md)."""
    agent = await connect(client, "agent", "agent-1")
    customer = await connect(client, "customer", "cust-1")
    await customer.send_text("Where is my parcel?", client_id="c-original")
    original = await customer.expect("message.ack", client_id="c-original")
    first = original["conversation_id"]
    await agent.send({"type": "conversation.join", "conversation_id": first})
    await customer.expect("conversation.assigned")
    await agent.send({"type": "conversation.close", "conversation_id": first})
    await customer.expect("conversation.closed")
    client_id = await customer.send_text("Another question.")
    opened = await customer.expect("message.ack", client_id=client_id)
    assert opened["conversation_id"] != first
    await _settled(customer)
    commands.take()

    await customer.send_text("Where is my parcel?", client_id="c-original")
    again = await customer.expect("message.ack", client_id="c-original")
    await _settled(customer)
    assert {k: again[k] for k in ("message_id", "conversation_id", "seq", "duplicate")} == {
        "message_id": original["message_id"],
        "conversation_id": first,
        "seq": original["seq"],
        "duplicate": True,
    }
    seen = commands.take()
    assert "insert messages" not in seen, seen  # the store was never asked to keep a copy
    assert seen[0] == "find messages", seen  # the `_id` looked up before anything else
    store = client.app[keys.SERVICES].store
    assert [m["_id"] for m in await store.messages.after(opened["conversation_id"], 0, 10)] == [
        opened["message_id"]
    ]


async def test_when_two_instances_open_a_conversation_at_once_then_both_use_one(
    client: Client, commands: _Commands
) -> None:
    """The first message inserts the conversation without looking first: the unique
    `open_key` refuses the second insert, which then reads and uses the first one."""
    store = client.app[keys.SERVICES].store
    other = ConversationStore(store.db["conversations"])  # another instance: its own cache
    now = client.app[keys.SERVICES].clock()
    (first, first_created), (second, second_created) = await asyncio.gather(
        store.conversations.open_for_customer("cust-9", now),
        other.open_for_customer("cust-9", now),
    )
    assert first.id == second.id
    assert sorted([first_created, second_created]) == [False, True]
    assert sorted(commands.take()) == [
        "find conversations",
        "insert conversations",
        "insert conversations",
    ]


async def test_sensitive_messages_cost_what_their_consent_needs_and_no_more(
    client: Client, ack_marked: _Commands
) -> None:
    """A customer's card numbers: the first (makes the customer's data key, opens the
    consent request), one while consent is pending (joins the open request), one with
    consent on record (kept). Each names its conversation, as the widget does once it
    knows it (not named, each would read its `_id` first: the test above)."""
    commands = ack_marked
    chat = await assigned_chat(client)
    named = chat.conversation_id
    await _settled(chat.customer)
    await _settled(chat.agent)
    commands.take()  # connecting read the customer's open consent requests (none)

    client_id = await chat.customer.send_text(CARD_TEXT, conversation_id=named)
    await chat.customer.expect("message.ack", client_id=client_id)
    request = await chat.customer.expect("consent.request")
    await _settled(chat.customer)
    before, after = _split(commands.take())
    # While the value is encrypted, the ledger is read (concurrently: order varies).
    assert sorted(before[:-1]) == [
        "find consents",  # the customer's ledger, first use: cached from now on
        "find encryption_keys",  # the customer's data key id: none yet
        "find encryption_keys",  # libmongocrypt fetches the new key to encrypt with it
        "insert encryption_keys",  # the customer's data key
    ]
    assert before[-1:] == ["insert messages"]
    assert after == ["insert consent_requests"]  # none open (known since connecting)

    client_id = await chat.customer.send_text(
        f"Or use {OTHER_CARD} instead.", conversation_id=named
    )
    ack = await chat.customer.expect("message.ack", client_id=client_id)
    await chat.agent.expect_message(id=ack["message_id"])
    await _settled(chat.customer)
    before, after = _split(commands.take())
    assert before == ["insert messages"]  # key id, key and ledger cached
    # Joins the open request: one update conditional on it still being pending.
    assert after == ["update consent_requests"]

    await answer(chat.customer, request["request_id"], granted=True)
    await chat.customer.expect("consent.recorded")
    await _settled(chat.customer)
    commands.take()

    client_id = await chat.customer.send_text(f"Card {OTHER_CARD} again.", conversation_id=named)
    ack = await chat.customer.expect("message.ack", client_id=client_id)
    await chat.agent.expect_message(id=ack["message_id"])
    await _settled(chat.customer)
    before, after = _split(commands.take())
    assert before == ["insert messages"]  # the grant was added to the cached ledger
    assert after == ["insert audit"]  # the assigned agent saw the kept value


ROWS, MESSAGES_PER_ROW = 60, 12


async def _seed_inbox(client: Client, rows: int = ROWS) -> datetime:
    """ROWS open conversations of MESSAGES_PER_ROW messages each, written straight to the
    store as the service stores them (with the inbox's mark; without search terms, which the
    inbox does not read): in even ones an agent answered at seq 4 and the customer wrote the
    rest, in odd ones the agent wrote last."""
    db = client.app[keys.SERVICES].store.db
    start = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
    conversations: list[dict[str, Any]] = []
    messages: list[dict[str, Any]] = []
    for i in range(rows):
        conversation_id = f"c_inbox{i:04d}"
        staff_seq = 4 if i % 2 == 0 else MESSAGES_PER_ROW
        conversations.append(
            {"_id": conversation_id, "customer_id": f"cust-{i}", "open_key": f"cust-{i}",
             "status": "open", "agent_id": None, "created_at": start + timedelta(seconds=i),
             "closed_at": None, "last_staff_seq": staff_seq}
        )  # fmt: skip
        for seq in range(1, MESSAGES_PER_ROW + 1):
            staff = seq == staff_seq
            messages.append(
                {"_id": f"m_inbox{i:04d}_{seq:02d}", "conversation_id": conversation_id,
                 "customer_id": f"cust-{i}", "seq": seq, "client_id": f"{i}-{seq}",
                 "sender": {"role": "agent" if staff else "customer",
                            "id": "agent-0" if staff else f"cust-{i}"},
                 "kind": "text", "text": f"message {seq} of {i}", "findings": [],
                 "secrets": [], "consent": None,
                 "created_at": start + timedelta(minutes=seq, seconds=i),
                 "conv_seq": conv_seq(conversation_id, seq), "secrets_version": 0}
            )  # fmt: skip
    await db["conversations"].insert_many(conversations)
    await db["messages"].insert_many(messages)
    return start


async def test_when_conversations_are_listed_then_the_inbox_reads_from_the_last_staff_message(
    client: Client, commands: _Commands
) -> None:
    """The console's first load (`view=open`): one conversation query, one count (Closed),
    one message query answering, for each row, its newest staff message and the customer's
    messages after it (found from the conversation's mark); not every message of every
    listed conversation. The answers are those every message gives."""
    start = await _seed_inbox(client)
    commands.take()

    response = await client.get("/api/inbox?view=open", headers=headers(client, "agent", "a-1"))
    assert response.status == 200
    body = await response.json()
    returned = dict(commands.returned)
    seen = commands.take()

    assert seen == ["find conversations", "aggregate conversations", "find messages"]
    assert returned["conversations"] == ROWS
    unanswered = MESSAGES_PER_ROW - 4
    # Even rows: the staff message and what followed; odd rows: the staff message alone.
    assert returned["messages"] == ROWS // 2 * (unanswered + 1) + ROWS // 2
    rows = {r["conversation"]["id"]: r for r in body["conversations"]}
    assert len(rows) == ROWS
    for i in range(ROWS):
        row = rows[f"c_inbox{i:04d}"]
        assert row["last_message"]["text"] == f"message {MESSAGES_PER_ROW} of {i}"
        if i % 2 == 0:
            assert row["unanswered"] == unanswered
            waited = start + timedelta(minutes=5, seconds=i)
            assert row["waiting_since"] == waited.isoformat()
        else:
            assert (row["unanswered"], row["waiting_since"]) == (0, None)


async def test_when_a_conversation_has_no_mark_or_its_marked_message_is_gone_then_all_are_read(
    client: Client, commands: _Commands
) -> None:
    """A conversation opened before the mark was kept, and one whose marked staff message
    retention deleted: their rows come from every message they have (a second query, for
    them alone), as before the mark."""
    start = await _seed_inbox(client, rows=4)
    db = client.app[keys.SERVICES].store.db
    await db["conversations"].update_one({"_id": "c_inbox0000"}, {"$unset": {"last_staff_seq": ""}})
    await db["messages"].delete_one({"_id": "m_inbox0002_04"})
    commands.take()

    response = await client.get("/api/inbox?view=open", headers=headers(client, "agent", "a-1"))
    assert response.status == 200
    rows = {r["conversation"]["id"]: r for r in (await response.json())["conversations"]}
    seen = commands.take()

    assert seen == [
        "find conversations",
        "aggregate conversations",
        "find messages",  # from the marks on
        "find messages",  # every message of c_inbox0000 and c_inbox0002
    ]
    unmarked = rows["c_inbox0000"]
    assert (unmarked["unanswered"], unmarked["waiting_since"]) == (
        MESSAGES_PER_ROW - 4,
        (start + timedelta(minutes=5)).isoformat(),
    )
    gone = rows["c_inbox0002"]  # only the customer's messages are left
    assert (gone["unanswered"], gone["waiting_since"]) == (
        MESSAGES_PER_ROW - 1,
        (start + timedelta(minutes=1, seconds=2)).isoformat(),
    )
    assert gone["last_message"]["text"] == f"message {MESSAGES_PER_ROW} of 2"
    assert (rows["c_inbox0001"]["unanswered"], rows["c_inbox0003"]["unanswered"]) == (0, 0)
