"""`chat-service search backfill` as an operator runs it (on the embedded store of --data)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.cli.test_cli import run_cli

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("MONGODB_URI")), reason="exercises the embedded store of --data"
)


@pytest.mark.timeout(360)  # a process that starts Python and its own store child
async def test_when_search_backfill_runs_on_an_empty_store_then_it_reports_none(
    tmp_path: Path,
) -> None:
    code, out, err = await run_cli("search", "backfill", "--data", str(tmp_path))
    assert code == 0, err
    assert json.loads(out) == {"backfilled": 0}
    assert not (tmp_path / "store.uri").exists()
