"""The shard key of every collection the service creates: sharding on paper, checked in code.

Nothing here shards anything: an operator who shards a deployment runs `sh.shardCollection`
with these keys (docs/deployment.md, "Sharding"). The declaration is kept next to the
indexes because each constrains the other: MongoDB enforces a unique index across shards
only if the index is on the shard key or has it as a prefix, and refuses to create (or to
shard a collection with) any other unique index. The `_id` index is the exception it allows,
but then `_id` is unique per shard only, unless the shard key is exactly `_id`.
tests/storage/test_sharding.py reads this mapping and the indexes the server creates, and
fails on any unique index that breaks the rule.

`None` means the collection stays unsharded (on its database's primary shard): it is small,
or one of its unique constraints cannot include a shard key yet (said in `UNSHARDED_WHY`).
"""

from __future__ import annotations

from typing import Final

from chat_service.storage.attachments import BUCKET
from chat_service.storage.attachments import COLLECTION as ATTACHMENTS
from chat_service.storage.crypto import KEY_VAULT_COLLECTION

ShardKey = tuple[str, ...]

SHARD_KEYS: Final[dict[str, ShardKey | None]] = {
    # The large, growing collections: one document per message, event or file chunk.
    # A message's `_id` (role, sender, client_id) is then unique per shard only: a resend
    # naming its original's conversation (what the widget does) lands on the same shard
    # and is refused there; one naming no conversation (or a closed one) is looked up by
    # `_id` before its insert (actions/messages.py; docs/deployment.md, "Sharding").
    "messages": ("conversation_id",),
    "audit": ("customer_id",),
    "consents": ("customer_id",),  # the consent ledger: append-only decisions
    "consent_requests": ("customer_id",),
    ATTACHMENTS: ("conversation_id",),
    f"{BUCKET}.files": ("_id",),
    f"{BUCKET}.chunks": ("files_id",),  # GridFS' own unique index is {files_id, n}
    "webhook_deliveries": ("_id",),
    "anonymised_conversations": ("_id",),
    "upload_quotas": ("customer_id",),
    "notes": ("conversation_id",),  # teamwork: read with their conversation, like messages
    "outcomes": ("_id",),  # teamwork: one per conversation, rated by `_id`
    # Small, or bound by a unique constraint on a field that is not a shard key.
    "conversations": None,
    "legal_holds": None,
    "deletion_requests": None,
    "retention_runs": None,
    "leases": None,
    KEY_VAULT_COLLECTION: None,
    "agent_availability": None,
    "saved_replies": None,
    "saved_reply_changes": None,
}

UNSHARDED_WHY: Final[dict[str, str]] = {
    "agent_availability": "one small document per agent (online or away)",
    "saved_replies": "the shop's saved replies: 500 at most (`web/replies.py` `MAX_REPLIES`)",
    "saved_reply_changes": "one document per supervisor's edit of a saved reply",
    "conversations": (
        "one document per conversation (a tenth of messages or less); its unique "
        "`open_key` (one open conversation per customer) would need {customer_id, open_key} "
        "with a partial filter before it can be sharded by customer_id"
    ),
    "legal_holds": "a few documents per customer under a hold; unique `active_key`",
    "deletion_requests": "one per request; unique `open_key` (one open per customer)",
    "retention_runs": "one document per retention run",
    "leases": "one document per periodic job",
    KEY_VAULT_COLLECTION: "one data key per customer; read once per customer and cached",
}


def unique_index_conflict(
    shard_key: ShardKey | None, index_key: ShardKey, *, unique: bool
) -> str | None:
    """Why MongoDB would not accept or enforce this index on a collection sharded by
    `shard_key`; None when it would. The rule, from MongoDB's "Shard Key Indexes": a unique
    index must be the shard key or have it as a prefix. The `_id` index is exempt (MongoDB
    keeps it), but it is then unique per shard only unless the shard key is exactly `_id`:
    a collection whose `_id` carries meaning says above why per shard is enough."""
    if shard_key is None or not unique or index_key == ("_id",):
        return None
    if index_key[: len(shard_key)] == shard_key:
        return None
    return f"unique index {index_key} does not start with the shard key {shard_key}"
