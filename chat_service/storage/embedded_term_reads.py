"""`$all` over strings served from the multikey index of the embedded store (embedded_engine.py).

The search query (storage/search.py) is `{"search_terms": {"$all": [terms…]}}`. mongoeco
(4.11.0) translates `$all` into SQL as, per term, an `EXISTS (… json_each(document, …))`
over the document's JSON, and never consults its multikey index for it: every message of
the collection is read and parsed for every search (2.3 s p50 at 12,780 messages).

Yet mongoeco keeps that index: for a single-field index on a field that holds arrays, one
row per distinct array element in its `multikey_entries` table (`collection_id`,
`index_name`, `type_score`, `element_key`, `storage_key`; a string element `s` is stored as
element type "string" with key `s`), written in the same transaction as the document
(insert, update, replace, delete; and for every document when the index is built).
`term_read_sql` asks that table instead: the documents holding every term are the
intersection of each term's entries, found by a covering index.

Exact for what mongoeco's own SQL matches (`_translate_all_condition`):

- several values: documents whose field is an array holding every value as an element;
  the intersection is exactly that (entries are top-level elements only, like `json_each`);
- one value: the same, or a field that *is* that string. So the path is taken for a single
  value only when the engine knows that no document holds a non-array value at the field
  (`ChatStoreEngine._arrays_only`, found once by a scan and kept across single inserts).

Only top-level fields, string values, and an index that holds every document (not
partial, sparse, hidden, nor with a collation); anything else goes the way it went before.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from mongoeco.core.query_plan import AllCondition

# Reading one document in the sort's index order (an index entry and its row) costs about
# a tenth of sorting one matching document (its JSON read for the sort keys); measured.
WALK_COST_RATIO = 10
# The element types mongoeco writes into multikey entries (`_multikey_value_signature`).
ELEMENT_TYPES = ("null", "bool", "number", "string", "datetime", "uuid", "objectid", "bytes")


@dataclass(frozen=True, slots=True)
class TermRead:
    """A `$all` in the multikey table's terms: `sql` (with `params`) is a condition on
    `documents.storage_key`, exact for the `$all` it replaces."""

    sql: str
    params: list[object]


def term_index(indexes: Sequence[Any], field: str) -> Any | None:
    """The multikey index on `field` alone that holds an entry for every document's
    elements, or None."""
    for index in indexes:
        if (
            index.get("multikey")
            and index.get("multikey_physical_name")
            and list(index.get("fields") or []) == [field]
            and not index.get("hidden")
            and not index.get("sparse")
            and not index.get("partial_filter_expression")
            and not index.get("collation")
        ):
            return index
    return None


def string_terms(plan: AllCondition) -> list[str] | None:
    """The `$all` values when the path can serve them: a top-level field, at least one
    value, strings only (in a first-seen order without repeats)."""
    if "." in plan.field or not plan.values or any(type(v) is not str for v in plan.values):
        return None
    return list(dict.fromkeys(str(v) for v in plan.values))


def term_read_sql(
    *,
    collection_id: int,
    index: Any,
    terms: Sequence[str],
    type_score: Callable[[str], int],
    quote_identifier: Callable[[str], str],
) -> TermRead:
    """`documents.storage_key IN (…)` the intersection of each term's index entries."""
    string_score = type_score("string")
    # A string entry is found by its score alone when no other element type shares it
    # (then the index covers the lookup); otherwise its type is checked too.
    shared = any(type_score(t) == string_score for t in ELEMENT_TYPES if t != "string")
    physical = quote_identifier(str(index["multikey_physical_name"]))
    one = (
        f"SELECT storage_key FROM multikey_entries INDEXED BY {physical} "  # noqa: S608
        "WHERE collection_id = ? AND index_name = ? AND type_score = ? AND element_key = ?"
        + (" AND element_type = 'string'" if shared else "")
    )
    params: list[object] = []
    for term in terms:
        params.extend([collection_id, str(index["name"]), string_score, term])
    sql = "documents.storage_key IN (" + " INTERSECT ".join([one] * len(terms)) + ")"
    return TermRead(sql=sql, params=params)


def term_count(
    conn: sqlite3.Connection,
    collection_id: int,
    index: Any,
    term: str,
    type_score: Callable[[str], int],
    quote_identifier: Callable[[str], str],
) -> int:
    """How many documents hold `term` (entries of one element are distinct per document;
    a non-string entry with the same key and score is counted too: an upper bound)."""
    physical = quote_identifier(str(index["multikey_physical_name"]))
    (count,) = conn.execute(
        f"SELECT COUNT(*) FROM multikey_entries INDEXED BY {physical} "  # noqa: S608
        "WHERE collection_id = ? AND index_name = ? AND type_score = ? AND element_key = ?",
        (collection_id, str(index["name"]), type_score("string"), term),
    ).fetchone()
    return int(count)


def term_walk_pays(*, fewest: int, documents: int, window: int) -> bool:
    """Whether a sorted page of a term read (`window` = skip + limit) is better read by
    walking the sort's index than by sorting every match. With `fewest` documents holding
    the rarest term, a walk reads about window * documents / fewest before the page is
    full (matches spread evenly in time); the sort reads every match (at most `fewest`),
    each WALK_COST_RATIO times dearer."""
    return fewest * fewest * WALK_COST_RATIO > window * documents
