"""The embedded store's document encoder gives mongoeco's result for every input: the
same JSON for every value, the same error for every value mongoeco refuses; and a store
child (which installs it) gives back every BSON type as stored."""

from __future__ import annotations

import datetime
import enum
import json
import random
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
from bson import (
    BSON,
    SON,
    Binary,
    Code,
    Decimal128,
    Int64,
    MaxKey,
    MinKey,
    ObjectId,
    Regex,
    Timestamp,
)
from mongoeco._types import Binary as MongoecoBinary
from mongoeco.core.bson_scalars import BsonInt32, BsonInt64, BsonScalarOverflowError
from mongoeco.core.codec import DocumentCodec
from pymongo.asynchronous.collection import AsyncCollection

from chat_service.storage import embedded_codec
from chat_service.storage.embedded_codec import encode, encode_wire, stock_encode, stock_encode_wire
from tests.helpers.messages import stored_message

INT64_MAX = 2**63 - 1
INT64_MIN = -(2**63)


class Colour(enum.StrEnum):
    RED = "red"


class Level(enum.IntEnum):
    HIGH = 3


@pytest.fixture(autouse=True)
def _stock_codec_in_this_process() -> Iterator[None]:
    # The comparison is only meaningful while mongoeco's own encoder is in place here.
    assert DocumentCodec.encode is not encode
    yield
    assert DocumentCodec.encode is not encode


def as_json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=False)


def outcome(function: Callable[[Any], Any], value: Any) -> tuple[str, str]:
    try:
        return "ok", as_json(function(value))
    except Exception as exc:  # the error is part of the result being compared
        return type(exc).__name__, str(exc)


SCALARS: list[Any] = [
    "",
    "plain",
    "中文 and émoji 🙂",
    "$mongoeco",
    0,
    -1,
    2**31 - 1,
    2**31,
    -(2**31) - 1,
    INT64_MAX,
    INT64_MIN,
    0.0,
    -2.5,
    1e300,
    float("inf"),
    float("nan"),
    True,
    False,
    None,
    datetime.datetime(2026, 11, 26, 19, 30, 1, 123456),  # noqa: DTZ001  # naive, as stored
    datetime.datetime(2026, 11, 26, 19, 30, 1, 999999, tzinfo=datetime.UTC),
    datetime.datetime(2026, 3, 1, 2, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=8))),
    Binary(b"\x00\x01\xff", 0),
    Binary(uuid.uuid4().bytes, 4),
    Binary(b"\x02" + bytes(range(40)), 6),
    MongoecoBinary(b"abc", 5),
    b"raw bytes",
    bytearray(b"mutable"),
    ObjectId(),
    Decimal128("1.10"),
    Decimal("-0.000"),
    Int64(7),
    BsonInt32(5),
    BsonInt64(2**40),
    Regex("^a.c$", "i"),
    Timestamp(1_700_000_000, 3),
    uuid.uuid4(),
    MinKey(),
    MaxKey(),
    Code("function () {}"),
    Colour.RED,
    Level.HIGH,
]


def random_value(rng: random.Random, depth: int) -> Any:
    roll = rng.random()
    if depth < 4 and roll < 0.2:
        return {
            rng.choice(["a", "b", "sub", "$mongoeco", "type", "value", "x.y", "中"]) + str(i): (
                random_value(rng, depth + 1)
            )
            for i in range(rng.randint(0, 4))
        }
    if depth < 4 and roll < 0.35:
        items = [random_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
        return tuple(items) if rng.random() < 0.2 else items
    if depth < 4 and roll < 0.4:
        return SON([("k", random_value(rng, depth + 1)), ("a", 1)])
    if depth < 4 and roll < 0.43:
        return OrderedDict([("z", random_value(rng, depth + 1))])
    return rng.choice(SCALARS)


def test_when_documents_of_every_shape_are_encoded_then_the_result_is_mongoecos() -> None:
    rng = random.Random(20261126)
    documents = [{"_id": i, "v": random_value(rng, 0)} for i in range(3000)]
    documents += [stored_message("conv_1", 41, sensitive=s) for s in (False, True)]
    documents += [{"value": scalar} for scalar in SCALARS]
    for document in documents:
        assert outcome(encode, document) == outcome(stock_encode, document), document


def test_when_a_document_is_already_internal_then_the_result_is_mongoecos() -> None:
    # What the engine serialises: documents past mongoeco's command boundary.
    rng = random.Random(7)
    for document in [stored_message("conv_1", 41, sensitive=True)] + [
        {"_id": i, "v": random_value(rng, 0)} for i in range(500)
    ]:
        internal = DocumentCodec.to_internal(document)
        assert outcome(encode, internal) == outcome(stock_encode, internal)


def wire_outcome(function: Callable[[Any], Any], value: Any) -> tuple[str, str]:
    """What a wire encoder gives: the BSON bytes of the document (types included) and the
    Python types of its values, or the error."""
    try:
        encoded = function(value)
        return "ok", repr((BSON.encode(encoded), types_of(encoded)))
    except Exception as exc:  # the error is part of the result being compared
        return type(exc).__name__, str(exc)


def types_of(value: Any) -> Any:
    if isinstance(value, dict):
        return (type(value).__name__, [(k, types_of(v)) for k, v in value.items()])
    if isinstance(value, list):
        return [types_of(v) for v in value]
    return type(value).__name__


def test_when_stored_documents_go_to_the_wire_then_the_result_is_mongoecos() -> None:
    # What the store answers with: documents as it decodes them from storage.
    rng = random.Random(20261207)
    documents = [stored_message("conv_1", 41, sensitive=s) for s in (False, True)]
    documents += [{"_id": i, "v": random_value(rng, 0)} for i in range(3000)]
    documents += [{"value": scalar} for scalar in SCALARS]
    checked = 0
    for document in documents:
        if outcome(stock_encode, document)[0] != "ok":
            continue  # a value mongoeco refuses is never stored, so never sent
        stored = DocumentCodec.decode(stock_encode(document))
        for form in (stored, DocumentCodec.to_internal(document)):
            assert wire_outcome(encode_wire, form) == wire_outcome(stock_encode_wire, form), form
        checked += 1
    assert checked > 2500


def test_when_a_document_looks_like_the_codecs_own_tag_then_it_is_wrapped_as_mongoeco_does() -> (
    None
):
    tag_shaped = {"$mongoeco": {"type": "datetime", "value": "2026-01-01T00:00:00"}}
    encoded = encode({"note": tag_shaped})
    assert encoded == stock_encode({"note": tag_shaped})
    assert encoded["note"]["$mongoeco"]["type"] == "dict"  # stored as data, not as a date
    assert DocumentCodec.decode(encoded) == {"note": tag_shaped}


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ({"n": INT64_MAX + 1}, BsonScalarOverflowError),
        ({"deep": [{"n": INT64_MIN - 1}]}, BsonScalarOverflowError),
        ({1: "numeric key"}, TypeError),
        ({"inner": {("a",): 1}}, TypeError),
        ({"tags": {"a", "b"}}, TypeError),
        ({"tags": [frozenset({1})]}, TypeError),
        ({"what": object()}, None),  # mongoeco passes an unknown object through; so do we
    ],
)
def test_when_mongoeco_refuses_a_value_then_the_same_error_is_raised(
    value: Any, error: type[Exception] | None
) -> None:
    ours, theirs = outcome(encode, value), outcome(stock_encode, value)
    if error is None:
        assert encode(value) == stock_encode(value)
    else:
        assert ours == theirs
        assert ours[0] == error.__name__


def test_when_another_mongoeco_version_is_installed_then_its_own_encoder_is_kept(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(embedded_codec, "version", lambda _name: "4.12.0")
    assert embedded_codec.install() is False
    assert DocumentCodec.encode is not encode
    assert "mongoeco 4.12.0 is not 4.11.0" in caplog.text


async def test_when_every_bson_type_is_stored_then_the_store_gives_it_back(
    collection: AsyncCollection[dict[str, Any]],
) -> None:
    when = datetime.datetime(2026, 11, 26, 19, 30, 1, 123000, tzinfo=datetime.UTC)
    stored = {
        "_id": "every-type",
        "text": "中文 and émoji 🙂",
        "small": 7,
        "large": Int64(2**40),
        "ratio": 0.25,
        "flag": True,
        "nothing": None,
        "when": when,
        "secret": Binary(b"\x02" + bytes(range(60)), 6),
        "uuid": Binary(uuid.uuid4().bytes, 4),
        "oid": ObjectId(),
        "price": Decimal128("19.99"),
        "pattern": Regex("^a", "i"),
        "nested": {"list": [1, "two", {"three": [when]}], "empty": {}, "none": []},
        "tag_shaped": {"$mongoeco": {"type": "datetime", "value": "2026-01-01T00:00:00"}},
    }
    await collection.insert_one(stored)
    found = await collection.find_one({"_id": "every-type"})
    assert found is not None
    assert {k: v for k, v in found.items() if k != "pattern"} == {
        k: v for k, v in stored.items() if k != "pattern"
    }
    assert (found["pattern"].pattern, found["pattern"].flags) == ("^a", Regex("^a", "i").flags)
    # Found by what it holds, through the indexes' JSON as well as the documents'.
    await collection.create_index("when")
    assert await collection.count_documents({"when": when, "nested.list": "two"}) == 1
