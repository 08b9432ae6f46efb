"""Issue #8: the node owns the money. Restored, deleted and damaged stores; answers of the node
that cannot be accepted; recovery that never jams. Real processes, real files."""

from __future__ import annotations

import shutil
import sqlite3
import time
from pathlib import Path

from tests.conftest import run
from tests.helpers import CAPACITY_MSAT, check_ledger, fee, network_rows, rows


def _local(home: Path) -> int:
    return sum(ch["local_msat"] for ch in check_ledger(home)["channels"])


def _remote(home: Path, sats: int) -> str:
    r = run(home, "simulate", "invoice", "--amount", str(sats), "--json")
    assert r.code == 0, r.err
    return str(r.json["invoice"])


def _copy_history(home: Path, to: Path) -> None:
    to.mkdir(exist_ok=True)
    for name in ("history.sqlite", "history.sqlite-wal", "history.sqlite-shm"):
        if (home / name).exists():
            shutil.copy2(home / name, to / name)


def _restore_history(home: Path, backup: Path) -> None:
    for name in ("history.sqlite", "history.sqlite-wal", "history.sqlite-shm"):
        (home / name).unlink(missing_ok=True)
        if (backup / name).exists():
            shutil.copy2(backup / name, home / name)


def test_restored_older_history_never_pays_twice(home: Path, tmp_path: Path) -> None:
    assert run(home, "invoice", "--amount", "1").code == 0
    _copy_history(home, tmp_path / "backup")
    invoice = _remote(home, 10_000)
    paid = run(home, "pay", invoice, "--json")
    assert paid.code == 0
    _restore_history(home, tmp_path / "backup")
    again = run(home, "pay", invoice, "--json")
    assert again.code == 5, again.out
    assert again.json["error"]["code"] == "ALREADY_PAID"
    assert again.json["payment"]["preimage"] == paid.json["preimage"]
    assert "older than the node's record" in again.err
    assert _local(home) == CAPACITY_MSAT - 10_000_000 - fee(10_000_000)  # debited once
    listed = run(home, "payments", "--json").json["payments"]
    assert [p["status"] for p in listed] == ["SUCCEEDED"]
    ok = run(home, "pay", invoice, "--if-paid", "ok", "--json")
    assert ok.code == 0 and ok.json["preimage"] == paid.json["preimage"]


def test_the_node_refuses_a_paid_hash_even_when_the_history_forgot_it(home: Path) -> None:
    """The history says FAILED (an old backup); the node paid it since: ALREADY_PAID."""
    invoice = _remote(home, 3_000)
    first = run(home, "pay", invoice, "--json")
    assert first.code == 0
    conn = sqlite3.connect(home / "history.sqlite")
    conn.execute("UPDATE payments SET status = 'FAILED', preimage = NULL, fee_msat = NULL")
    conn.commit()
    conn.close()
    again = run(home, "pay", invoice, "--json")
    assert again.code == 5 and again.json["error"]["code"] == "ALREADY_PAID"
    assert again.json["payment"]["status"] == "SUCCEEDED"
    assert again.json["payment"]["preimage"] == first.json["preimage"]
    assert _local(home) == CAPACITY_MSAT - 3_000_000 - fee(3_000_000)
    assert len(network_rows(home, "SELECT * FROM attempts")) == 1  # never sent again


def test_deleted_history_is_rebuilt_from_the_node_never_recreated_empty(home: Path) -> None:
    mine = run(home, "invoice", "--amount", "7", "--json").json
    invoice = _remote(home, 2_000)
    assert run(home, "pay", invoice, "--json").code == 0
    for name in ("history.sqlite", "history.sqlite-wal", "history.sqlite-shm"):
        (home / name).unlink(missing_ok=True)
    listed = run(home, "payments", "--json")
    assert listed.code == 0
    assert "rebuilt" in listed.err and len(listed.err.strip().splitlines()) == 1
    [payment] = listed.json["payments"]
    assert payment["status"] == "SUCCEEDED" and payment["fee_msat"] == fee(2_000_000)
    invoices = run(home, "invoices", "--json").json["invoices"]
    assert [i["payment_hash"] for i in invoices] == [mine["payment_hash"]]
    assert run(home, "pay", invoice, "--json").code == 5


def test_deleted_channel_file_refuses_to_start_never_mints_a_channel(home: Path) -> None:
    assert run(home, "invoice", "--amount", "1").code == 0
    (home / "simnet" / "channels.json").unlink()
    for args in (["channel", "list"], ["invoice", "--amount", "1"], ["payments"]):
        r = run(home, *args, "--json")
        assert r.code == 1 and r.json["error"]["code"] == "CORRUPT_STATE", args
        assert "restore" in r.json["error"]["hint"]
    assert not (home / "simnet" / "channels.json").exists()


def test_deleted_node_state_is_refused(home: Path) -> None:
    assert run(home, "invoice", "--amount", "1").code == 0
    shutil.rmtree(home / "simnet")
    r = run(home, "invoice", "--amount", "1", "--json")
    assert r.code == 1 and r.json["error"]["code"] == "CORRUPT_STATE"
    assert not (home / "simnet").exists()


def test_a_history_of_another_node_is_refused(home: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    assert run(other, "invoice", "--amount", "1").code == 0
    assert run(home, "invoice", "--amount", "1").code == 0
    shutil.copy2(other / "history.sqlite", home / "history.sqlite")
    for name in ("history.sqlite-wal", "history.sqlite-shm"):
        (home / name).unlink(missing_ok=True)
        if (other / name).exists():
            shutil.copy2(other / name, home / name)
    r = run(home, "payments", "--json")
    assert r.code == 1 and r.json["error"]["code"] == "WALLET_MISMATCH"


def _pending(home: Path, sats: int) -> str:
    """A payment whose outcome (success) the node has decided but not yet revealed."""
    invoice = _remote(home, sats)
    r = run(
        home, "pay", invoice, "--timeout", "0.05", "--json", env={"LNCTL_SIM_LATENCY_MS": "1500"}
    )
    assert r.code == 6, r.out
    return str(r.json["payment"]["payment_hash"])


def _edit_attempt(home: Path, payment_hash: str, sql: str) -> None:
    conn = sqlite3.connect(home / "simnet" / "network.sqlite")
    conn.execute(f"UPDATE attempts SET {sql} WHERE payment_hash = ?", (payment_hash,))
    conn.commit()
    conn.close()


def test_one_bad_record_among_good_ones_never_jams(home: Path) -> None:
    good = _pending(home, 1_000)
    no_fee = _pending(home, 2_000)
    over_cap = _pending(home, 3_000)
    bad_preimage = _pending(home, 4_000)
    _edit_attempt(home, no_fee, "fee_msat = NULL")
    _edit_attempt(home, over_cap, "fee_msat = 10000000")
    _edit_attempt(home, bad_preimage, "preimage = '00'")
    time.sleep(1.6)
    r = run(home, "payments", "--json")
    assert r.code == 0, r.out
    warnings = r.err.strip().splitlines()
    assert len(warnings) == 3 and all("needs attention" in w for w in warnings)
    status = {p["payment_hash"]: p for p in r.json["payments"]}
    assert status[good]["status"] == "SUCCEEDED"
    assert status[no_fee]["status"] == "NEEDS_ATTENTION" and "fee" in status[no_fee]["attention"]
    assert "above the cap" in status[over_cap]["attention"]
    assert "preimage" in status[bad_preimage]["attention"]
    for args in (["channel", "list"], ["invoice", "--amount", "1"], ["channel", "balance"]):
        assert run(home, *args, "--json").code == 0, args
    listed = run(home, "payments", "--status", "needs_attention", "--json").json["payments"]
    assert {p["payment_hash"] for p in listed} == {no_fee, over_cap, bad_preimage}
    # never paid again automatically
    bolt = rows(home, "SELECT bolt11 FROM payments WHERE payment_hash = ?", no_fee)[0][0]
    again = run(home, "pay", bolt, "--json")
    assert again.code == 5 and again.json["error"]["code"] == "NEEDS_ATTENTION"
    assert run(home, "payments", "--json").err == ""  # reported once, when found
