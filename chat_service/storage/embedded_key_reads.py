"""A `find` that names its documents by `_id` (equal to a string, or `$in` a list of
strings; alone or as a clause of an `$and`) read through the documents table's primary key.

mongoeco 4.11.0 stores each document under a storage key made from its `_id`
(`repr(canonical_document_id(_id))`, the primary key with the namespace) but answers
`{"_id": {"$in": [...]}}` (`MessageStore.many`, the consent path's read) in SQL with
`json_extract(document, '$._id')` over every document of the collection, and before a
sorted read checks the whole collection for arrays and special values at the sort fields
once more. A string `_id` is found by its storage key instead: the engine loads the
documents under the keys of the named ids (at most one each) and hands them to mongoeco's
own Python path, which matches the whole filter on them (the other conditions, and `_id`
again), sorts, skips, limits and projects them as it does for any query it cannot put in
SQL. A string is only ever equal to a string (no collation: those queries go mongoeco's
way), so no other document can match.
"""

from __future__ import annotations

from collections.abc import Iterator

from mongoeco.core.query_plan import (
    AndCondition,
    DeferredQueryNode,
    ElemMatchCondition,
    EqualsCondition,
    ExprCondition,
    InCondition,
    JsonSchemaCondition,
    NearCondition,
    QueryNode,
    WhereCondition,
)

KEYS_PER_STATEMENT = 500  # far below SQLite's limit on bound parameters


def key_lookup_ids(plan: QueryNode) -> tuple[str, ...] | None:
    """The ids one of which a document's `_id` must equal to match `plan`, when they are all
    strings; None when the plan does not name its documents so (or names others)."""
    if isinstance(plan, EqualsCondition):
        return (plan.value,) if plan.field == "_id" and type(plan.value) is str else None
    if isinstance(plan, InCondition):
        if plan.field == "_id" and all(type(value) is str for value in plan.values):
            return tuple(str(value) for value in plan.values)
        return None
    if isinstance(plan, AndCondition):
        named = [ids for clause in plan.clauses if (ids := key_lookup_ids(clause)) is not None]
        return min(named, key=len) if named else None
    return None


_CONTEXTUAL = (
    ExprCondition,
    WhereCondition,
    JsonSchemaCondition,
    DeferredQueryNode,
    ElemMatchCondition,
    NearCondition,
)


def plan_nodes(plan: QueryNode) -> Iterator[QueryNode]:
    """`plan` and every condition under it (`$and`/`$or`/`$nor` clauses, `$not`'s clause)."""
    yield plan
    clauses = getattr(plan, "clauses", None)
    if isinstance(clauses, tuple):
        for clause in clauses:
            if isinstance(clause, QueryNode):
                yield from plan_nodes(clause)
    clause = getattr(plan, "clause", None)
    if isinstance(clause, QueryNode):
        yield from plan_nodes(clause)


def python_matchable(plan: QueryNode) -> bool:
    """Whether `plan` can be matched on a document without the operation's variables,
    collation or any other context: no `$expr`, `$where`, `$jsonSchema`, `$elemMatch`,
    `$near` or deferred part anywhere in it (an update's or delete's document,
    embedded_engine.py item 9)."""
    return not any(isinstance(node, _CONTEXTUAL) for node in plan_nodes(plan))


def key_batches(keys: list[str]) -> list[list[str]]:
    """`keys` (distinct) in lists of at most `KEYS_PER_STATEMENT`."""
    return [keys[i : i + KEYS_PER_STATEMENT] for i in range(0, len(keys), KEYS_PER_STATEMENT)]
