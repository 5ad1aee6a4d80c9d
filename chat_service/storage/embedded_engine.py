"""mongoeco's SQLite engine without the per-write costs the chat service does not need.

The wire `insert` command reaches mongoeco's single-document insert, which (4.11.0)
checks a new document against the whole collection twice:

1. `_id`: it decodes every stored document to compare `_id` values by BSON equality,
   even when the new `_id` holds no number. Only numbers can be BSON-equal while stored
   under different keys (1, 1.0 and Int64(1)); any other `_id` is found by its storage
   key, the primary key lookup done just before. mongoeco's own batch insert skips the
   scan for such ids; this engine does the same on the single path.
2. Unique indexes: whether any stored document has an array at the indexed field is a
   full scan (`json_type(...) = 'array'`). mongoeco caches the answer but drops the cache
   on every write, so each insert scans again. Here the answer is kept across inserts:
   an insert can only turn "no array" into "an array", which is checked on the inserted
   document itself. An update or delete keeps them where it cannot change them (below,
   "Kept across writes"); any other write (index or namespace change, bulk insert, an
   upsert, a write whose changes cannot be read) drops the kept answers for its
   collection, as mongoeco drops its own.

Without these, an insert costs time in proportion to the collection: about 290 ms per
message at 3,000 messages and seconds at 20,000 (tests/benchmarks/store_insert.py).

3. Change delivery: after every write mongoeco hands the new change-outbox entries to its
   change-stream hub, and for that takes a lease (two SQLite commits) and starts and joins
   a heartbeat thread, whether or not any change stream is open. Nothing in the service
   opens one, and mongoeco's wire server rejects `$changeStream` anyway, so no client of
   this store could receive those events; this engine skips the hand-over. The outbox is
   still written and cut to `change_outbox_max_entries` on each write, so it does not
   grow. Measured with tests/benchmarks/chat_throughput.py: the store's `insert_one` rate
   rose from about 200 to 250-330 per second, and that thread, which has to wait for a
   free core, had made each write cost more whenever the server and the detection worker
   were busy on the same two cores.

4. Sorted reads: a `find` sorted by the fields of a compound index, filtered by string
   equalities on its leading fields (the privacy officer's audit pages and CSV export), is
   read through that index instead of the whole collection (embedded_sorted_reads.py). For
   that the engine keeps, per collection and field, which kind of value (string, datetime)
   every document holds there, found once by a scan and kept across single inserts like the
   array answers above.

   Kept across writes: a delete cannot add an array or a kind, so every answer stays (a
   field of mixed kinds may become uniform again, or "an array" false: keeping the old
   answer is only slower, never wrong). An update (`update_one/many`,
   `find_one_and_update`, with known operators and no upsert) keeps every answer for the
   fields it does not touch, judged by top-level field: `{"$set": {"consent": ...}}`
   keeps what is known of `created_at` or `search_terms`. A field it `$set`s whole is
   noted from the new value as an insert's would be (a re-mask's new `search_terms` list
   keeps "arrays only"); a field written any other way (`$unset`, `$push`, `$inc`,
   `$rename`, a dotted path under it) is forgotten. A replacement is noted as the insert
   of the new document. mongoeco's own per-field answers (`traverses_array:<field>`,
   `tagged_type:<field>:<type>`...) are kept across such an update too, unless a written
   field's name appears in them. On `messages`, every consent decision, re-mask and edit used to
   make the next search or sorted read scan every message (tests/storage/
   test_embedded_feature_memory.py counts those scans).

5. Term reads: `{"search_terms": {"$all": [terms…]}}` (the message search) is answered from
   mongoeco's own multikey index entries instead of a `json_each` scan of every document
   (embedded_term_reads.py). For a single term that needs to know that no document holds a
   non-array value at the field, kept like the kinds above. Before a sorted read mongoeco
   checks the sort fields of the matching documents for arrays and special numbers, running
   the filter once more in its own SQL (the `json_each` scan again); when every document
   holds a string or a datetime at each sort field (the kinds above), there is nothing to
   find and the check is skipped. A `$in` of strings on a field that leads an index and
   holds a string in every document (an agent's conversations) is also given in that
   index's terms, beside mongoeco's own condition, so SQLite may read that index.

6. Multikey entries by document: every insert, update or delete of a document in a
   collection with a multikey index first deletes that document's entries
   (`WHERE collection_id = ? AND storage_key = ?`), but mongoeco's only index on the entries
   leads with the index name and the element, so that delete reads every entry of the
   collection: about 14 per message with the `search_terms` index, 3.6 ms per message
   at 2,500 messages and growing with the collection. The engine adds the index mongoeco
   already has for its scalar entries, `(collection_id, storage_key)`, when it connects
   (once per file; seconds on a large existing file).

7. One physical index for all multikey entries, one for all scalar entries: mongoeco gives
   every multikey MongoDB index its own SQLite index on the shared `multikey_entries`
   table, and every single-field index its own on `scalar_index_entries`, each over the
   same columns `(collection_id, index_name, type_score, element_key, storage_key)` and
   each holding every collection's entries. With the server's indexes that was 12
   identical indexes on `multikey_entries` and 17 on `scalar_index_entries`, so each
   `search_terms` entry of a message (about ten per message) was written thirteen times
   and the message's `conv_seq` entry eighteen: a commit wrote about 150 pages instead of
   about 20, and the store's insert rate fell from about 250 to about 100 per second
   (tests/benchmarks/README.md, chat_throughput.py). The entries carry their
   `collection_id` and `index_name` as leading columns, so one index answers every lookup
   the many did. The engine points every index record at one shared index per table
   (`MULTIKEY_ENTRIES_INDEX`, `SCALAR_ENTRIES_INDEX`) and drops mongoeco's copies when it
   connects (older files) and after each index it creates (mongoeco makes a copy for it
   first); a SQLite authorizer turns mongoeco's `DROP INDEX` of a shared index (when a
   MongoDB index, collection or database is dropped) into nothing, as other indexes
   read it.

8. Key reads: a `find` whose filter names its documents by string `_id`s (equality or
   `$in`, alone or in an `$and` with other conditions: `MessageStore.many` on the consent
   path) loads those documents by their storage key (the primary key) and lets mongoeco's
   own Python path match the rest of the filter, sort and project them, instead of
   reading every document of the collection in SQL (embedded_key_reads.py).

9. Updates and deletes by key: mongoeco reads the document an `update_one`,
   `find_one_and_update` or `delete_one` acts on through its storage key only when the
   filter is `_id` alone; `{"_id": id, "last_seq": {"$exists": true}}` went to SQL over
   every document of the collection, and before it three more scans for decimals at the
   other condition's field (the update writes that field, so the answer is never kept).
   When the filter names its documents by string `_id`s (as item 8) and holds nothing
   that needs the operation's context (`$expr`, `$where`, `$jsonSchema`, `$elemMatch`,
   `$near`), those documents are loaded by key and the first that matches, by key, is
   the one written. A `$max` of a conversation at 2,000 conversations cost the store
   15-19 ms of CPU, now 5.5-6.3 ms, about as much as a message insert (4.5-5.9 ms;
   tests/benchmarks/store_conversation_update.py, docs/inbox.md "Reads").

10. Checkpoints off the write path: the engine's connections never copy the write-ahead
   log into the database file at a commit; a thread does (embedded_checkpoints.py).

11. Decoding: for every stored document that holds a tagged value (a datetime: every
   message and conversation) mongoeco asks `inspect.signature` whether its codec's
   `decode` takes `preserve_bson_wrappers`, an answer that cannot change while the engine
   lives. The engine finds it once. That lookup was about a fifth of the store's CPU for
   the inbox's first read (200 conversations and their messages: 400 documents).
"""

from __future__ import annotations

import dataclasses
import inspect
import sqlite3
import threading
from dataclasses import dataclass
from typing import Any

from mongoeco.core.codec import DocumentCodec
from mongoeco.core.filtering import QueryEngine
from mongoeco.core.identity import id_contains_numeric_value
from mongoeco.core.query_plan import AllCondition, EqualsCondition, InCondition, QueryNode
from mongoeco.engines._sqlite_connection import sqlite_read_scope
from mongoeco.engines._sqlite_fast_paths import build_select_statement_with_custom_order
from mongoeco.engines.semantic_core import FiniteDocumentScan
from mongoeco.engines.sqlite import SQLiteEngine
from mongoeco.engines.sqlite_query import (
    index_expressions_sql,
    json_path_for_field,
    type_expression_sql,
)

from chat_service.storage.embedded_checkpoints import (
    CHECKPOINT_INTERVAL_SECS,
    WalCheckpointer,
    no_automatic_checkpoints,
)
from chat_service.storage.embedded_key_reads import (
    key_batches,
    key_lookup_ids,
    plan_nodes,
    python_matchable,
)
from chat_service.storage.embedded_sorted_reads import (
    DATETIME,
    EMPTY,
    STRING,
    SortedRead,
    plan_sorted_read,
    value_kind,
)
from chat_service.storage.embedded_term_reads import (
    string_terms,
    term_count,
    term_index,
    term_read_sql,
    term_walk_pays,
)

type _FeatureKey = tuple[str, str, str]

MULTIKEY_ENTRIES_INDEX = "chat_multikey_entries_by_element"
SCALAR_ENTRIES_INDEX = "chat_scalar_entries_by_element"
# mongoeco's own per-index copies of them (item 7), by the prefixes of its generated names.
_ENTRY_INDEX_COPIES = (("multikey_entries", "mkidx_*"), ("scalar_index_entries", "scidx_*"))
_ENTRY_COLUMNS = "(collection_id, index_name, type_score, element_key, storage_key)"
_SHARED_ENTRY_INDEXES = frozenset((MULTIKEY_ENTRIES_INDEX, SCALAR_ENTRIES_INDEX))


def _keep_shared_entry_indexes(
    action: int, name: str | None, table: str | None, database: str | None, trigger: str | None
) -> int:
    """SQLite authorizer: a `DROP INDEX` of a shared entry index compiles to nothing (a
    dropped MongoDB index names it, but other indexes read it; item 7)."""
    if action == sqlite3.SQLITE_DROP_INDEX and name in _SHARED_ENTRY_INDEXES:
        return sqlite3.SQLITE_IGNORE
    return sqlite3.SQLITE_OK


def _has_term_read(plan: QueryNode) -> bool:
    """Whether `plan` holds a `$all` anywhere (a term read, when served from the index)."""
    return any(isinstance(node, AllCondition) for node in plan_nodes(plan))


def _value_at(document: Any, field: str) -> tuple[bool, Any]:
    """The value at a dotted path as SQLite's JSON path `$.a.b` / `$.a[0]` reads it."""
    current = document
    for part in field.split("."):
        if isinstance(current, dict) and part in current:
            current = current[part]
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            return False, None
    return True, current


@dataclass(frozen=True, slots=True)
class _WrittenFields:
    """What an update's operators write, by top-level field: `set_values`, fields `$set`
    whole (to these values); `touched`, fields written any other way or below the top."""

    set_values: dict[str, Any]
    touched: frozenset[str]


@dataclass(frozen=True, slots=True)
class _Replacement:
    document: Any


_DELETE = "delete"


def _written_fields(update_spec: Any) -> _WrittenFields | None:
    """The fields an operator update writes; None when that cannot be read from it (a
    pipeline, a replacement, anything but `{"$op": {path: value}}`)."""
    if not isinstance(update_spec, dict) or not update_spec:
        return None
    set_values: dict[str, Any] = {}
    touched: set[str] = set()
    for operator, fields in update_spec.items():
        if not isinstance(operator, str) or not operator.startswith("$"):
            return None
        if not isinstance(fields, dict):
            return None
        for path, value in fields.items():
            if not isinstance(path, str) or not path:
                return None
            head = path.split(".", 1)[0]
            if operator == "$set" and "." not in path and not head.startswith("$"):
                set_values[head] = value
            else:
                touched.add(head)
            if operator == "$rename":
                if not isinstance(value, str):
                    return None
                touched.add(value.split(".", 1)[0])
    for head in touched & set_values.keys():
        del set_values[head]  # e.g. "$set" of both `a` and `a.b`: forget `a`
    return _WrittenFields(set_values, frozenset(touched))


def _may_read(feature: Any, written: _WrittenFields) -> bool:
    """Whether mongoeco's cached answer `feature` (`"<question>:<field>[:<type>]"`, about
    the values at one field) may depend on a field the update writes: yes unless no
    written field's name appears in it at all (so only ever too cautious)."""
    if not isinstance(feature, str) or ":" not in feature:
        return True
    return any(field in feature for field in (*written.touched, *written.set_values))


class ChatStoreEngine(SQLiteEngine):
    """SQLiteEngine with inserts that do not grow with the collection (see the module)."""

    def __init__(
        self,
        *args: Any,
        checkpoint_every_secs: float | None = CHECKPOINT_INTERVAL_SECS,
        **kwargs: Any,
    ) -> None:
        """`checkpoint_every_secs`: how often the checkpoint thread looks for commits to
        copy (item 10); None: SQLite's own checkpoints at commit instead (for
        tests/benchmarks/store_paced.py's comparison)."""
        self._checkpoint_every = checkpoint_every_secs
        super().__init__(*args, **kwargs)
        self._array_fields: dict[_FeatureKey, bool] = {}
        self._array_fields_lock = threading.Lock()
        self._inserting = threading.local()
        self._changing = threading.local()  # (db, coll, update spec | None for a delete)
        self._kinds: dict[_FeatureKey, str | None] = {}  # None: mixed
        self._arrays_only_fields: dict[_FeatureKey, bool] = {}
        self._generations: dict[tuple[str, str], int] = {}
        self._checkpointer: WalCheckpointer | None = None
        try:  # item 11: the codec is mongoeco's, set once by its __init__
            parameters = inspect.signature(self._codec.decode).parameters
            self._decode_takes_wrappers = "preserve_bson_wrappers" in parameters
        except (TypeError, ValueError):
            self._decode_takes_wrappers = False  # as mongoeco: no signature, no keyword

    def _decode_codec_payload(self, payload: object, *, preserve_bson_wrappers: bool) -> Any:
        """Item 11: mongoeco's decode, its codec's parameters looked up once."""
        if not self._decode_takes_wrappers:
            return self._codec.decode(payload)
        return self._codec.decode(payload, preserve_bson_wrappers=preserve_bson_wrappers)

    def _connect_sync(self) -> None:
        super()._connect_sync()
        if (
            self._checkpoint_every is not None
            and self._checkpointer is None
            and self._path != ":memory:"
        ):
            # Item 10: the log is copied into the file by a thread, never by a commit.
            self._checkpointer = WalCheckpointer(self._path, self._checkpoint_every)
            self._checkpointer.start()
        conn = self._require_connection()
        conn.execute(
            "CREATE INDEX IF NOT EXISTS chat_multikey_entries_storage "
            "ON multikey_entries (collection_id, storage_key)"
        )
        self._share_entry_indexes(conn)
        if conn.in_transaction:
            conn.commit()

    def _share_entry_indexes(self, conn: sqlite3.Connection) -> None:
        """Item 7: the shared entry indexes exist, every index record names them, and the
        per-index copies mongoeco made (in this file before, or for a new index) are gone.
        Inside another's transaction nothing is done: the copies stay until the next call
        (only slower)."""
        if conn.in_transaction:
            return
        conn.execute(
            f'CREATE INDEX IF NOT EXISTS "{MULTIKEY_ENTRIES_INDEX}" '
            f"ON multikey_entries {_ENTRY_COLUMNS}"
        )
        conn.execute(
            f'CREATE INDEX IF NOT EXISTS "{SCALAR_ENTRIES_INDEX}" '
            f"ON scalar_index_entries {_ENTRY_COLUMNS}"
        )
        renamed = (
            conn.execute(
                "UPDATE indexes SET multikey_physical_name = ? "
                "WHERE multikey_physical_name IS NOT NULL AND multikey_physical_name != ?",
                (MULTIKEY_ENTRIES_INDEX, MULTIKEY_ENTRIES_INDEX),
            ).rowcount
            + conn.execute(
                "UPDATE indexes SET scalar_physical_name = ? "
                "WHERE scalar_physical_name IS NOT NULL AND scalar_physical_name != ?",
                (SCALAR_ENTRIES_INDEX, SCALAR_ENTRIES_INDEX),
            ).rowcount
        )
        copies = [
            str(name)
            for table, pattern in _ENTRY_INDEX_COPIES
            for (name,) in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
                "AND name GLOB ?",
                (table, pattern),
            ).fetchall()
        ]
        for name in copies:
            conn.execute(f"DROP INDEX IF EXISTS {self._quote_identifier(name)}")
        conn.commit()  # the UPDATEs' implicit transaction (none: nothing to do)
        if renamed or copies:
            self._ensured_multikey_physical_indexes.clear()
            self._invalidate_index_cache()  # this connection's catalogs (mongoeco's)

    def _create_sqlite_connection(self) -> sqlite3.Connection:
        connection = super()._create_sqlite_connection()
        connection.set_authorizer(_keep_shared_entry_indexes)
        if self._checkpoint_every is not None and self._path != ":memory:":
            no_automatic_checkpoints(connection)
        return connection

    def _disconnect_sync(self) -> None:
        with self._lifecycle_condition:
            last = self._connection_count == 1
        if last and self._checkpointer is not None:
            self._checkpointer.stop()  # before the last connection closes (and checkpoints)
            self._checkpointer = None
        super()._disconnect_sync()

    def _create_index_sync(self, *args: Any, **kwargs: Any) -> str:
        name = str(super()._create_index_sync(*args, **kwargs))
        with self._lock:  # as mongoeco's own index commands
            self._share_entry_indexes(self._require_connection())
        return name

    def _open_scan_documents_sync(self, reader: Any) -> Any:
        """Item 8: a find naming its documents by string `_id`s reads them by their keys."""
        semantics = reader.semantics
        ids = (
            key_lookup_ids(semantics.query_plan)
            if semantics.text_query is None
            and semantics.collation is None
            and semantics.hint is None
            and not self._is_profile_namespace(reader.coll_name)
            else None
        )
        if ids is None:
            return super()._open_scan_documents_sync(reader)
        keys = list(dict.fromkeys(self._storage_key(value) for value in ids))
        found: dict[str, Any] = {}
        for batch in key_batches(keys):
            found.update(
                self._load_documents_by_storage_keys(reader.db_name, reader.coll_name, batch)
            )
        documents = [found[key] for key in sorted(found)]  # the primary key's order
        python_semantics = dataclasses.replace(semantics, compiled_query=None)
        if semantics.sort is None:
            return FiniteDocumentScan(documents, python_semantics)
        return self._finalize_scan_source(iter(documents), python_semantics)

    def _select_first_document_for_plan(
        self,
        db_name: str,
        coll_name: str,
        plan: QueryNode,
        *,
        hint: Any = None,
        context: Any = None,
    ) -> tuple[str, Any] | None:
        """Item 9: the document an update or delete acts on, when its filter names it by
        string `_id`s, read by its storage key and matched in Python."""
        ids = (
            key_lookup_ids(plan)
            if hint is None
            and not isinstance(plan, EqualsCondition)  # mongoeco reads those by key itself
            and not self._is_profile_namespace(coll_name)
            and python_matchable(plan)
            else None
        )
        if ids is None:
            return super()._select_first_document_for_plan(
                db_name, coll_name, plan, hint=hint, context=context
            )
        keys = sorted(dict.fromkeys(self._storage_key(value) for value in ids))
        conn = self._require_connection(context)
        with self._bind_connection(conn), sqlite_read_scope(conn):
            for batch in key_batches(keys):
                found = self._load_documents_by_storage_keys(db_name, coll_name, batch)
                for key in sorted(found):  # the primary key's order, as mongoeco's scan
                    if QueryEngine.match_plan(found[key], plan):
                        return key, found[key]
        return None

    def dispatch_committed_changes(self, consumer_id: str, consumer: Any) -> None:
        """No change streams are served (see the module): nothing to hand over."""
        return

    def _validate_document_against_unique_indexes(
        self,
        db_name: str,
        coll_name: str,
        document: Any,
        *,
        exclude_storage_key: str | None = None,
        skip_id_check: bool = False,
        scan_payload_id: bool = False,
    ) -> None:
        if scan_payload_id and not id_contains_numeric_value(document.get("_id")):
            scan_payload_id = False  # found by its storage key, as the batch path does
        super()._validate_document_against_unique_indexes(
            db_name,
            coll_name,
            document,
            exclude_storage_key=exclude_storage_key,
            skip_id_check=skip_id_check,
            scan_payload_id=scan_payload_id,
        )

    def _field_is_top_level_array_in_collection(
        self, db_name: str, coll_name: str, field: str
    ) -> bool:
        key = (db_name, coll_name, field)
        with self._array_fields_lock:
            known = self._array_fields.get(key)
        if known is not None:
            return known
        found = bool(super()._field_is_top_level_array_in_collection(db_name, coll_name, field))
        with self._array_fields_lock:
            self._array_fields[key] = found
        return found

    def _insert_document_sync(
        self, db_name: str, coll_name: str, document: Any, *args: Any, **kwargs: Any
    ) -> Any:
        self._inserting.current = (db_name, coll_name, document)
        try:
            return super()._insert_document_sync(db_name, coll_name, document, *args, **kwargs)
        except BaseException:
            self._forget(db_name, coll_name)  # whatever happened, ask the store again
            raise
        finally:
            self._inserting.current = None

    def _update_with_operation_sync(
        self,
        db_name: str,
        coll_name: str,
        operation: Any,
        upsert: bool,
        upsert_seed: Any,
        selector_filter: Any,
        context: Any,
        dialect: Any = None,
        bypass_document_validation: bool = False,
        replacement_document: Any = None,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        change: Any = None  # what cannot be read is forgotten
        if not upsert:  # an upsert may insert the filter's fields: forget
            if replacement_document is not None:
                change = _Replacement(replacement_document)
            else:
                change = _written_fields(getattr(operation, "update_spec", None))
        return self._changing_with(
            db_name,
            coll_name,
            change,
            lambda: super(ChatStoreEngine, self)._update_with_operation_sync(
                db_name,
                coll_name,
                operation,
                upsert,
                upsert_seed,
                selector_filter,
                context,
                dialect,
                bypass_document_validation,
                replacement_document,
                *args,
                **kwargs,
            ),
        )

    def _delete_document_sync(self, db_name: str, coll_name: str, *args: Any, **kwargs: Any) -> Any:
        return self._changing_with(
            db_name,
            coll_name,
            _DELETE,
            lambda: super(ChatStoreEngine, self)._delete_document_sync(
                db_name, coll_name, *args, **kwargs
            ),
        )

    def _delete_matching_document_sync(
        self, db_name: str, coll_name: str, *args: Any, **kwargs: Any
    ) -> Any:
        return self._changing_with(
            db_name,
            coll_name,
            _DELETE,
            lambda: super(ChatStoreEngine, self)._delete_matching_document_sync(
                db_name, coll_name, *args, **kwargs
            ),
        )

    def _changing_with(self, db_name: str, coll_name: str, change: Any, write: Any) -> Any:
        """Run `write` (an update or delete) with `change` known to the invalidation hook."""
        if change is None:
            return write()
        self._changing.current = (db_name, coll_name, change)
        try:
            return write()
        except BaseException:
            self._forget(db_name, coll_name)  # whatever happened, ask the store again
            raise
        finally:
            self._changing.current = None

    def _invalidate_collection_features_cache(
        self, db_name: str | None = None, coll_name: str | None = None
    ) -> None:
        if db_name is None or coll_name is None:
            super()._invalidate_collection_features_cache(db_name, coll_name)
        else:
            # mongoeco filters the cache's keys in a comprehension while other commands'
            # threads add keys to it: "dictionary changed size during iteration", answered
            # to a client as a failed write. `list()` copies the keys in one step under the
            # GIL (no Python code runs between two keys); the filter then runs on the copy.
            cache = self._collection_features_cache
            written = self._written_now(db_name, coll_name)
            for key in [key for key in list(cache) if key[:2] == (db_name, coll_name)]:
                if written is None or _may_read(key[2], written):
                    cache.pop(key, None)
        if db_name is None or coll_name is None:
            with self._array_fields_lock:
                self._array_fields.clear()
            return
        current = getattr(self._inserting, "current", None)
        if current is not None and current[:2] == (db_name, coll_name):
            # A single insert, called inside its write: only its own document can add
            # an array. (If the write is then rolled back, "array" stays: that is only
            # the slower, still correct, way to check uniqueness.)
            self._note_inserted(db_name, coll_name, current[2])
            return
        changing = getattr(self._changing, "current", None)
        if changing is not None and changing[:2] == (db_name, coll_name):
            change = changing[2]
            if isinstance(change, _Replacement):
                # The old document goes (as a delete), the new one comes (as an insert).
                self._note_inserted(db_name, coll_name, change.document)
            elif isinstance(change, _WrittenFields):
                self._note_updated(db_name, coll_name, change)
            else:  # a delete removes values: it adds no array and no kind
                with self._array_fields_lock:
                    self._bump(db_name, coll_name)
            return
        self._forget(db_name, coll_name)

    def _note_inserted(self, db_name: str, coll_name: str, document: Any) -> None:
        with self._array_fields_lock:
            for key, has_array in list(self._array_fields.items()):
                if key[:2] == (db_name, coll_name) and not has_array:
                    present, value = _value_at(document, key[2])
                    if present and isinstance(value, list):
                        self._array_fields[key] = True
            for key, kind in list(self._kinds.items()):
                if key[:2] == (db_name, coll_name) and kind is not None:
                    present, value = _value_at(document, key[2])
                    added = value_kind(value) if present else "other"
                    self._kinds[key] = added if kind in (EMPTY, added) else None
            for key, arrays_only in list(self._arrays_only_fields.items()):
                if key[:2] == (db_name, coll_name) and arrays_only:
                    present, value = _value_at(document, key[2])
                    self._arrays_only_fields[key] = not present or isinstance(value, list)
            self._bump(db_name, coll_name)

    def _written_now(self, db_name: str, coll_name: str) -> _WrittenFields | None:
        """The fields the update running in this thread writes, if it is on this namespace."""
        changing = getattr(self._changing, "current", None)
        if changing is None or changing[:2] != (db_name, coll_name):
            return None
        change = changing[2]
        return change if isinstance(change, _WrittenFields) else None

    def _note_updated(self, db_name: str, coll_name: str, change: _WrittenFields) -> None:
        """An update whose operators are known: a field it sets whole is noted from its new
        value, as an insert's is (the old value goes, as in a delete); a field it touches any
        other way, or under or above it, is forgotten; every other field keeps its answer."""
        with self._array_fields_lock:
            for table in (self._array_fields, self._kinds, self._arrays_only_fields):
                for key in [k for k in table if k[:2] == (db_name, coll_name)]:
                    if key[2].split(".", 1)[0] in change.touched:
                        del table[key]
            for key, has_array in list(self._array_fields.items()):
                head = key[2].split(".", 1)[0]
                if key[:2] == (db_name, coll_name) and head in change.set_values:
                    present, value = _value_at(change.set_values, key[2])
                    if not has_array and present and isinstance(value, list):
                        self._array_fields[key] = True
            for key, kind in list(self._kinds.items()):
                head = key[2].split(".", 1)[0]
                if key[:2] == (db_name, coll_name) and head in change.set_values and kind:
                    present, value = _value_at(change.set_values, key[2])
                    added = value_kind(value) if present else "other"
                    self._kinds[key] = added if kind in (EMPTY, added) else None
            for key, arrays_only in list(self._arrays_only_fields.items()):
                head = key[2].split(".", 1)[0]
                if key[:2] == (db_name, coll_name) and head in change.set_values and arrays_only:
                    present, value = _value_at(change.set_values, key[2])
                    self._arrays_only_fields[key] = not present or isinstance(value, list)
            self._bump(db_name, coll_name)

    def _forget(self, db_name: str, coll_name: str) -> None:
        with self._array_fields_lock:
            for key in [k for k in self._array_fields if k[:2] == (db_name, coll_name)]:
                del self._array_fields[key]
            for key in [k for k in self._kinds if k[:2] == (db_name, coll_name)]:
                del self._kinds[key]
            for key in [k for k in self._arrays_only_fields if k[:2] == (db_name, coll_name)]:
                del self._arrays_only_fields[key]
            self._bump(db_name, coll_name)

    def _bump(self, db_name: str, coll_name: str) -> None:
        namespace = (db_name, coll_name)
        self._generations[namespace] = self._generations.get(namespace, 0) + 1

    # -- sorted reads through a compound index (embedded_sorted_reads.py) ------------------

    def _field_kind(self, db_name: str, coll_name: str, field: str) -> str | None:
        """The kind of value every document holds at `field` (string, datetime, other),
        EMPTY for an empty collection, None when they differ."""
        key = (db_name, coll_name, field)
        with self._array_fields_lock:
            if key in self._kinds:
                return self._kinds[key]
            generation = self._generations.get((db_name, coll_name), 0)
        path = json_path_for_field(field).replace("'", "''")
        kinds = (  # the paths are quoted as mongoeco quotes them in its own SQL
            f"CASE WHEN {type_expression_sql(field)} = 'datetime' THEN '{DATETIME}' "
            f"WHEN json_type(document, '{path}') = 'text' THEN '{STRING}' ELSE 'other' END"
        )
        sql = f"SELECT DISTINCT {kinds} FROM documents WHERE db_name = ? AND coll_name = ? LIMIT 2"  # noqa: S608
        rows = self._require_connection().execute(sql, (db_name, coll_name)).fetchall()
        kind = EMPTY if not rows else str(rows[0][0]) if len(rows) == 1 else None
        with self._array_fields_lock:
            if self._generations.get((db_name, coll_name), 0) == generation:
                self._kinds[key] = kind  # no write came in between
        return kind

    def _sorted_read(
        self, db_name: str, coll_name: str, plan: QueryNode, sort: Any, hint: Any
    ) -> SortedRead | None:
        if hint is not None or not sort:
            return None

        def encode_datetime(value: Any) -> str | None:
            if value_kind(value) != DATETIME:
                return None
            encoded = self._sql_translator_encode(value)
            return encoded if isinstance(encoded, str) else None

        return plan_sorted_read(
            plan=plan,
            sort=[(str(field), int(direction)) for field, direction in sort],
            indexes=self._load_indexes(db_name, coll_name),
            kind_of=lambda field: self._field_kind(db_name, coll_name, field),
            encode_datetime=encode_datetime,
            quote_identifier=self._quote_identifier,
        )

    @staticmethod
    def _sql_translator_encode(value: Any) -> object:
        """The stored form of a datetime's value, as mongoeco's SQL compares it."""
        encoded = DocumentCodec.encode(value)
        if isinstance(encoded, dict) and DocumentCodec._is_tagged_value(encoded):
            return encoded[DocumentCodec._MARKER][DocumentCodec._VALUE]
        return None

    def _sort_requires_python(
        self, db_name: str, coll_name: str, plan: QueryNode, sort: Any
    ) -> bool:
        if self._sorted_read(db_name, coll_name, plan, sort, None) is not None:
            return False  # strings or datetimes only: no array, no special number
        if (
            sort
            and all(
                "." not in str(field)
                and self._field_kind(db_name, coll_name, str(field)) in (STRING, DATETIME, EMPTY)
                for field, _ in sort
            )
            and not self._plan_has_array_traversing_paths(db_name, coll_name, plan)
        ):
            # What mongoeco looks for (an array, bytes, undefined or a special number at a
            # sort field) is not there: every document holds a string or a datetime. Its
            # own check would run the filter once more without the multikey index.
            return False
        return bool(super()._sort_requires_python(db_name, coll_name, plan, sort))

    def _build_select_sql(
        self,
        db_name: str,
        coll_name: str,
        plan: QueryNode,
        *,
        select_clause: str,
        sort: Any = None,
        skip: int = 0,
        limit: int | None = None,
        hint: Any = None,
        **kwargs: Any,
    ) -> tuple[str, list[object]]:
        read = self._sorted_read(db_name, coll_name, plan, sort, hint)
        if read is not None and not self._walk_pays(db_name, coll_name, plan, skip, limit):
            read = None
        if read is None:
            return super()._build_select_sql(
                db_name,
                coll_name,
                plan,
                select_clause=select_clause,
                sort=sort,
                skip=skip,
                limit=limit,
                hint=hint,
                **kwargs,
            )
        where_sql, where_params = self._translate_query_plan_with_multikey(db_name, coll_name, plan)
        return build_select_statement_with_custom_order(
            select_clause=select_clause,
            from_clause=f"documents INDEXED BY {read.index}",
            namespace_sql="db_name = ? AND coll_name = ?",
            namespace_params=(db_name, coll_name),
            where_fragment=(f"({read.where}) AND ({where_sql})", [*read.params, *where_params]),
            order_sql=read.order,
            skip=skip,
            limit=limit,
        )

    # -- `$all` over strings through the multikey index (embedded_term_reads.py) ----------

    def _arrays_only(self, db_name: str, coll_name: str, field: str) -> bool:
        """Whether no document holds at the top-level `field` anything but an array."""
        key = (db_name, coll_name, field)
        with self._array_fields_lock:
            if key in self._arrays_only_fields:
                return self._arrays_only_fields[key]
            generation = self._generations.get((db_name, coll_name), 0)
        path = json_path_for_field(field).replace("'", "''")
        sql = (
            "SELECT 1 FROM documents WHERE db_name = ? AND coll_name = ? "  # noqa: S608
            f"AND json_type(document, '{path}') IS NOT NULL "
            f"AND json_type(document, '{path}') != 'array' LIMIT 1"
        )
        found = self._require_connection().execute(sql, (db_name, coll_name)).fetchone()
        arrays_only = found is None
        with self._array_fields_lock:
            if self._generations.get((db_name, coll_name), 0) == generation:
                self._arrays_only_fields[key] = arrays_only  # no write came in between
        return arrays_only

    def _translate_query_plan_with_multikey(
        self, db_name: str, coll_name: str, plan: QueryNode
    ) -> tuple[str, list[object]]:
        if isinstance(plan, AllCondition):
            read = self._term_read(db_name, coll_name, plan)
            if read is not None:
                return read
        translated = super()._translate_query_plan_with_multikey(db_name, coll_name, plan)
        own_sql, own_params = str(translated[0]), list(translated[1])
        if isinstance(plan, InCondition):
            narrowed = self._indexed_strings_in(db_name, coll_name, plan)
            if narrowed is not None:
                return f"({narrowed[0]}) AND ({own_sql})", [*narrowed[1], *own_params]
        return own_sql, own_params

    def _indexed_strings_in(
        self, db_name: str, coll_name: str, plan: InCondition
    ) -> tuple[str, list[object]] | None:
        """`$in` of strings on a field every document holds a string at, and that leads an
        index: the same condition in that index's terms, so SQLite may read the index (an
        agent's conversations in a search). Added to mongoeco's own, never replacing it."""
        values = plan.values
        if plan.field == "_id" or "." in plan.field:
            return None  # `_id`: mongoeco finds those by their storage key
        if not values or any(type(v) is not str for v in values):
            return None
        leading = any(
            index.get("physical_name")
            and not index.get("partial_filter_expression")
            and not index.get("collation")
            and index["key"]
            and str(index["key"][0][0]) == plan.field
            for index in self._load_indexes(db_name, coll_name)
        )
        if not leading or self._field_kind(db_name, coll_name, plan.field) != STRING:
            return None
        type_sql, value_sql = index_expressions_sql(plan.field)
        marks = ", ".join("?" for _ in values)
        return f"{type_sql} = '' AND {value_sql} IN ({marks})", list(values)

    def _walk_pays(
        self, db_name: str, coll_name: str, plan: QueryNode, skip: int, limit: int | None
    ) -> bool:
        """For a term read, whether walking the sort's index (stopping at the page's end)
        reads less than sorting every document that holds the terms (term_walk_pays)."""
        if not isinstance(plan, AllCondition):
            return not _has_term_read(plan)
        terms = string_terms(plan)
        index = term_index(self._load_indexes(db_name, coll_name), plan.field)
        if terms is None or index is None or limit is None or limit <= 0:
            return False
        conn = self._require_connection()
        collection_id = self._lookup_collection_id(conn, db_name, coll_name)
        if collection_id is None:
            return False
        fewest = min(
            term_count(
                conn,
                int(collection_id),
                index,
                term,
                self._multikey_type_score,
                self._quote_identifier,
            )
            for term in terms
        )
        (documents,) = conn.execute(
            "SELECT COUNT(*) FROM documents WHERE db_name = ? AND coll_name = ?",
            (db_name, coll_name),
        ).fetchone()
        return term_walk_pays(fewest=fewest, documents=int(documents), window=skip + limit)

    def _term_read(
        self, db_name: str, coll_name: str, plan: AllCondition
    ) -> tuple[str, list[object]] | None:
        terms = string_terms(plan)
        if terms is None:
            return None
        index = term_index(self._load_indexes(db_name, coll_name), plan.field)
        if index is None:
            return None
        if len(plan.values) == 1 and not self._arrays_only(db_name, coll_name, plan.field):
            return None  # a field that is the string itself also matches
        conn = self._require_connection()
        collection_id = self._lookup_collection_id(conn, db_name, coll_name)
        if collection_id is None:
            return None
        read = term_read_sql(
            collection_id=int(collection_id),
            index=index,
            terms=terms,
            type_score=self._multikey_type_score,
            quote_identifier=self._quote_identifier,
        )
        return read.sql, read.params
