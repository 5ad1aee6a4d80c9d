"""The rules of sealed values (chat_service/sealing.py), and their stored form."""

from __future__ import annotations

from bson import Binary

from chat_service.protocol.events import FindingOut
from chat_service.sealing import (
    MessageConsent,
    Sealed,
    SealedField,
    SealState,
    attachment_seal,
    consent_after,
    consent_summary,
    decide,
    kept_categories,
    pending_categories,
    seal,
    visible,
)
from chat_service.storage.findings import finding_doc
from chat_service.storage.messages import SecretDoc, sealed_from_doc, sealed_to_doc

CIPHERTEXT = Binary(b"\x01" * 40, 6)


def sealed(*categories: str, state: SealState, field: SealedField | None = None) -> Sealed:
    value = None if state in (SealState.DESTROYED, SealState.DISCARDED) else CIPHERTEXT
    return Sealed(0, 5, ("X",), categories, value, state, field)


def test_when_a_customer_value_is_sealed_then_it_is_pending_and_a_childs_is_minor() -> None:
    item = seal(
        start=3, end=16, entity_types=["CREDIT_CARD"], categories=["financial"], value=CIPHERTEXT
    )
    assert item.state is SealState.PENDING and item.categories == ("financial",)
    child = seal(
        entity_types=["GPS_COORDINATES"],
        categories=["precise_location"],
        value=CIPHERTEXT,
        minor=True,
        field=SealedField.LOCATION,
    )
    assert child.categories == ("minor", "precise_location")
    assert (child.start, child.end, child.field) == (None, None, SealedField.LOCATION)


def test_when_nothing_may_be_kept_then_the_sealed_value_is_discarded() -> None:
    item = seal(start=0, end=5, entity_types=["CREDIT_CARD"], categories=["financial"], value=None)
    assert item.state is SealState.DISCARDED and not item.exists


def test_when_consent_is_given_then_only_values_it_fully_covers_are_kept() -> None:
    values = [
        sealed("financial", state=SealState.PENDING),
        sealed("financial", "health", state=SealState.PENDING),
        sealed("financial", state=SealState.DISCARDED),
    ]
    decided = decide(values, {"financial"}, keep=True)
    assert [s.state for s in decided.sealed] == [
        SealState.KEPT,
        SealState.PENDING,
        SealState.DISCARDED,
    ]
    assert decided.destroyed_categories == () and decided.changed(values)
    assert decided.sealed[0].value == CIPHERTEXT


def test_when_consent_is_refused_then_values_sharing_a_category_are_destroyed() -> None:
    values = [
        sealed("financial", "health", state=SealState.PENDING, field=SealedField.ATTACHMENT),
        sealed("precise_location", state=SealState.PENDING),
        sealed("health", state=SealState.KEPT),
    ]
    decided = decide(values, {"health"}, keep=False)
    assert [s.state for s in decided.sealed] == [
        SealState.DESTROYED,
        SealState.PENDING,
        SealState.KEPT,  # only pending values, unless a withdrawal names kept ones
    ]
    assert decided.sealed[0].value is None and decided.file_destroyed
    assert decided.destroyed_categories == ("financial", "health")


def test_when_consent_is_withdrawn_then_kept_values_go_and_nothing_else_changes() -> None:
    values = [sealed("health", state=SealState.KEPT), sealed("financial", state=SealState.KEPT)]
    withdrawn = decide(values, {"health"}, keep=False, states=(SealState.KEPT, SealState.PENDING))
    assert [s.state for s in withdrawn.sealed] == [SealState.DESTROYED, SealState.KEPT]
    assert not withdrawn.file_destroyed
    again = decide(withdrawn.sealed, {"health"}, keep=False, states=(SealState.KEPT,))
    assert not again.changed(withdrawn.sealed)  # idempotent


def test_when_a_viewer_is_not_the_owner_then_only_kept_allowed_values_are_visible() -> None:
    values = [
        sealed("financial", state=SealState.PENDING),
        sealed("financial", state=SealState.KEPT),
        sealed("health", state=SealState.KEPT),
        sealed("financial", state=SealState.DESTROYED),
    ]
    assert visible(values, owner=True, allowed=()) == [0, 1, 2]
    assert visible(values, owner=False, allowed={"financial"}) == [1]
    assert visible(values, owner=False, allowed=()) == []


def test_when_values_are_pending_kept_or_gone_then_the_message_consent_says_so() -> None:
    pending = [sealed("a", state=SealState.PENDING), sealed("b", state=SealState.KEPT)]
    kept = [sealed("a", state=SealState.KEPT), sealed("b", state=SealState.DISCARDED)]
    gone = [sealed("a", state=SealState.DESTROYED), sealed("b", state=SealState.KEPT)]
    refused = MessageConsent.REFUSED
    assert consent_summary(pending, refused) is MessageConsent.PENDING
    assert consent_summary(kept, refused) is MessageConsent.GRANTED
    assert consent_summary(gone, refused) is refused
    assert consent_summary([sealed("a", state=SealState.DISCARDED)], None) is None
    assert consent_after("consent retention_ended") is MessageConsent.RETENTION_ENDED


def test_when_categories_are_asked_then_pending_and_kept_ones_are_told_apart() -> None:
    values = [
        sealed("health", "minor", state=SealState.PENDING),
        sealed("financial", state=SealState.KEPT, field=SealedField.ATTACHMENT),
    ]
    assert pending_categories(values) == ["health", "minor"]
    assert kept_categories(values) == {"financial"}
    assert attachment_seal(values) == (1, values[1])
    assert attachment_seal(values[:1]) is None


def test_when_a_sealed_value_is_stored_then_the_document_keeps_todays_keys() -> None:
    text_secret: SecretDoc = {
        "start": 8,
        "end": 21,
        "entity_types": ["CREDIT_CARD"],
        "categories": ["financial"],
        "value": CIPHERTEXT,
        "state": "pending",
    }
    location: SecretDoc = {
        "field": "location",
        "start": None,
        "end": None,
        "entity_types": ["GPS_COORDINATES"],
        "categories": ["precise_location"],
        "value": None,
        "state": "discarded",
    }
    for doc in (text_secret, location):
        back = sealed_to_doc(sealed_from_doc(doc))
        assert back == doc and list(back) == list(doc)
        assert type(back["state"]) is str


def test_when_a_finding_is_stored_then_it_has_the_keys_and_values_the_wire_model_had() -> None:
    finding = FindingOut(
        entity_type="CREDIT_CARD", start=8, end=21, score=0.95, category="financial", sensitive=True
    )
    stored = finding_doc(finding)
    assert stored == finding.model_dump() and list(stored) == list(finding.model_dump())
    assert FindingOut.model_validate(stored) == finding


def test_when_an_attachment_key_is_stored_then_the_field_comes_first_as_before() -> None:
    item = seal(
        field=SealedField.ATTACHMENT,
        entity_types=["CN_RESIDENT_ID"],
        categories=["identity_document"],
        value=CIPHERTEXT,
        minor=True,
    )
    doc = sealed_to_doc(item)
    assert list(doc) == [
        "field",
        "start",
        "end",
        "entity_types",
        "categories",
        "value",
        "state",
    ]
    assert doc["field"] == "attachment" and doc["categories"] == ["identity_document", "minor"]
    assert sealed_from_doc(doc) == item
