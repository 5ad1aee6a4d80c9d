"""Sorted reads served from a compound index of the embedded store (embedded_engine.py).

mongoeco (4.11.0) orders a sorted `find` in SQL by each sort field's BSON type bucket (a
CASE over `json_type`) and then its value, and filters with `json_type`/`json_extract`
expressions. Neither matches the expressions of the physical index it builds for a compound
index (`db_name, coll_name`, then per field its tagged type and its value), so SQLite reads
every document of the collection and sorts them in a temporary B-tree, even with `hint`.
Before that it scans the filtered documents once more to check the sort fields for arrays
and special numbers. A page of 50 audit entries cost p50 376 ms at 20,000 entries.

`plan_sorted_read` writes the same read in the index's own terms, when that is exact:

- the filter's top-level equalities on a string (`actor.id`, `customer_id`) cover the
  index's leading fields and the sort (ascending or descending throughout) starts with the
  index's next fields;
- every such field holds, in every document of the collection, a string, or for the
  sort fields a string or a datetime, the same kind in all documents (the engine keeps this
  known across inserts; `ChatStoreEngine._field_kind`). Then each equality equals "tagged
  type '' and value v" in the index's terms, and ordering by tagged type then value gives
  mongoeco's own order (one bucket; its SQL compares the values the same way);
- a range of the filter on the first sort field (`$gt`/`$gte`/`$lt`/`$lte`, or the keyset
  cursor's `$or` of `<` and `=`) becomes a range of the index.

The whole translated filter stays in the WHERE clause, so the conditions added from the
index only narrow what SQLite reads, never what matches.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mongoeco.core.query_plan import (
    AndCondition,
    EqualsCondition,
    GreaterThanCondition,
    GreaterThanOrEqualCondition,
    LessThanCondition,
    LessThanOrEqualCondition,
    OrCondition,
    QueryNode,
)
from mongoeco.engines.sqlite_query import index_expressions_sql

EMPTY = "empty"  # the collection holds no document
STRING = "string"
DATETIME = "datetime"
_RANGE_OPERATORS: dict[type[QueryNode], str] = {
    GreaterThanCondition: ">",
    GreaterThanOrEqualCondition: ">=",
    LessThanCondition: "<",
    LessThanOrEqualCondition: "<=",
}


@dataclass(frozen=True, slots=True)
class SortedRead:
    """A read in the index's terms: `FROM documents INDEXED BY {index}`, `where` (with
    `params`) added to mongoeco's own translated filter, and `order` for its ORDER BY."""

    index: str
    where: str
    params: list[object]
    order: str


def value_kind(value: Any) -> str:
    """The kind of a stored value this module can order by: string, datetime, or other."""
    if type(value) is str:
        return STRING
    if isinstance(value, datetime):
        return DATETIME
    return "other"


def _clauses(plan: QueryNode) -> tuple[QueryNode, ...]:
    return plan.clauses if isinstance(plan, AndCondition) else (plan,)


def _string_equalities(plan: QueryNode) -> dict[str, str]:
    out: dict[str, str] = {}
    for clause in _clauses(plan):
        if isinstance(clause, AndCondition):
            out.update(_string_equalities(clause))
        elif isinstance(clause, EqualsCondition) and type(clause.value) is str:
            out.setdefault(clause.field, clause.value)
    return out


def _bounds(
    plan: QueryNode, field: str, encode: Callable[[Any], str | None]
) -> list[tuple[str, str]]:
    """(operator, encoded datetime) bounds on `field` that every match of `plan` meets."""
    out: list[tuple[str, str]] = []
    for clause in _clauses(plan):
        if isinstance(clause, AndCondition):
            out.extend(_bounds(clause, field, encode))
        elif type(clause) in _RANGE_OPERATORS and getattr(clause, "field", None) == field:
            encoded = encode(getattr(clause, "value", None))
            if encoded is not None:
                out.append((_RANGE_OPERATORS[type(clause)], encoded))
        elif isinstance(clause, OrCondition):
            out.extend(_or_bound(clause, field, encode))
    return out


def _or_bound(
    plan: OrCondition, field: str, encode: Callable[[Any], str | None]
) -> list[tuple[str, str]]:
    """An `$or` whose every branch bounds `field` from above (`<`, `<=` or `=`): `<=` the
    highest of them."""
    highest: str | None = None
    for branch in plan.clauses:
        found: str | None = None
        for clause in _clauses(branch):
            if getattr(clause, "field", None) != field:
                continue
            if isinstance(clause, (LessThanCondition, LessThanOrEqualCondition, EqualsCondition)):
                found = encode(clause.value)
                break
        if found is None:
            return []
        highest = found if highest is None or found > highest else highest
    return [] if highest is None else [("<=", highest)]


def plan_sorted_read(
    *,
    plan: QueryNode,
    sort: Sequence[tuple[str, int]],
    indexes: Sequence[Any],
    kind_of: Callable[[str], str | None],
    encode_datetime: Callable[[Any], str | None],
    quote_identifier: Callable[[str], str],
) -> SortedRead | None:
    """The read served from the best-fitting compound index (the most equality fields in
    front), or None when no index serves it exactly (see the module)."""
    if not sort or any(direction not in (1, -1) for _, direction in sort):
        return None
    equalities = _string_equalities(plan)
    best: tuple[int, Any] | None = None
    for index in indexes:
        if (
            not index.get("physical_name")
            or index.get("hidden")
            or index.get("sparse")
            or index.get("partial_filter_expression")
            or index.get("collation")
        ):
            continue
        key = [(str(field), int(direction)) for field, direction in index["key"]]
        prefix = 0
        while prefix < len(key) and key[prefix][0] in equalities:
            prefix += 1
        rest = key[prefix:]
        if not rest or rest[0][0] != sort[0][0]:
            continue
        flip = sort[0][1] != rest[0][1]
        matched = 0
        for (field, direction), (sort_field, sort_direction) in zip(rest, sort, strict=False):
            if field != sort_field or (direction != sort_direction) != flip:
                break
            matched += 1
        if matched == 0:
            continue
        if best is None or prefix > best[0]:
            best = (prefix, (index, key, flip))
    if best is None:
        return None
    prefix, (index, key, _flip) = best
    if any(kind_of(field) not in (STRING, EMPTY) for field, _ in key[:prefix]):
        return None
    sort_kinds = [kind_of(field) for field, _ in sort]
    if any(kind not in (STRING, DATETIME, EMPTY) for kind in sort_kinds):
        return None
    where: list[str] = []
    params: list[object] = []
    for field, _ in key[:prefix]:
        type_sql, value_sql = index_expressions_sql(field)
        where.append(f"{type_sql} = '' AND {value_sql} = ?")
        params.append(equalities[field])
    first, first_kind = sort[0][0], sort_kinds[0]
    if first_kind == DATETIME:
        bounds = _bounds(plan, first, encode_datetime)
        if bounds:
            type_sql, value_sql = index_expressions_sql(first)
            where.append(f"{type_sql} = 'datetime'")
            for operator, encoded in bounds:
                where.append(f"{value_sql} {operator} ?")
                params.append(encoded)
    order: list[str] = []
    for field, direction in sort:
        word = "ASC" if direction == 1 else "DESC"
        type_sql, value_sql = index_expressions_sql(field)
        order.append(f"{type_sql} {word}, {value_sql} {word}")
    return SortedRead(
        index=quote_identifier(str(index["physical_name"])),
        where=" AND ".join(where) if where else "1",
        params=params,
        order=" ORDER BY " + ", ".join(order),
    )
