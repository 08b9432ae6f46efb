"""``lnctl pay --file``: many payments at once, every single-pay rule kept (issue #11)."""

from __future__ import annotations

import json
import signal
import sqlite3
import time
from pathlib import Path

import pytest

from tests.conftest import popen, run, run_here
from tests.helpers import (
    CAPACITY_MSAT,
    check_ledger,
    fee,
    foreign_invoice,
    network_rows,
    rows,
    settled_books,
    wait_for,
)


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
    assert (home / "history.sqlite").is_file()  # (rows() would make an empty one)

    def paid_one() -> bool:
        try:
            return bool(rows(home, "SELECT 1 FROM payments WHERE status = 'SUCCEEDED'"))
        except sqlite3.OperationalError:  # busy while the batch writes: ask again
            return False

    # Ctrl-C once a payment is recorded: the batch is under way, most of it not started
    wait_for(paid_one, "the batch to record its first payment")
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    summary = json.loads(out)["summary"]
    assert summary["interrupted"] and 0 < summary["paid"] < 60
    assert summary["not_started"] > 0
    assert summary["paid"] + summary["not_started"] + summary["pending"] == 60
    time.sleep(0.2)
    assert run(home, "payments", "--limit", "1").code == 0  # recovers what was in flight
    doc, succeeded = settled_books(home)
    assert doc["channels"][0]["local_msat"] == CAPACITY_MSAT - len(succeeded) * (
        10_000 + fee(10_000)
    )


# -- group commit: the payments in flight share their durable writes (lnctl.core.engine) --------

GROUP_POINTS = [
    # crash point, how many of the first round (8 payments) recovery finds paid
    ("after_claim", 0),
    ("before_send", 0),
    ("node_after_reserve", 0),
    ("node_after_record", 8),
    ("node_after_settle", 8),
    ("after_send", 8),
]


@pytest.mark.parametrize(("point", "paid"), GROUP_POINTS)
def test_kill_9_in_a_round_loses_nothing_and_pays_nothing_twice(
    home: Path, tmp_path: Path, point: str, paid: int
) -> None:
    invoices = _invoices(home, 20)
    path = _file(tmp_path, invoices)
    args = ("pay", "--file", str(path), "--concurrency", "8", "--json")
    r = run(home, *args, env={"LNCTL_FAILPOINT": point})
    assert r.code == -9, (r.code, r.err)
    assert run(home, "payments", "--limit", "1").code == 0  # any command recovers first
    doc, succeeded = settled_books(home)
    assert len(succeeded) == paid
    assert doc["channels"][0]["local_msat"] == CAPACITY_MSAT - paid * (10_000 + fee(10_000))
    # the same file again: what was paid is a duplicate, the rest is paid, nothing twice
    again = run(home, *args)
    assert again.code == (5 if paid else 0), again.out[-2000:]
    statuses = [p["status"] for p in again.json["payments"]]
    assert statuses.count("DUPLICATE") == paid and statuses.count("SUCCEEDED") == 20 - paid
    at_node = network_rows(
        home, "SELECT payment_hash, count(*) FROM attempts WHERE outcome = 'SUCCEEDED' "
        "GROUP BY payment_hash"
    )  # fmt: skip
    assert len(at_node) == 20 and all(n == 1 for _, n in at_node)
    local = check_ledger(home)["channels"][0]["local_msat"]
    assert local == CAPACITY_MSAT - 20 * (10_000 + fee(10_000))


def test_payments_in_flight_share_their_commits(home: Path, tmp_path: Path) -> None:
    path = _file(tmp_path, _invoices(home, 40))
    r = run_here(home, "pay", "--file", str(path), "--concurrency", "16", "--json")
    assert r.code == 0, r.out[-2000:]
    # one round's attempts are sent in one step: they share the moment they were sent
    rounds = network_rows(home, "SELECT started_at, count(*) FROM attempts GROUP BY started_at")
    sizes = [n for _, n in rounds]
    assert sum(sizes) == 40 and max(sizes) > 1 and max(sizes) <= 16
    assert len(rows(home, "SELECT 1 FROM payments WHERE status = 'SUCCEEDED'")) == 40


def test_retries_and_pending_payments_in_a_batch(home: Path, tmp_path: Path) -> None:
    path = _file(tmp_path, _invoices(home, 10))
    r = run_here(
        home, "pay", "--file", str(path), "--concurrency", "4", "--induce-failure", "1", "--json"
    )
    assert r.code == 0, r.out[-2000:]
    assert [p["payment"]["attempts"] for p in r.json["payments"]] == [2] * 10
    reasons = network_rows(home, "SELECT failure_reason, count(*) FROM attempts GROUP BY 1")
    assert sorted((a or "", n) for a, n in reasons) == [("", 10), ("TEMPORARY_CHANNEL_FAILURE", 10)]
    # no outcome within --timeout: pending (exit 6), never failed; a lookup resolves it later
    slow = _file(tmp_path, _invoices(home, 3))
    r = run_here(
        home, "pay", "--file", str(slow), "--concurrency", "4", "--timeout", "1", "--json",
        env={"LNCTL_SIM_LATENCY_MS": "2500"},
    )  # fmt: skip
    assert r.code == 6, r.out[-2000:]
    assert r.json["summary"]["pending"] == 3
    hashes = [p["payment"]["payment_hash"] for p in r.json["payments"]]
    time.sleep(1.8)
    for payment_hash in hashes:
        looked = run_here(home, "lookup", payment_hash, "--json")
        assert looked.json["payment"]["status"] == "SUCCEEDED", looked.out
    assert check_ledger(home)["channels"][0]["local_msat"] == CAPACITY_MSAT - 13 * (
        10_000 + fee(10_000)
    )


def test_a_repeated_line_in_one_round_waits_and_is_a_duplicate(home: Path, tmp_path: Path) -> None:
    one, two, three = _invoices(home, 3)
    path = _file(tmp_path, [one, one, two, one, three])
    r = run_here(home, "pay", "--file", str(path), "--concurrency", "16", "--json")
    assert r.code == 5, r.out
    statuses = [p["status"] for p in r.json["payments"]]
    assert statuses == ["SUCCEEDED", "DUPLICATE", "SUCCEEDED", "DUPLICATE", "SUCCEEDED"]
    assert [p["error"]["code"] for p in r.json["payments"] if p["error"]] == ["ALREADY_PAID"] * 2
    assert len(network_rows(home, "SELECT 1 FROM attempts")) == 3


def test_two_batches_of_one_file_at_once_pay_each_invoice_once(home: Path, tmp_path: Path) -> None:
    path = _file(tmp_path, _invoices(home, 60))
    args = ("pay", "--file", str(path), "--concurrency", "8", "--json")
    procs = [popen(home, *args) for _ in range(2)]
    docs = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode in (0, 5), err
        docs.append(json.loads(out))
    for line in range(60):
        statuses = sorted(doc["payments"][line]["status"] for doc in docs)
        assert statuses == ["DUPLICATE", "SUCCEEDED"], (line, statuses)
    assert len(network_rows(home, "SELECT 1 FROM attempts WHERE outcome = 'SUCCEEDED'")) == 60
    local = check_ledger(home)["channels"][0]["local_msat"]
    assert local == CAPACITY_MSAT - 60 * (10_000 + fee(10_000))


def test_kill_9_at_random_moments_of_batches(home: Path, tmp_path: Path) -> None:
    """SIGKILL whenever it lands in a round (claims, sends, polls, results): recovery leaves the
    history and the node agreeing on every payment, and the ledger exact to the msat."""
    import random

    rng = random.Random(20261128)
    for _ in range(4):
        path = _file(tmp_path, _invoices(home, 600))
        env = {"LNCTL_SIM_LATENCY_MS": str(rng.choice([0, 0, 30]))}
        proc = popen(
            home, "pay", "--file", str(path), "--concurrency", str(rng.choice([4, 16])),
            "--induce-failure", str(rng.randint(0, 1)), "--json", env=env,
        )  # fmt: skip
        time.sleep(rng.uniform(0.2, 0.8))
        proc.kill()
        proc.communicate()
        time.sleep(0.1)  # attempts sent with latency resolve on the network
        assert run(home, "payments", "--limit", "1").code == 0  # recovers
        doc, succeeded = settled_books(home)
        spent = len(succeeded) * (10_000 + fee(10_000))
        assert doc["channels"][0]["local_msat"] == CAPACITY_MSAT - spent


def test_a_batch_that_fills_the_disk_reports_what_it_paid(home: Path, tmp_path: Path) -> None:
    """Issue #20 (11): it printed only the error. The batch stops starting payments at the full
    disk (as at a Ctrl-C) and reports every line: what was paid (recorded), what stays in
    flight, what was not started; once there is room, the books agree."""
    import os

    from tests.conftest import tmpfs

    with tmpfs(tmp_path / "small", "2m") as mount:
        small = mount / "h"
        path = _file(tmp_path, _invoices(small, 300))
        assert run(small, "payments").code == 0
        free = os.statvfs(mount).f_bavail * os.statvfs(mount).f_frsize
        (mount / "filler").write_bytes(b"\0" * (free - 300_000))
        r = run(small, "pay", "--file", str(path), "--concurrency", "4", "--json")
        assert r.code == 1, r.out[-500:]
        doc = r.json
        summary = doc["summary"]
        assert summary["stopped"]["code"] in ("DISK_FULL", "DISK_ERROR"), summary
        assert summary["paid"] >= 1 and summary["not_started"] >= 1, summary
        paid = {p["payment"]["payment_hash"] for p in doc["payments"] if p["status"] == "SUCCEEDED"}
        assert summary["paid"] == len(paid)
        assert summary["paid"] + summary["pending"] + summary["not_started"] + summary[
            "failed"] == 300  # fmt: skip
        (mount / "filler").unlink()
        listed = run(small, "payments", "--limit", "1000", "--json").json["payments"]
        assert paid <= {p["payment_hash"] for p in listed if p["status"] == "SUCCEEDED"}
        ledger_doc, succeeded = settled_books(small)
        spent = len(succeeded) * (10_000 + fee(10_000))
        assert ledger_doc["channels"][0]["local_msat"] == CAPACITY_MSAT - spent


def test_a_batch_stopped_by_an_error_still_reports_what_it_did(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever error stops the batch's engine, the lines that ended are reported (and the
    rest NOT_STARTED or in flight), with the error in the summary and exit 1."""
    from lnctl import failpoints
    from lnctl.errors import StorageError

    path = _file(tmp_path, _invoices(home, 6))
    seen: list[str] = []

    def hit(name: str, env: dict[str, str]) -> None:
        if name == "after_send":
            seen.append(name)
            if len(seen) == 2:
                raise StorageError("the disk went away", code="DISK_ERROR")

    monkeypatch.setattr(failpoints, "hit", hit)
    r = run_here(home, "pay", "--file", str(path), "--concurrency", "1", "--json")
    assert r.code == 1, r.out
    summary = r.json["summary"]
    assert summary["stopped"] == {"code": "DISK_ERROR", "message": "the disk went away"}
    assert summary["paid"] == 1 and r.json["payments"][0]["status"] == "SUCCEEDED"
    assert [p["status"] for p in r.json["payments"][2:]] == ["NOT_STARTED"] * 4
    monkeypatch.undo()
    assert run_here(home, "payments", "--json").code == 0  # the one in flight is resolved
    settled_books(home)


@pytest.mark.parametrize("text", ["", "\n\n", "# nothing due today\n   \n"], ids=repr)
def test_an_empty_batch_is_nothing_to_do_exit_0(home: Path, text: str) -> None:
    """As ``xargs -r``: ``grep ... | lnctl pay --file -`` on a day with nothing to pay exits 0
    with an empty summary and one warning on stderr; nothing is opened or paid."""
    for fmt in ("--json", "--jsonl", None):
        r = run(home, "pay", "--file", "-", *([fmt] if fmt else []), input=text)
        assert r.code == 0, (fmt, r.out, r.err)
        assert r.err == "lnctl: warning: the batch has no invoice: nothing was paid\n", fmt
        if fmt == "--json":
            assert r.json["payments"] == []
            summary = r.json["summary"]
            assert (summary["total"], summary["paid"], summary["exit_code"]) == (0, 0, 0)
        elif fmt == "--jsonl":
            assert json.loads(r.out)["summary"]["total"] == 0
        else:  # the summary alone: no header without rows, no latency of nothing
            assert r.out.startswith("summary\n") and "None" not in r.out, r.out
            assert "paid         0 of 0" in r.out
    assert not home.exists() or not (home / "history.sqlite").exists()
