"""Legal holds (privacy policy 4.3): a privacy officer keeps a conversation, or everything of
a customer, beyond retention and beyond a deletion request, with a reason, until lifted.

Only privacy officers set, lift or list holds; every change writes an audit record (who,
which hold, why). Data under an active hold is skipped by deletion
(chat_service/privacy/deletion.py) and must be excluded by the retention engine's queries
(`store.legal_holds.active_customer_ids()` / `active_conversation_ids()`). Lifting a hold
does not delete anything by itself: a deletion request it blocked is finished on the
deletion loop's next pass.
"""

from __future__ import annotations

import logging

from chat_service.auth import Identity, Role
from chat_service.errors import ChatError, ConversationNotFound, Forbidden
from chat_service.services import Services
from chat_service.storage.holds import HoldDoc, HoldScope

logger = logging.getLogger(__name__)

MAX_REASON_CHARS = 1000


class NoActiveHold(ChatError):
    code = "no_active_hold"
    http_status = 404
    default_message = "there is no active legal hold on this target"


def require_privacy_officer(identity: Identity) -> None:
    if identity.role is not Role.PRIVACY_OFFICER:
        raise Forbidden("only a privacy officer may do this")


async def _target(services: Services, scope: HoldScope, target_id: str) -> tuple[str, str | None]:
    """(customer id, conversation id) of the hold's target."""
    if scope == "customer":
        return target_id, None
    conversation = await services.store.conversations.get(target_id)
    if conversation is None:
        raise ConversationNotFound()
    return conversation.customer_id, conversation.id


async def set_hold(
    services: Services, identity: Identity, scope: HoldScope, target_id: str, reason: str
) -> tuple[HoldDoc, bool]:
    """Hold a customer or a conversation; (hold, created). Setting a hold that is already
    active returns that hold unchanged (its original reason stays)."""
    require_privacy_officer(identity)
    customer_id, conversation_id = await _target(services, scope, target_id)
    now = services.clock()
    actor = {"role": identity.role.value, "id": identity.sub}
    hold, created = await services.store.legal_holds.add(
        scope=scope,
        customer_id=customer_id,
        conversation_id=conversation_id,
        reason=reason,
        by=actor,
        at=now,
    )
    if created:
        await services.store.audit.record(
            at=now,
            actor=actor,
            action="legal_hold_set",
            customer_id=customer_id,
            reason=reason,
            details={"hold_id": hold["_id"], "scope": scope, "conversation_id": conversation_id},
        )
        logger.info("legal hold set", extra={"hold_id": hold["_id"], "scope": scope})
    return hold, created


async def lift_hold(
    services: Services, identity: Identity, scope: HoldScope, target_id: str, reason: str
) -> HoldDoc:
    """Lift the active hold on a customer or a conversation (NoActiveHold if none)."""
    require_privacy_officer(identity)
    if scope == "customer":
        customer_id: str | None
        customer_id, conversation_id = target_id, None
    else:
        # A held conversation is never deleted, so its record is there while held.
        customer_id, conversation_id = None, target_id
    now = services.clock()
    actor = {"role": identity.role.value, "id": identity.sub}
    hold = await services.store.legal_holds.lift(
        scope=scope,
        customer_id=customer_id,
        conversation_id=conversation_id,
        by=actor,
        at=now,
        reason=reason,
    )
    if hold is None:
        if scope == "conversation":
            await _target(services, scope, target_id)  # 404 for a conversation that is not there
        raise NoActiveHold()
    await services.store.audit.record(
        at=now,
        actor=actor,
        action="legal_hold_lifted",
        customer_id=hold["customer_id"],
        reason=reason,
        details={
            "hold_id": hold["_id"],
            "scope": scope,
            "conversation_id": hold["conversation_id"],
            "held_since": hold["set_at"].isoformat(),
        },
    )
    logger.info("legal hold lifted", extra={"hold_id": hold["_id"], "scope": scope})
    return hold


async def list_holds(
    services: Services, identity: Identity, *, active: bool | None
) -> list[HoldDoc]:
    """Holds, the latest first; the officer's read is audited (who listed which, when)."""
    require_privacy_officer(identity)
    found = await services.store.legal_holds.listing(active=active)
    await services.store.audit.record(
        at=services.clock(),
        actor={"role": identity.role.value, "id": identity.sub},
        action="legal_holds_viewed",
        customer_id="",
        reason="privacy officer's listing",
        details={"active": active, "rows": len(found)},
    )
    return found


async def change_hold(
    services: Services,
    identity: Identity,
    scope: HoldScope,
    target_id: str,
    *,
    hold: bool,
    reason: str,
) -> tuple[HoldDoc, bool]:
    """`{"hold": true|false, "reason"}` as the endpoints take it; (hold, created)."""
    if hold:
        return await set_hold(services, identity, scope, target_id, reason)
    return await lift_hold(services, identity, scope, target_id, reason), False
