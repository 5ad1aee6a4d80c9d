"""The privacy officer's audit views (docs/privacy-workspace.md) on the embedded store as the
audit grows: one page (50 entries) by actor, by customer, by period, a later page by cursor,
the count, and a whole CSV export (10,000 rows).

    .venv/bin/python -m tests.benchmarks.privacy_audit [--entries 20000] [--repeats 20]

A store child (`python -m chat_service.storage.embedded_server`) serves a temporary SQLite
file on 127.0.0.1; the audit gets exactly the server's indexes and is filled with entries of
200 agents over 2,000 customers, one a minute. Printed: p50 and p95 per query, and the CSV
export's time. Everything is removed on exit.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pymongo import AsyncMongoClient

from chat_service.privacy.workspace import CSV_ROW_LIMIT, csv_row
from chat_service.storage.audit import AuditDoc, AuditFilter, AuditLog
from tests.benchmarks.chat_throughput import stop_process

START = datetime(2026, 1, 1, tzinfo=UTC)
FILL_BATCH = 1000
PAGE = 50


def _entry(i: int) -> AuditDoc:
    return {
        "_id": f"au_{i:024x}",
        "at": START + timedelta(minutes=i),
        "actor": {"role": "agent", "id": f"agent-{i % 200}"},
        "action": "sensitive_read",
        "customer_id": f"cust-{i % 2000}",
        "message_id": f"m-{i}",
        "categories": ["financial"],
        "reason": "consent granted",
        "details": {},
    }


async def _timed(
    label: str, repeats: int, call: Callable[[], Awaitable[Any]]
) -> tuple[str, float, float]:
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        await call()
        times.append((time.perf_counter() - began) * 1000)
    times.sort()
    p95 = times[max(0, round(len(times) * 0.95) - 1)]
    return label, statistics.median(times), p95


async def run(entries: int, repeats: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="audit-bench-"))
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "chat_service.storage.embedded_server",
        "--path",
        str(folder / "store.sqlite"),
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    uri = (await process.stdout.readline()).decode().strip()
    client: AsyncMongoClient[Any] = AsyncMongoClient(uri, tz_aware=True)
    try:
        audit = AuditLog(client["bench"]["audit"])
        await audit.ensure_indexes()
        began = time.perf_counter()
        for first in range(0, entries, FILL_BATCH):
            batch = [_entry(i) for i in range(first, min(entries, first + FILL_BATCH))]
            await client["bench"]["audit"].insert_many(batch)
        print(f"{entries} entries filled in {time.perf_counter() - began:.1f} s")
        middle = START + timedelta(minutes=entries // 2)
        by_actor = AuditFilter(actor_id="agent-7")
        by_customer = AuditFilter(customer_id="cust-77")
        by_period = AuditFilter(since=middle, until=middle + timedelta(days=1))
        first_page = await audit.page(by_actor, before=None, limit=PAGE)
        cursor = (first_page[-1]["at"], first_page[-1]["_id"])

        async def export() -> int:
            rows = 0
            async for doc in audit.stream(AuditFilter(), CSV_ROW_LIMIT, besides="none"):
                csv_row(doc)
                rows += 1
            return rows

        def page(where: AuditFilter, before: tuple[datetime, str] | None = None) -> Any:
            return lambda: audit.page(where, before=before, limit=PAGE)

        results = [
            await _timed("page by actor", repeats, page(by_actor)),
            await _timed("page by customer", repeats, page(by_customer)),
            await _timed("page by one day", repeats, page(by_period)),
            await _timed("unfiltered page", repeats, page(AuditFilter())),
            await _timed("next page (cursor)", repeats, page(by_actor, cursor)),
            await _timed("count by actor", repeats, lambda: audit.count(by_actor)),
            await _timed(f"CSV export ({min(entries, CSV_ROW_LIMIT)} rows)", 3, export),
        ]
        for label, p50, p95 in results:
            print(f"{label:32} p50 {p50:8.1f} ms   p95 {p95:8.1f} ms")
    finally:
        await client.close()
        await stop_process(process)
        await asyncio.to_thread(shutil.rmtree, folder, True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    asyncio.run(run(args.entries, args.repeats))


if __name__ == "__main__":
    main()
