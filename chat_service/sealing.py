"""Sealed values: a sensitive value masked in the text, encrypted, then kept or destroyed.

A message's sensitive values (a span of its text, a shared location, the key of a sensitive
picture's original) are each stored as one `Sealed`: where its placeholder is in the masked
text (`start`, `end`; none for a location or an attachment), what it is (`entity_types`,
`categories`), a reference to the ciphertext (`value`: the value encrypted under the
customer's key, or the attachment original's wrapped key; None once destroyed) and its
`state`. Every rule about them is a pure function here:

- `seal`: a new value is pending the customer's consent, or discarded at once when nobody
  may keep it (an agent's pasted card number, an agent's own position).
- `decide`: consent given keeps pending values whose categories it covers; a refusal, a
  time-out or a withdrawal destroys values in its categories.
- `visible`: which values a viewer may see (the customer who owns them while they exist;
  others once kept and allowed by role).
- `consent_summary`: the message's consent state shown with it (`MessageConsent`).

Storage converts documents to and from these types (chat_service/storage/messages.py); the
actions (messages, consent, minors, views) and the renderer only use them.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from bson import Binary

from chat_service.policy.assess import MINOR


class SealState(StrEnum):
    """A sealed value's state; the values are those stored in `secrets[].state`."""

    PENDING = "pending"  # encrypted, waiting for the customer's decision
    KEPT = "kept"  # encrypted, kept under the customer's consent
    DESTROYED = "destroyed"  # refused, expired, withdrawn or past retention: value gone
    DISCARDED = "discarded"  # never kept: nobody may consent to it (an agent's paste)


class MessageConsent(StrEnum):
    """A message's consent state (stored in `consent`, shown in `MessageOut.consent`)."""

    PENDING = "pending"
    GRANTED = "granted"
    REFUSED = "refused"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"
    RETENTION_ENDED = "retention_ended"


class SealedField(StrEnum):
    """What a sealed value that is not a span of the message's text is."""

    LOCATION = "location"
    ATTACHMENT = "attachment"


# The reasons of a decision that destroys values, as `consent_summary` names them.
CONSENT_REASON_PREFIX = "consent "


@dataclass(frozen=True, slots=True)
class Sealed:
    """One sensitive value of a message (see the module docstring)."""

    start: int | None
    end: int | None
    entity_types: tuple[str, ...]
    categories: tuple[str, ...]
    value: Binary | None
    state: SealState
    field: SealedField | None = None  # None: a span of the text

    @property
    def exists(self) -> bool:
        """Whether the value (its ciphertext or key) is still stored."""
        return self.value is not None


@dataclass(frozen=True, slots=True)
class Decided:
    """The outcome of `decide`: the values now, and what was destroyed."""

    sealed: tuple[Sealed, ...]
    destroyed_categories: tuple[str, ...]
    file_destroyed: bool

    def changed(self, before: Sequence[Sealed]) -> bool:
        return self.sealed != tuple(before)


def seal(
    *,
    entity_types: Iterable[str],
    categories: Iterable[str],
    value: Binary | None,
    minor: bool = False,
    start: int | None = None,
    end: int | None = None,
    field: SealedField | None = None,
) -> Sealed:
    """A new sealed value: pending consent if there is a value to keep (the customer's own),
    else discarded (nobody may keep it). A child's values are also in category `minor`."""
    return Sealed(
        start=start,
        end=end,
        entity_types=tuple(entity_types),
        categories=tuple(sorted({*categories, *([MINOR] if minor else [])})),
        value=value,
        state=SealState.PENDING if value is not None else SealState.DISCARDED,
        field=field,
    )


def decide(
    sealed: Sequence[Sealed],
    categories: Collection[str],
    *,
    keep: bool,
    states: Collection[str] = (SealState.PENDING,),
) -> Decided:
    """Consent given (`keep`) keeps the values in `states` whose categories it all covers;
    refused, expired or withdrawn destroys those with any category among `categories`."""
    granted = set(categories)
    out: list[Sealed] = []
    destroyed: list[str] = []
    file_destroyed = False
    for item in sealed:
        cats = set(item.categories)
        affected = item.state in states and (cats <= granted if keep else bool(cats & granted))
        if affected and keep:
            item = replace(item, state=SealState.KEPT)
        elif affected:
            item = replace(item, state=SealState.DESTROYED, value=None)
            destroyed.extend(item.categories)
            file_destroyed = file_destroyed or item.field is SealedField.ATTACHMENT
        out.append(item)
    return Decided(tuple(out), tuple(destroyed), file_destroyed)


def may_see(item: Sealed, *, owner: bool, allowed: Collection[str]) -> bool:
    """The customer who owns a value sees it while it exists; anyone else only once it is
    kept under consent and their role may see every one of its categories (`allowed`)."""
    if not item.exists:
        return False
    return owner or (item.state is SealState.KEPT and set(item.categories) <= set(allowed))


def visible(sealed: Sequence[Sealed], *, owner: bool, allowed: Collection[str]) -> list[int]:
    """The indexes of the values a viewer may see (see `may_see`)."""
    return [i for i, item in enumerate(sealed) if may_see(item, owner=owner, allowed=allowed)]


def consent_summary(
    sealed: Sequence[Sealed], otherwise: MessageConsent | None
) -> MessageConsent | None:
    """A message's consent state: pending while any value waits, granted when every value
    anyone could keep is kept, else `otherwise` (the last decision, or None for a message
    with nothing to consent to)."""
    states = {s.state for s in sealed if s.state is not SealState.DISCARDED}
    if SealState.PENDING in states:
        return MessageConsent.PENDING
    if states == {SealState.KEPT}:
        return MessageConsent.GRANTED
    return otherwise


def consent_after(reason: str) -> MessageConsent:
    """The message consent state a decision's reason ("consent refused", ...) leaves."""
    return MessageConsent(reason.removeprefix(CONSENT_REASON_PREFIX))


def pending_categories(sealed: Iterable[Sealed]) -> list[str]:
    """The categories of the values waiting for consent, sorted."""
    return sorted({c for s in sealed if s.state is SealState.PENDING for c in s.categories})


def kept_categories(sealed: Iterable[Sealed]) -> set[str]:
    return {c for s in sealed if s.state is SealState.KEPT for c in s.categories}


def attachment_seal(sealed: Sequence[Sealed]) -> tuple[int, Sealed] | None:
    """The sealed key of the message's sensitive attachment, with its index."""
    for i, item in enumerate(sealed):
        if item.field is SealedField.ATTACHMENT:
            return i, item
    return None
