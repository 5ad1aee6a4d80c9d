"""The data commands as an operator runs them: on the embedded store of --data, started
by the command itself when no server runs (attaching while one runs: test_cli.py)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.cli.test_cli import run_cli

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("MONGODB_URI")), reason="exercises the embedded store of --data"
)


# Five commands, each a process that starts Python, the models and its own store child:
# about 45 s on an idle 2-core machine, past the default 120 s one at load 9.
@pytest.mark.timeout(360)
async def test_when_no_server_runs_then_each_data_command_starts_the_store_itself(
    tmp_path: Path,
) -> None:
    data = str(tmp_path)
    code, out, err = await run_cli(
        "retention", "run", "--dry-run", "--now", "2030-01-01T00:00:00+00:00", "--data", data
    )
    assert code == 0, err
    summary = json.loads(out)
    assert summary["dry_run"] is True and summary["ok"] is True
    assert summary["now"].startswith("2030-01-01")
    assert set(summary["rules"])  # every configured rule is reported, even with nothing due

    code, out, err = await run_cli("privacy", "export", "--customer", "cust-9", "--data", data)
    assert code == 0, err
    export = json.loads(out)
    assert export["customer_id"] == "cust-9" and export["conversations"] == []

    code, out, err = await run_cli("privacy", "delete", "--customer", "cust-9", "--data", data)
    assert code == 0, err
    record = json.loads(out)
    assert record["status"] == "completed"
    assert record["due_at"] > record["received_at"]

    code, out, err = await run_cli("privacy", "report", "--data", data)
    assert code == 0, err
    report = json.loads(out)
    assert report["deletion_requests"]["counts"]["completed"] == 1
    assert not (tmp_path / "store.uri").exists()  # the command stopped the store it started


async def test_when_now_has_no_time_zone_then_the_command_refuses() -> None:
    code, _, err = await run_cli("retention", "run", "--now", "2030-01-01T00:00:00")
    assert code == 2
    assert "time zone" in err
