"""A faster `DocumentCodec.encode` for the embedded store's child process.

mongoeco (4.11.0) turns every document it receives into its internal form, and every
document it stores into JSON, with `DocumentCodec.encode`. That function validates the
whole subtree of every document and array it meets before encoding it (so each value is
checked once for every level above it) and sends every scalar through a chain of
`isinstance` tests, building a numeric wrapper object for each number on the way. A wire
`insert` encodes the document at least four times (the command boundary, the stored row,
the change-outbox row, ...), so this was most of the store's own work per message, and it
grows faster than the document: a message carrying a sensitive value (one more finding
and one secret) cost about 0.8 ms more to insert than a plain one
(tests/benchmarks/consent_overhead.py).

`encode` below gives exactly the same result for every input, in one pass: the values a
JSON document can hold (exact `dict`, `list`, `tuple`, `str`, `int`, `float`, `bool`,
`None`), `datetime` and binary values are encoded here, with the same checks (string keys,
integers within int64); anything else, including every subclass of those types, goes to
mongoeco's own `encode` unchanged. mongoeco's `encode` calls itself through the class
attribute, so once installed its children come back here.
`tests/storage/test_embedded_codec.py` compares the two over many documents.

The same holds for `encode_wire` below, mongoeco's `encode_wire_value` (every document
the store answers with, on its way to the wire: about a third of the store's CPU for the
inbox's read of 200 messages).

`install()` replaces `DocumentCodec.encode` and `encode_wire_value` in the calling
process, and only for the mongoeco version it was checked against: the embedded store's
child calls it before it serves (chat_service/storage/embedded_server.py). Nothing else in
the service imports mongoeco's codec.
"""

from __future__ import annotations

import binascii
import datetime
import logging
from collections.abc import Callable
from importlib.metadata import version
from typing import Any, Final

from bson.binary import Binary as BsonBinary
from mongoeco._types import Binary as MongoecoBinary
from mongoeco.api._async import raw_batch_cursor
from mongoeco.core.bson_scalars import (
    INT64_MAX,
    INT64_MIN,
    BsonScalarOverflowError,
    normalize_utc_bson_datetime,
)
from mongoeco.core.codec import (
    DocumentCodec,
    _InternalBsonArray,
    _InternalBsonBinary,
    _InternalBsonDocument,
)
from mongoeco.wire import bson_bridge
from mongoeco.wire import protocol as wire_protocol

logger = logging.getLogger(__name__)

CHECKED_MONGOECO: Final = "4.11.0"

_STOCK_ENCODE: Final[Callable[[Any], Any]] = DocumentCodec.encode
_DOCUMENTS: Final[frozenset[type]] = frozenset[type]((dict, _InternalBsonDocument))
_ARRAYS: Final[frozenset[type]] = frozenset[type]((list, tuple, _InternalBsonArray))
_BINARIES: Final[frozenset[type]] = frozenset[type](
    (BsonBinary, MongoecoBinary, _InternalBsonBinary)
)
_STOCK_ENCODE_WIRE: Final[Callable[[Any], Any]] = bson_bridge.encode_wire_value
_WIRE_UNCHANGED: Final[frozenset[type]] = frozenset[type](
    (str, int, float, bool, type(None), datetime.datetime)
)
_tagged = DocumentCodec._tagged_value
_is_tagged = DocumentCodec._is_tagged_value


def encode(value: Any) -> Any:
    """`DocumentCodec.encode(value)`, in one pass for the common types."""
    kind = type(value)
    if kind is str or kind is bool or kind is float or value is None:
        return value
    if kind is int:
        if value < INT64_MIN or value > INT64_MAX:
            raise BsonScalarOverflowError("integer exceeds BSON int64 range")
        return value
    if kind in _DOCUMENTS:
        encoded: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError("BSON document keys must be strings")
            encoded[key] = encode(item)
        # A stored document shaped like one of the codec's own tags is wrapped, as mongoeco does.
        return _tagged("dict", encoded) if _is_tagged(encoded) else encoded
    if kind in _ARRAYS:
        return [encode(item) for item in value]
    if kind is datetime.datetime:
        return _tagged("datetime", normalize_utc_bson_datetime(value).isoformat())
    if kind in _BINARIES:
        return _tagged(
            "binary",
            {"hex": binascii.hexlify(value).decode("ascii"), "subtype": value.subtype},
        )
    return _STOCK_ENCODE(value)


def encode_wire(value: Any) -> Any:
    """`bson_bridge.encode_wire_value(value)`: a document the store sends back, turned
    into PyMongo's BSON types, in one pass for the common types. mongoeco's function sends
    every value through about fifteen `isinstance` tests; the values a stored message or
    conversation holds (exact `str`, `int`, `float`, `bool`, `None`, `datetime`) pass
    through it unchanged, and exact `dict` and `list` are walked the same way. Anything
    else goes to mongoeco's own function, whose children come back here once installed."""
    kind = type(value)
    if kind in _WIRE_UNCHANGED:
        return value
    if kind is dict:
        return {key: encode_wire(item) for key, item in value.items()}
    if kind is list:
        return [encode_wire(item) for item in value]
    return _STOCK_ENCODE_WIRE(value)


def stock_encode_wire(value: Any) -> Any:
    """mongoeco's own `encode_wire_value` (for comparison)."""
    return _STOCK_ENCODE_WIRE(value)


def stock_encode(value: Any) -> Any:
    """mongoeco's own `DocumentCodec.encode` (for comparison); children are encoded by
    whatever `DocumentCodec.encode` currently is."""
    return _STOCK_ENCODE(value)


def install() -> bool:
    """Use `encode` for `DocumentCodec.encode` in this process; False (and a warning) when
    the installed mongoeco is not the version it was checked against."""
    found = version("mongoeco")
    if found != CHECKED_MONGOECO:
        logger.warning(
            "embedded store: mongoeco %s is not %s; keeping its own document encoder",
            found,
            CHECKED_MONGOECO,
        )
        return False
    DocumentCodec.encode = staticmethod(encode)  # type: ignore[method-assign,assignment]
    # The wire's encoder, where mongoeco's modules look it up (each imported it by name).
    for module in (bson_bridge, wire_protocol, raw_batch_cursor):
        module.encode_wire_value = encode_wire  # type: ignore[attr-defined]  # mongoeco's own name
    return True
