"""Message rules of a retention run: each walks its messages oldest first in keyset pages
(held ones counted apart), deletes them (their attachments first) or rewrites their
connection data or kept values, retrying a rewrite a consent decision raced."""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

from chat_service.actions.consent import change_secrets
from chat_service.privacy.retention.rules import mask_connection_data, truncate_connection_data
from chat_service.privacy.retention.run_state import RunState
from chat_service.privacy_settings import RetentionRule
from chat_service.storage.retention_runs import Holds, MessageQuery

CAS_RETRIES = 5


class MessageRules:
    """The steps of a rule on messages (`message_query` decides the kind)."""

    def __init__(self, run: RunState) -> None:
        self.run = run

    async def apply(self, name: str, rule: RetentionRule, kind: MessageQuery) -> None:
        """The rule over its messages, oldest first, a batch a page (held ones counted)."""
        outcome = self.run.summary.rules[name]
        outcome.held_skipped = await self._count_held_messages(rule, kind, outcome.cutoff)
        if kind == "child":
            outcome.attachments = 0  # a deleted message's picture or file goes with it
        read = functools.partial(self.run.rs.messages_page, kind, categories=rule.categories)
        async for page, holds in self.run.pages(
            read, cutoff=outcome.cutoff, scope="free", order_field="created_at"
        ):
            eligible = await self._eligible(rule, page, outcome.cutoff)
            attachments_before = outcome.attachments or 0
            done = await self._apply_messages(name, rule, kind, eligible, holds)
            outcome.count += done
            counts = {"count": done}
            if outcome.attachments is not None:
                counts["attachments"] = outcome.attachments - attachments_before
            await self.run.batch_done(name, counts, len(page))

    async def _count_held_messages(
        self, rule: RetentionRule, kind: MessageQuery, cutoff: datetime
    ) -> int:
        read = functools.partial(self.run.rs.messages_page, kind, categories=rule.categories)
        held = 0
        async for page, _holds in self.run.pages(
            read, cutoff=cutoff, scope="held", order_field="created_at"
        ):
            held += len(await self._eligible(rule, page, cutoff))
        return held

    async def _eligible(
        self, rule: RetentionRule, page: list[dict[str, Any]], cutoff: datetime
    ) -> list[dict[str, Any]]:
        if rule.counts_from != "conversation_closed":
            return page
        closed = await self.run.rs.closed_at(sorted({doc["conversation_id"] for doc in page}))
        return [
            doc
            for doc in page
            if (at := closed.get(doc["conversation_id"])) is not None and at <= cutoff
        ]

    async def _apply_messages(
        self,
        name: str,
        rule: RetentionRule,
        kind: MessageQuery,
        docs: list[dict[str, Any]],
        holds: Holds,
    ) -> int:
        if kind == "child":
            return await self._delete_child_messages(name, rule, docs, holds)
        done = 0
        for doc in docs:
            try:
                if await self._apply_message(name, rule, kind, doc):
                    done += 1
            except Exception as exc:  # one bad document must not stop the others
                self.run.error(name, exc, message_id=doc["_id"])
        return done

    async def _apply_message(
        self, name: str, rule: RetentionRule, kind: MessageQuery, doc: dict[str, Any]
    ) -> bool:
        if kind == "kept_values":
            if self.run.dry_run:
                return True
            updated = await change_secrets(
                self.run.services,
                doc,
                set(rule.categories),
                keep=False,
                actor={**self.run.actor, "rule": name},
                reason="consent retention_ended",
                states=("kept",),
            )
            return updated is not None
        for _ in range(CAS_RETRIES):
            text = doc.get("text")
            if text is None:
                raise ValueError("connection data findings on a message without text")
            findings: list[dict[str, Any]] = doc.get("findings", [])
            if kind == "connection_truncate":
                changes: dict[str, Any] = {"text": truncate_connection_data(text, findings)}
                mark = "connection_truncated"
            else:
                new_text, new_findings, new_secrets = mask_connection_data(
                    text, findings, doc.get("secrets", [])
                )
                changes = {"text": new_text, "findings": new_findings, "secrets": new_secrets}
                mark = "connection_deleted"
            if self.run.dry_run:
                return True
            if await self.run.rs.rewrite_message(
                doc["_id"],
                text=text,
                version=doc.get("secrets_version", 0),
                changes=changes,
                mark=mark,
                at=self.run.now,
            ):
                return True
            fresh = await self.run.rs.message(doc["_id"])  # a consent decision got there first
            if fresh is None or mark in fresh.get("retention", {}):
                return False
            doc = fresh
        raise RuntimeError(f"message {doc['_id']}: too many concurrent updates")

    async def _delete_child_messages(
        self, name: str, rule: RetentionRule, docs: list[dict[str, Any]], holds: Holds
    ) -> int:
        if not docs:
            return 0
        outcome = self.run.summary.rules[name]
        try:
            # The messages' attachments (and their blobs) first: a run killed in between
            # finds the messages again and has nothing left of their files to do.
            found = await self.run.rs.attachment_ids(
                holds=holds, message_ids=[d["_id"] for d in docs]
            )
            outcome.attachments = (outcome.attachments or 0) + await self.run.drop_attachments(
                found
            )
        except Exception as exc:
            self.run.error(name, exc, message_ids=[d["_id"] for d in docs][:20])
            return 0
        if self.run.dry_run:
            self.run.simulated_deleted.update((d["_id"], d["conversation_id"]) for d in docs)
            return len(docs)
        try:
            deleted = await self.run.rs.delete_messages(
                "child",
                [d["_id"] for d in docs],
                cutoff=self.run.summary.rules[name].cutoff,
                holds=holds,
            )
        except Exception as exc:
            self.run.error(name, exc, message_ids=[d["_id"] for d in docs][:20])
            return 0
        by_customer: dict[str, list[str]] = {}
        for doc in docs:
            by_customer.setdefault(doc["customer_id"], []).append(doc["_id"])
        for customer_id, ids in by_customer.items():
            await self.run.audit(
                name,
                "retention_deleted",
                customer_id,
                f"retention rule {name}: {rule.data}",
                details={"message_ids": ids},
            )
        return deleted
