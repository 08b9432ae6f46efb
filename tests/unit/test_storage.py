"""The JSON ledger and the history store on disk: invariants, refusal of corrupt or unknown state,
crash leftovers, and no lost update between processes."""

from __future__ import annotations

import json
import multiprocessing
import os
import sqlite3
from pathlib import Path

import pytest

from lnctl.errors import CorruptStateError, PaymentFailedError
from lnctl.storage.history import History
from lnctl.storage.ledger import IN, OUT, Ledger

PEER = "02" + "11" * 32


@pytest.fixture
def ledger(tmp_path: Path) -> Ledger:
    led = Ledger(str(tmp_path))
    led.ensure_channel(PEER, 1_000_000_000)
    return led


def test_first_channel_and_reserve_settle_release(ledger: Ledger, tmp_path: Path) -> None:
    [ch] = ledger.channels()
    assert (ch["local_msat"], ch["remote_msat"], ch["reserve_msat"]) == (
        1_000_000_000,
        0,
        10_000_000,
    )
    ledger.reserve("aa" * 32, 5_000, OUT)
    ledger.reserve("aa" * 32, 5_000, OUT)  # idempotent
    doc = json.loads((tmp_path / "channels.json").read_text())
    assert doc["schema_version"] == 1
    assert (
        doc["channels"][0]["inflight_msat"] == 5_000
        and doc["channels"][0]["local_msat"] == 999_995_000
    )
    assert ledger.settle("aa" * 32, 4_000)
    assert not ledger.settle("aa" * 32, 4_000)  # settled once
    [ch] = ledger.channels()
    assert (ch["local_msat"], ch["remote_msat"], ch["inflight_msat"]) == (999_996_000, 4_000, 0)
    with pytest.raises(PaymentFailedError, match="inbound"):
        ledger.reserve("bb" * 32, 1_000, IN)  # 4 sat remote is below the peer's reserve
    opened = ledger.open_channel(PEER, 100_000_000, 50_000_000)
    assert ledger.reserve("bb" * 32, 1_000, IN) == opened["channel_id"]
    assert ledger.channels()[1]["remote_msat"] == 49_999_000
    assert ledger.release("bb" * 32) and not ledger.release("bb" * 32)
    assert ledger.channels()[1]["remote_msat"] == 50_000_000


def test_reserve_never_dips_into_the_channel_reserve(ledger: Ledger) -> None:
    with pytest.raises(PaymentFailedError, match="not enough spendable"):
        ledger.reserve("cc" * 32, 990_000_001, OUT)
    ledger.reserve("cc" * 32, 990_000_000, OUT)
    with pytest.raises(PaymentFailedError):
        ledger.reserve("dd" * 32, 1, OUT)


@pytest.mark.parametrize(
    "content", ['{"schema_version": 1, "channels": [{"channel_id": 1}]}', "{not json", "[]", ""]
)
def test_corrupt_ledger_is_refused_and_never_overwritten(
    ledger: Ledger, tmp_path: Path, content: str
) -> None:
    (tmp_path / "channels.json").write_text(content)
    with pytest.raises(CorruptStateError):
        ledger.channels()
    with pytest.raises(CorruptStateError):
        ledger.reserve("aa" * 32, 1, OUT)
    assert (tmp_path / "channels.json").read_text() == content


def test_invariant_broken_on_disk_is_refused(ledger: Ledger, tmp_path: Path) -> None:
    doc = json.loads((tmp_path / "channels.json").read_text())
    doc["channels"][0]["local_msat"] += 1
    (tmp_path / "channels.json").write_text(json.dumps(doc))
    with pytest.raises(CorruptStateError, match="capacity"):
        ledger.channels()


def test_unknown_schema_version_is_refused(ledger: Ledger, tmp_path: Path) -> None:
    doc = json.loads((tmp_path / "channels.json").read_text())
    doc["schema_version"] = 2
    (tmp_path / "channels.json").write_text(json.dumps(doc))
    with pytest.raises(CorruptStateError) as info:
        ledger.channels()
    assert info.value.code == "UNKNOWN_SCHEMA"


def test_temp_files_left_by_a_crash_are_swept(ledger: Ledger, tmp_path: Path) -> None:
    stale = tmp_path / ".channels.json.999999999.deadbeef.tmp"
    stale.write_text("half written")
    ledger.reserve("aa" * 32, 1, OUT)
    assert not stale.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def _hammer(home: str, worker: int, rounds: int) -> None:
    led = Ledger(home)
    for i in range(rounds):
        h = f"{worker:04x}{i:060x}"
        led.reserve(h, 1_000, OUT)
        led.settle(h, 1_000)


def test_concurrent_processes_lose_no_update(ledger: Ledger, tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_hammer, args=(str(tmp_path), w, 25)) for w in range(20)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    [ch] = ledger.channels()
    assert ch["remote_msat"] == 20 * 25 * 1_000  # 500 updates, none lost
    assert ch["local_msat"] + ch["remote_msat"] == ch["capacity_msat"]


def test_history_schema_version_and_migration(tmp_path: Path) -> None:
    path = str(tmp_path / "history.sqlite")
    with History(path) as h:
        assert h.conn.execute("PRAGMA user_version").fetchone()[0] == 1
        assert h.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 7")
    conn.commit()
    conn.close()
    with pytest.raises(CorruptStateError) as info:
        History(path)
    assert info.value.code == "UNKNOWN_SCHEMA"
    (tmp_path / "junk.sqlite").write_bytes(os.urandom(4096))
    with pytest.raises(CorruptStateError):
        History(str(tmp_path / "junk.sqlite"))


def _insert_many(path: str, worker: int, n: int) -> None:
    with History(path) as h:
        for i in range(n):
            h.add_invoice(
                {
                    "payment_hash": f"{worker:04x}{i:060x}",
                    "bolt11": "x",
                    "preimage": "00",
                    "amount_msat": 1,
                    "description": "",
                    "description_hash": None,
                    "memo": None,
                    "created_at": 0,
                    "expires_at": 1,
                },
                None,
            )


def test_history_concurrent_writers_keep_every_commit(tmp_path: Path) -> None:
    path = str(tmp_path / "history.sqlite")
    History(path).close()
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_insert_many, args=(path, w, 20)) for w in range(50)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    with History(path) as h:
        assert h.conn.execute("SELECT count(*) FROM invoices").fetchone()[0] == 1000
        assert h.counters()[("invoices_created", "")] == 1000
