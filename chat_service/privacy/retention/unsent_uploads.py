"""The retention step after the rules: uploads no message used, older than
`unsent_retention_hours` (config/attachments.toml), deleted with their blobs."""

from __future__ import annotations

from datetime import datetime

from chat_service.privacy.retention.reports import UNSENT_STEP
from chat_service.privacy.retention.run_state import RunState


class UnsentUploads:
    """Uploads no message used."""

    def __init__(self, run: RunState) -> None:
        self.run = run

    async def apply(self) -> None:
        """Uploads older than `unsent_retention_hours` that no message used: deleted with
        their blobs, oldest first, in batches; held ones (their customer's or their
        conversation's hold) are skipped and counted."""
        outcome = self.run.summary.unsent_attachments
        assert outcome is not None  # noqa: S101  # set by run_retention
        read = self.run.rs.unsent_attachments_page
        async for page, _holds in self.run.pages(
            read, cutoff=outcome.cutoff, scope="held", order_field="created_at"
        ):
            outcome.held_skipped += len(page)
        async for page, _holds in self.run.pages(
            read, cutoff=outcome.cutoff, scope="free", order_field="created_at"
        ):
            by_customer: dict[str, int] = {}
            for doc in page:
                try:
                    if await self._delete_unsent(doc["_id"], outcome.cutoff):
                        by_customer[doc["customer_id"]] = by_customer.get(doc["customer_id"], 0) + 1
                except Exception as exc:  # one bad document must not stop the others
                    self.run.error(UNSENT_STEP, exc, attachment_id=doc["_id"])
            done = sum(by_customer.values())
            outcome.count += done
            if not self.run.dry_run:
                for customer_id, count in by_customer.items():
                    await self.run.audit(
                        UNSENT_STEP,
                        "retention_deleted",
                        customer_id,
                        f"retention: uploads never sent, {outcome.period_hours:g} hours",
                        details={"unsent_attachments": count},
                    )
            await self.run.batch_done(UNSENT_STEP, {"count": done}, len(page), section=UNSENT_STEP)

    async def _delete_unsent(self, attachment_id: str, cutoff: datetime) -> bool:
        if self.run.dry_run:
            return await self.run.drop_attachments([attachment_id]) == 1
        attachments = self.run.services.store.attachments
        # Claimed first: a message.send racing this run can no longer bind it.
        if not await attachments.claim_unsent(attachment_id, cutoff):
            return False  # a message took it meanwhile
        return await attachments.delete(attachment_id)
