"""``lnctl pay --file``: many payments at once, every single-pay rule kept (issue #11)."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

from tests.conftest import popen, run
from tests.helpers import CAPACITY_MSAT, check_ledger, fee, foreign_invoice, network_rows, rows


def _invoices(home: Path, count: int, sats: int = 10) -> list[str]:
    r = run(home, "simulate", "invoice", "--amount", str(sats), "--count", str(count), "--json")
    assert r.code == 0, r.err
    docs = r.json if count > 1 else [r.json]
    return [d["invoice"] for d in docs]


def _file(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "batch.txt"
    path.write_text("\n".join(lines) + "\n")
    return path


def _max_overlap(home: Path) -> int:
    spans = [
        (r[0], r[1]) for r in network_rows(home, "SELECT started_at, resolve_at FROM attempts")
    ]
    events = sorted([(s, 1) for s, _ in spans] + [(e, -1) for _, e in spans])
    level = peak = 0
    for _, step in events:
        level += step
        peak = max(peak, level)
    return peak


def test_concurrency_is_bounded_and_real(home: Path, tmp_path: Path) -> None:
    path = _file(tmp_path, _invoices(home, 40))
    r = run(
        home, "pay", "--file", str(path), "--concurrency", "4", "--json",
        env={"LNCTL_SIM_LATENCY_MS": "100"},
    )  # fmt: skip
    assert r.code == 0, r.out[-2000:]
    summary = r.json["summary"]
    assert summary["paid"] == 40 and summary["exit_code"] == 0
    assert 2 <= _max_overlap(home) <= 4  # overlapped, never more than 4 in flight
    assert [p["line"] for p in r.json["payments"]] == list(range(1, 41))  # file order


def test_rate_limit_is_held(home: Path, tmp_path: Path) -> None:
    path = _file(tmp_path, _invoices(home, 20))
    began = time.monotonic()
    r = run(home, "pay", "--file", str(path), "--concurrency", "8", "--rate-limit", "10", "--json")
    assert r.code == 0, r.out[-2000:]
    assert time.monotonic() - began >= 1.8  # 20 starts at 10 per second
    starts = sorted(r[0] for r in network_rows(home, "SELECT started_at FROM attempts"))
    for i, t in enumerate(starts):
        assert sum(1 for u in starts[i:] if u < t + 1.0) <= 11  # a token per 0.1 s, burst 1


def test_a_thousand_payments_leave_the_ledger_exact(home: Path, tmp_path: Path) -> None:
    path = _file(tmp_path, _invoices(home, 1000, sats=10))
    r = run(home, "pay", "--file", str(path), "--concurrency", "16", "--jsonl", timeout=300)
    assert r.code == 0, r.err
    lines = [json.loads(line) for line in r.out.splitlines()]
    assert len(lines) == 1001 and lines[-1]["summary"]["paid"] == 1000
    doc = check_ledger(home)
    assert all(not ch["htlcs"] for ch in doc["channels"])
    spent = 1000 * (10_000 + fee(10_000))
    assert doc["channels"][0]["local_msat"] == CAPACITY_MSAT - spent
    assert lines[-1]["summary"]["fees_msat"] == 1000 * fee(10_000)
    assert len(rows(home, "SELECT 1 FROM payments WHERE status = 'SUCCEEDED'")) == 1000


def test_duplicate_lines_amounts_comments_and_the_exit_code(home: Path, tmp_path: Path) -> None:
    one, two = _invoices(home, 2)
    amountless = run(home, "simulate", "invoice", "--json").json["invoice"]
    path = _file(
        tmp_path,
        ["# a comment", one, "", one, f"{amountless} 7", two + "  # trailing comment"],
    )
    r = run(home, "pay", "--file", str(path), "--concurrency", "1", "--json")
    assert r.code == 5, r.out
    statuses = [p["status"] for p in r.json["payments"]]
    assert statuses == ["SUCCEEDED", "DUPLICATE", "SUCCEEDED", "SUCCEEDED"]
    assert r.json["payments"][2]["payment"]["amount_msat"] == 7000
    assert r.json["summary"]["duplicates"] == 1
    worse = _file(tmp_path, [_invoices(home, 1)[0], foreign_invoice(), one])
    r = run(home, "pay", "--file", str(worse), "--json")
    assert r.code == 3  # NO_ROUTE (3) is more serious than a duplicate (5)
    bad = _file(tmp_path, ["lnbcrt1 12 34"])
    assert run(home, "pay", "--file", str(bad), "--json").code == 2


def test_ctrl_c_stops_starting_and_leaves_nothing_stuck(home: Path, tmp_path: Path) -> None:
    path = _file(tmp_path, _invoices(home, 60))
    proc = popen(
        home, "pay", "--file", str(path), "--concurrency", "2", "--json",
        env={"LNCTL_SIM_LATENCY_MS": "150"},
    )  # fmt: skip
    time.sleep(1.5)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    summary = json.loads(out)["summary"]
    assert summary["interrupted"] and 0 < summary["paid"] < 60
    assert summary["not_started"] > 0
    assert summary["paid"] + summary["not_started"] + summary["pending"] == 60
    time.sleep(0.2)
    assert run(home, "payments", "--limit", "1").code == 0  # recovers what was in flight
    assert rows(home, "SELECT 1 FROM payments WHERE status = 'IN_FLIGHT'") == []
    assert all(not ch["htlcs"] for ch in check_ledger(home)["channels"])
    paid = len(rows(home, "SELECT 1 FROM payments WHERE status = 'SUCCEEDED'"))
    assert check_ledger(home)["channels"][0]["local_msat"] == CAPACITY_MSAT - paid * (
        10_000 + fee(10_000)
    )
