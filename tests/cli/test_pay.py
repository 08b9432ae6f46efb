"""lnctl pay on the simulated node, as real processes: results, exit codes, balances (issue 3)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import Result, lnctl_env, popen
from tests.helpers import (
    CAPACITY_MSAT,
    check_ledger,
    fee,
    foreign_invoice,
    network_rows,
    peer_key,
    rows,
    wait_for_attempt,
)


def local_msat(home: Path) -> int:
    return sum(ch["local_msat"] for ch in check_ledger(home)["channels"])


def remote_invoice(cli, sats: int, **kw: str) -> str:  # type: ignore[no-untyped-def]
    r = cli("simulate", "invoice", "--amount", str(sats), "--json")
    assert r.code == 0, r.err
    return str(r.json["invoice"])


def test_demo_flow(cli, home: Path) -> None:  # type: ignore[no-untyped-def]
    r = cli("demo", "--json")
    assert r.code == 0, r.err
    d = r.json
    pay = d["payment"]
    assert pay["status"] == "SUCCEEDED" and pay["attempts"] == 2
    assert pay["amount_msat"] == 100_000_000 and pay["fee_msat"] == fee(100_000_000)
    assert d["proof_ok"] is True
    assert "ln_payment_success_total 1.0" in d["metrics"]
    # a self-payment: only the fee leaves the local side
    assert local_msat(home) == CAPACITY_MSAT - fee(100_000_000)
    inv = cli("lookup", pay["payment_hash"], "--json").json["invoice"]
    assert inv["status"] == "SETTLED" and inv["memo"] == "demo"
    human = cli("demo")
    assert human.code == 0 and "SUCCEEDED" in human.out


def test_pipe_from_invoice_to_pay_with_induced_failure(home: Path) -> None:
    py = f"{sys.executable} -m lnctl"

    def shell(pipeline: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            pipeline, shell=True, env=lnctl_env(home), capture_output=True, text=True, timeout=60
        )

    proc = shell(f"{py} invoice --amount 100000 | {py} pay --induce-failure")
    assert proc.returncode == 0, proc.stderr
    assert "SUCCEEDED" in proc.stdout
    payment = rows(home, "SELECT * FROM payments")[0]
    assert payment["status"] == "SUCCEEDED" and payment["attempts"] == 2
    proc = shell(f"{py} invoice --amount 1000 --json | {py} pay --json")
    assert proc.returncode == 0, proc.stderr


def test_remote_payment_moves_amount_plus_fee_to_the_msat(cli, home: Path) -> None:  # type: ignore[no-untyped-def]
    invoice = remote_invoice(cli, 12_345)
    r = cli("pay", invoice, "--json")
    assert r.code == 0, r.err
    d = r.json
    assert d["status"] == "SUCCEEDED" and d["attempts"] == 1 and d["failure_reason"] is None
    assert d["fee_msat"] == 1000 + 12_345_000 * 100 // 1_000_000 == 2234
    import hashlib

    assert hashlib.sha256(bytes.fromhex(d["preimage"])).hexdigest() == d["payment_hash"]
    doc = check_ledger(home)
    ch = doc["channels"][0]
    assert ch["local_msat"] == CAPACITY_MSAT - 12_345_000 - 2234
    assert ch["remote_msat"] == 12_345_000 + 2234
    assert ch["inflight_msat"] == 0 and ch["htlcs"] == []
    bal = cli("channel", "balance", "--json").json
    assert bal["spendable_msat"] == ch["local_msat"] - ch["reserve_msat"]


def test_duplicates_exit_5_with_the_stored_result(cli) -> None:  # type: ignore[no-untyped-def]
    invoice = remote_invoice(cli, 1000)
    first = cli("pay", invoice, "--json").json
    again = cli("pay", invoice, "--json")
    assert again.code == 5
    assert again.json["error"]["code"] == "ALREADY_PAID"
    assert again.json["payment"]["preimage"] == first["preimage"]
    ok = cli("pay", invoice, "--if-paid", "ok", "--json")
    assert ok.code == 0 and ok.json["preimage"] == first["preimage"]
    human = cli("pay", invoice)
    assert human.code == 5 and len(human.err.strip().splitlines()) == 1


def test_two_processes_paying_one_invoice_exactly_one_pays(cli, home: Path) -> None:  # type: ignore[no-untyped-def]
    invoice = remote_invoice(cli, 5000)
    env = {"LNCTL_SIM_LATENCY_MS": "300"}
    procs = [popen(home, "pay", invoice, "--json", env=env) for _ in range(6)]
    codes = sorted(p.wait(timeout=60) for p in procs)
    for p in procs:
        p.communicate()
    assert codes == [0, 5, 5, 5, 5, 5]
    assert local_msat(home) == CAPACITY_MSAT - 5_000_000 - fee(5_000_000)
    assert len(network_rows(home, "SELECT * FROM attempts")) == 1


def test_in_flight_elsewhere_is_a_duplicate(cli, home: Path) -> None:  # type: ignore[no-untyped-def]
    invoice = remote_invoice(cli, 5000)
    slow = popen(home, "pay", invoice, "--json", env={"LNCTL_SIM_LATENCY_MS": "3000"})
    wait_for_attempt(home)
    r = cli("pay", invoice, "--json")
    assert r.code == 5 and r.json["error"]["code"] == "ALREADY_IN_FLIGHT"
    slow.communicate(timeout=30)
    assert slow.returncode == 0


@pytest.mark.parametrize("source", ["text", "json"])
def test_stdin(cli, source: str) -> None:  # type: ignore[no-untyped-def]
    r = cli("simulate", "invoice", "--amount", "700", "--json")
    text = r.out if source == "json" else f"please pay\n  {r.json['invoice'].upper()}  \nthanks"
    paid = cli("pay", "--json", input=text)
    assert paid.code == 0, paid.err
    assert paid.json["amount_msat"] == 700_000
    none = cli("pay", "--json", input="nothing here")
    assert none.code == 2 and none.json["error"]["code"] == "NO_INVOICE"


def test_no_route_is_permanent_and_recorded(cli, home: Path) -> None:  # type: ignore[no-untyped-def]
    r = cli("pay", foreign_invoice(), "--json")
    assert r.code == 3
    assert r.json["error"]["code"] == "NO_ROUTE"
    assert r.json["payment"]["status"] == "FAILED"
    assert r.json["payment"]["failure_reason"] == "NO_ROUTE"
    assert r.json["payment"]["attempts"] == 1  # the node refused it: nothing reserved
    assert local_msat(home) == CAPACITY_MSAT


def test_insufficient_balance(cli, home: Path) -> None:  # type: ignore[no-untyped-def]
    r = cli("pay", remote_invoice(cli, 995_000), "--json")
    assert r.code == 3 and r.json["error"]["code"] == "INSUFFICIENT_BALANCE"
    assert r.json["payment"]["failure_reason"] == "INSUFFICIENT_BALANCE"
    assert local_msat(home) == CAPACITY_MSAT


def test_incorrect_payment_details(cli, home: Path) -> None:  # type: ignore[no-untyped-def]
    cli("info")
    cli("simulate", "invoice", "--amount", "1")  # makes the peer
    unknown = foreign_invoice(key=peer_key(home))  # the peer never issued it
    r = cli("pay", unknown, "--json")
    assert r.code == 3 and r.json["payment"]["failure_reason"] == "INCORRECT_PAYMENT_DETAILS"
    assert local_msat(home) == CAPACITY_MSAT


def test_expired_and_wrong_network_are_refused_before_anything(cli, home: Path) -> None:  # type: ignore[no-untyped-def]
    invoice = cli("invoice", "--amount", "10", "--expiry", "1", "--json").json["invoice"]
    time.sleep(1.2)
    r = cli("pay", invoice, "--json")
    assert r.code == 2 and r.json["error"]["code"] == "INVOICE_EXPIRED"
    r = cli("pay", foreign_invoice(network="bitcoin"), "--json")
    assert r.code == 2 and r.json["error"]["code"] == "WRONG_NETWORK"
    assert rows(home, "SELECT * FROM payments") == []


def test_fee_limit_exceeded(cli, home: Path) -> None:  # type: ignore[no-untyped-def]
    r = cli("pay", remote_invoice(cli, 1000), "--max-fee", "0", "--json")
    assert r.code == 3 and r.json["payment"]["failure_reason"] == "FEE_LIMIT_EXCEEDED"
    assert local_msat(home) == CAPACITY_MSAT


def test_amount_rules(cli) -> None:  # type: ignore[no-untyped-def]
    amountless = cli("simulate", "invoice", "--json").json["invoice"]
    assert cli("pay", amountless, "--json").json["error"]["code"] == "AMOUNT_REQUIRED"
    r = cli("pay", amountless, "--amount", "321", "--json")
    assert r.code == 0 and r.json["amount_msat"] == 321_000
    fixed = remote_invoice(cli, 5)
    r = cli("pay", fixed, "--amount", "5", "--json")
    assert r.code == 2 and r.json["error"]["code"] == "AMOUNT_NOT_ALLOWED"


def test_retries_then_success_and_retries_exhausted(cli, home: Path) -> None:  # type: ignore[no-untyped-def]
    r = cli("pay", remote_invoice(cli, 100), "--induce-failure", "2", "--json")
    assert r.code == 0 and r.json["attempts"] == 3
    r = cli("pay", remote_invoice(cli, 100), "--induce-failure", "3", "--retries", "3", "--json")
    assert r.code == 4
    assert r.json["payment"]["failure_reason"] == "TEMPORARY_CHANNEL_FAILURE"
    assert r.json["payment"]["attempts"] == 3
    check_ledger(home)
    assert local_msat(home) == CAPACITY_MSAT - 100_000 - fee(100_000)


def test_transient_failures_until_the_timeout(cli) -> None:  # type: ignore[no-untyped-def]
    started = time.monotonic()
    r = cli(
        "pay",
        remote_invoice(cli, 100),
        "--retries",
        "50",
        "--timeout",
        "1.5",
        "--json",
        env={"LNCTL_SIM_FAILURE_RATE": "1"},
    )
    assert r.code == 4 and r.json["payment"]["failure_reason"] == "TIMEOUT"
    assert 1 < r.json["payment"]["attempts"] < 50
    assert time.monotonic() - started < 10


def test_outcome_unknown_at_timeout_is_pending_then_looked_up(cli, home: Path) -> None:  # type: ignore[no-untyped-def]
    invoice = remote_invoice(cli, 2000)
    r = cli("pay", invoice, "--timeout", "0.5", "--json", env={"LNCTL_SIM_LATENCY_MS": "2000"})
    assert r.code == 6, r.out
    assert r.json["payment"]["status"] == "IN_FLIGHT"
    h = r.json["payment"]["payment_hash"]
    assert cli("pay", invoice, "--json").code == 5  # never re-sent while pending
    assert (
        cli("channel", "close", "800000x1x0", "--json").json["error"]["code"] == "HTLCS_IN_FLIGHT"
    )
    time.sleep(2)
    looked = cli("lookup", h, "--json").json["payment"]
    assert looked["status"] == "SUCCEEDED" and looked["attempts"] == 1
    assert len(network_rows(home, "SELECT * FROM attempts")) == 1
    assert local_msat(home) == CAPACITY_MSAT - 2_000_000 - fee(2_000_000)


def test_dry_run_moves_nothing_and_predicts_the_exit_code(cli, home: Path) -> None:  # type: ignore[no-untyped-def]
    invoice = remote_invoice(cli, 1000)
    r = cli("pay", invoice, "--dry-run", "--json")
    assert r.code == 0
    d = r.json
    assert d["exit_code"] == 0 and d["fee_msat"] == fee(1_000_000)
    assert d["channel_id"] == "800000x1x0"
    assert rows(home, "SELECT * FROM payments") == []
    big = cli("pay", remote_invoice(cli, 999_999), "--dry-run", "--json")
    assert big.code == 3 and big.json["failure_reason"] == "INSUFFICIENT_BALANCE"
    cli("pay", invoice)
    assert cli("pay", invoice, "--dry-run", "--json").code == 5
    assert local_msat(home) == CAPACITY_MSAT - 1_000_000 - fee(1_000_000)


def test_receive_with_simulate_pay_and_channels(cli, home: Path) -> None:  # type: ignore[no-untyped-def]
    mine = cli("invoice", "--amount", "3000", "--json").json
    assert cli("channel", "close", "800001x1x0", "--json").code == 0  # the first use's inbound
    r = cli("simulate", "pay", mine["invoice"], "--json")
    assert r.code == 3 and r.json["error"]["code"] == "INSUFFICIENT_BALANCE"  # no inbound now
    peer = cli("simulate", "invoice", "--json").json["payee"]
    opened = cli(
        "channel", "open", "--peer", peer, "--capacity", "500000", "--push", "200000", "--json"
    ).json
    assert opened["local_msat"] == 300_000_000 and opened["remote_msat"] == 200_000_000
    assert opened["reserve_msat"] == 5_000_000
    r = cli("simulate", "pay", mine["invoice"], "--json")
    assert r.code == 0 and r.json["status"] == "SETTLED"
    chans = {c["channel_id"]: c for c in check_ledger(home)["channels"]}
    assert chans[opened["channel_id"]]["local_msat"] == 303_000_000
    assert cli("lookup", mine["payment_hash"], "--json").json["invoice"]["status"] == "SETTLED"
    assert cli("simulate", "pay", mine["invoice"], "--json").code == 5
    # paying our own settled invoice is refused by the "network"
    r = cli("pay", mine["invoice"], "--json")
    assert r.code == 3 and r.json["payment"]["failure_reason"] == "INCORRECT_PAYMENT_DETAILS"
    closed = cli("channel", "close", opened["channel_id"], "--json")
    assert closed.code == 0 and closed.json["state"] == "CLOSED"
    assert cli("channel", "close", opened["channel_id"], "--json").code == 2
    listed = cli("channel", "list")
    assert listed.code == 0 and "CLOSED" in listed.out
    bad = cli("channel", "open", "--peer", "02" + "00" * 32, "--capacity", "1", "--json")
    assert bad.code == 2


def test_payments_listing_and_lookup(cli) -> None:  # type: ignore[no-untyped-def]
    ok = cli("pay", remote_invoice(cli, 10), "--json").json
    cli("pay", foreign_invoice(), "--json")
    listed = cli("payments", "--json").json["payments"]
    assert [p["status"] for p in listed] == ["FAILED", "SUCCEEDED"]
    assert [
        p["status"] for p in cli("payments", "--status", "succeeded", "--json").json["payments"]
    ] == ["SUCCEEDED"]
    page = cli("payments", "--limit", "1", "--json").json
    assert len(page["payments"]) == 1 and page["next_cursor"]
    found = cli("lookup", ok["payment_hash"], "--json").json
    assert found["payment"]["preimage"] == ok["preimage"] and found["invoice"] is None
    assert cli("lookup", "00" * 32, "--json").code == 2
    assert cli("lookup", "xyz", "--json").code == 2


def test_forty_concurrent_payments_never_overdraw_one_channel(cli, home: Path) -> None:  # type: ignore[no-untyped-def]
    r = cli("simulate", "invoice", "--amount", "30000", "--count", "40", "--json")
    invoices = [d["invoice"] for d in r.json]
    env = {"LNCTL_SIM_LATENCY_MS": "100"}
    procs = [popen(home, "pay", inv, "--json", env=env) for inv in invoices]
    results = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        results.append(Result(p.returncode, out, err))
    codes = [r.code for r in results]
    assert set(codes) <= {0, 3}, [r.err for r in results if r.code not in (0, 3)]
    for r in results:
        assert "lock" not in r.err.lower() and "corrupt" not in r.err.lower()
        if r.code == 3:
            assert r.json["error"]["code"] == "INSUFFICIENT_BALANCE"
    paid = codes.count(0)
    # reservations are at most amount + 1% cap = 30,300 sat: the first 32 always fit in
    # 990,000 sat spendable, and 33 payments of 30,004 sat cannot
    assert paid == 32
    doc = check_ledger(home)
    ch = doc["channels"][0]
    spent = paid * (30_000_000 + fee(30_000_000))
    assert ch["local_msat"] == CAPACITY_MSAT - spent and ch["remote_msat"] == spent
    assert ch["inflight_msat"] == 0
    assert len(rows(home, "SELECT * FROM payments WHERE status = 'SUCCEEDED'")) == paid


def test_interrupted_payment_exits_130_and_is_resolved_later(cli, home: Path) -> None:  # type: ignore[no-untyped-def]
    import signal

    invoice = remote_invoice(cli, 3000)
    proc = popen(home, "pay", invoice, "--json", env={"LNCTL_SIM_LATENCY_MS": "1500"})
    wait_for_attempt(home)  # the attempt is on the network, its outcome not known yet
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    import json

    assert json.loads(out)["error"]["code"] == "INTERRUPTED"
    time.sleep(1.6)
    looked = cli("lookup", rows(home, "SELECT payment_hash FROM payments")[0][0], "--json")
    assert looked.json["payment"]["status"] == "SUCCEEDED"  # resolved, not sent twice
    assert len(network_rows(home, "SELECT * FROM attempts")) == 1
    assert local_msat(home) == CAPACITY_MSAT - 3_000_000 - fee(3_000_000)


def test_unsupported_backend_is_refused(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("channel", "list", "--json", env={"LNCTL_BACKEND": "lnbits"})
    assert r.code == 2 and r.json["error"]["code"] == "UNSUPPORTED_BACKEND", r.out
    r = cli("invoice", "--amount", "1", "--json", env={"LNCTL_BACKEND": "lnbits"})
    assert r.code == 2 and r.json["error"]["code"] == "LNBITS_URL_MISSING", r.out
    r = cli("info", "--json", env={"LNCTL_BACKEND": "nope"})
    assert r.code == 2 and r.json["error"]["code"] == "INVALID_BACKEND"


def test_amounts_beyond_all_bitcoin_are_refused(cli) -> None:  # type: ignore[no-untyped-def]
    huge = str(21_000_000 * 10**8 + 1)  # sats
    for args in (
        ["simulate", "invoice", "--amount", huge],
        ["pay", foreign_invoice(amount_msat=None), "--amount", huge],
        [
            "channel",
            "open",
            "--peer",
            cli("simulate", "invoice", "--json").json["payee"],
            "--capacity",
            huge,
        ],
    ):
        r = cli(*args, "--json")
        assert r.code == 2 and r.json["error"]["code"] == "INVALID_AMOUNT", (args, r.out)


def test_own_invoice_can_be_received_after_a_failed_self_payment(cli, home: Path) -> None:  # type: ignore[no-untyped-def]
    mine = cli("invoice", "--amount", "1000", "--json").json
    assert cli("pay", mine["invoice"], "--max-fee", "0", "--json").code == 3
    peer = cli("simulate", "invoice", "--json").json["payee"]
    cli("channel", "open", "--peer", peer, "--capacity", "100000", "--push", "50000")
    r = cli("simulate", "pay", mine["invoice"], "--json")
    assert r.code == 0 and r.json["status"] == "SETTLED"
    assert cli("pay", mine["invoice"], "--json").json["payment"]["failure_reason"] == (
        "INCORRECT_PAYMENT_DETAILS"
    )
