"""Conversation rules of a retention run: closed conversations deleted or anonymised in
chunks of about `batch_size` messages (their attachments first), each audited, then the
data key of every customer left with nothing shredded."""

from __future__ import annotations

from chat_service.privacy.retention.reports import ConversationTally, anonymised_conversation
from chat_service.privacy.retention.run_state import RunState
from chat_service.privacy_settings import RetentionRule
from chat_service.storage.retention_runs import (
    AnonymisedConversation,
    ClosedConversationRow,
    Holds,
)


class ConversationRules:
    """The steps of a rule on conversations."""

    def __init__(self, run: RunState) -> None:
        self.run = run

    async def apply(self, name: str, rule: RetentionRule) -> None:
        """The rule over closed conversations (held ones counted), then the data keys of
        the customers it left with nothing."""
        outcome = self.run.summary.rules[name]
        outcome.messages, outcome.keys_shredded, outcome.attachments = 0, 0, 0
        read = self.run.rs.conversations_page
        async for page, _holds in self.run.pages(
            read, cutoff=outcome.cutoff, scope="held", order_field="closed_at"
        ):
            outcome.held_skipped += len(page)
        touched: dict[str, set[str]] = {}
        async for page, holds in self.run.pages(
            read, cutoff=outcome.cutoff, scope="free", order_field="closed_at"
        ):
            chunk: list[ClosedConversationRow] = []
            summaries: dict[str, AnonymisedConversation] = {}
            budget = 0
            # A plain delete only needs each conversation's message count: one command for
            # the page (the counts decide where a chunk is cut, nothing else).
            counts = (
                await self.run.rs.messages_per_conversation([c["_id"] for c in page])
                if rule.action == "delete"
                else {}
            )
            for conversation in page:
                summary, messages = await self._summarise(name, rule, conversation, counts)
                chunk.append(conversation)
                if summary is not None:
                    summaries[conversation["_id"]] = summary
                budget += messages
                if budget >= self.run.batch_size:
                    await self._remove(name, chunk, summaries, holds, budget, touched)
                    chunk, summaries, budget = [], {}, 0
            if chunk:
                await self._remove(name, chunk, summaries, holds, budget, touched)
        if not touched:
            return
        try:
            # Who still has data: at most three commands for all the customers touched,
            # instead of three per customer.
            removed = set().union(*touched.values())
            kept = await self.run.rs.customers_with_data(list(touched), removed)
        except Exception as exc:
            self.run.error(name, exc, customer_key=True)
            return
        for customer_id in touched:
            if customer_id in kept:
                continue
            try:
                await self._shred_key(name, customer_id)
            except Exception as exc:
                self.run.error(name, exc, customer_key=True)

    async def _summarise(
        self,
        name: str,
        rule: RetentionRule,
        conversation: ClosedConversationRow,
        counts: dict[str, int],
    ) -> tuple[AnonymisedConversation | None, int]:
        """The anonymised statistics of a conversation (None for a plain delete) and how
        many of its messages go with it (for a plain delete from `counts`, the page's
        message counts per conversation)."""
        conversation_id = conversation["_id"]
        if rule.action == "delete":
            count = counts.get(conversation_id, 0)
            return None, count - self._simulated_in([conversation_id])
        tally = ConversationTally()
        after_seq = 0
        while page := await self.run.rs.conversation_messages(
            conversation_id, after_seq, self.run.batch_size
        ):
            after_seq = page[-1]["seq"]
            for message in page:
                if message["_id"] not in self.run.simulated_deleted:
                    tally.add(message)
        return anonymised_conversation(name, conversation, tally, self.run.now), tally.messages

    def _simulated_in(self, conversation_ids: list[str]) -> int:
        wanted = set(conversation_ids)
        return sum(1 for c in self.run.simulated_deleted.values() if c in wanted)

    async def _remove(
        self,
        name: str,
        chunk: list[ClosedConversationRow],
        summaries: dict[str, AnonymisedConversation],
        holds: Holds,
        messages: int,
        touched: dict[str, set[str]],
    ) -> None:
        outcome = self.run.summary.rules[name]
        ids = [c["_id"] for c in chunk]
        removed = len(chunk)
        try:
            # Attachments and their blobs first (an anonymised conversation keeps no files):
            # a run killed before the conversations go finds them again, files already gone.
            found = await self.run.rs.attachment_ids(holds=holds, conversation_ids=ids)
            attachments = await self.run.drop_attachments(found)
            if not self.run.dry_run:
                removed, messages = await self.run.rs.remove_conversations(
                    ids, summaries, holds=holds
                )
        except Exception as exc:
            self.run.error(name, exc, conversation_ids=ids[:20])
            await self.run.batch_done(name, {"errors": 1}, len(chunk))
            return
        if not self.run.dry_run:
            for conversation in chunk:
                await self.run.audit(
                    name,
                    f"retention_{outcome.action}",
                    conversation["customer_id"],
                    f"retention rule {name}: {outcome.data}",
                    details={"conversation_id": conversation["_id"]},
                )
        for conversation in chunk:
            touched.setdefault(conversation["customer_id"], set()).add(conversation["_id"])
        outcome.count += removed
        outcome.messages = (outcome.messages or 0) + messages
        outcome.attachments = (outcome.attachments or 0) + attachments
        counts = {"count": removed, "messages": messages, "attachments": attachments}
        await self.run.batch_done(name, counts, len(chunk))

    async def _shred_key(self, name: str, customer_id: str) -> None:
        """A customer with nothing left (`customers_with_data`): delete their data key, so
        no backup copy of a removed value can ever be decrypted again (the anonymisation is
        irreversible)."""
        if not await self.run.cipher.has_key(customer_id):
            return
        outcome = self.run.summary.rules[name]
        outcome.keys_shredded = (outcome.keys_shredded or 0) + 1
        if self.run.dry_run:
            return
        await self.run.cipher.shred(customer_id)
        await self.run.audit(
            name,
            "retention_key_shredded",
            customer_id,
            f"retention rule {name}: no data of the customer left",
        )
