"""kill -9 at every named crash point and at random moments: nothing lost, doubled or stuck."""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest

from lnctl.failpoints import POINTS
from tests.conftest import popen, run
from tests.helpers import CAPACITY_MSAT, check_ledger, fee, network_rows, settled_books

AMOUNT_MSAT = 1_000_000


def _local(home: Path) -> int:
    return sum(ch["local_msat"] for ch in check_ledger(home)["channels"])


def _remote_invoice(home: Path, sats: int = 1000) -> str:
    return str(run(home, "simulate", "invoice", "--amount", str(sats), "--json").json["invoice"])


# named crash point, pay options that reach it, what recovery must conclude
PAY_CASES: list[tuple[str, list[str], str]] = [
    ("after_claim", [], "FAILED"),  # nothing asked of the node
    ("before_send", [], "FAILED"),  # the embedded node never had it
    ("node_after_reserve", [], "FAILED"),  # reserved, never recorded: the node releases it
    ("node_after_record", [], "SUCCEEDED"),  # decided; the node settles it on its own
    ("node_after_settle", [], "SUCCEEDED"),
    ("after_send", [], "SUCCEEDED"),  # the node answered; the history had not recorded it
]
# the first attempt fails for sure, and the process dies before its HTLC is released
RETRY_CASE = ("node_after_record", ["--induce-failure", "3", "--retries", "3"], "FAILED")
RECEIVE_CASES = [
    ("incoming_after_reserve", False),
    ("incoming_after_record", True),
]
CHANNEL_POINT = "channel_after_record"
ROTATION_POINTS = ["rotate_after_new_key", "rotate_mid_reencrypt", "rotate_before_retire"]


@pytest.mark.parametrize(("point", "args", "outcome"), [*PAY_CASES, RETRY_CASE])
@pytest.mark.parametrize("self_payment", [False, True], ids=["remote", "self"])
def test_kill_at_each_payment_crash_point(
    home: Path, point: str, args: list[str], outcome: str, self_payment: bool
) -> None:
    if self_payment:
        invoice = run(home, "invoice", "--amount-msat", str(AMOUNT_MSAT), "--json").json["invoice"]
    else:
        invoice = _remote_invoice(home)
    r = run(home, "pay", invoice, "--json", *args, env={"LNCTL_FAILPOINT": point})
    assert r.code == -9, (r.code, r.err)
    recovered = run(home, "payments", "--json")  # any command recovers first
    assert recovered.code == 0, recovered.err
    [payment] = recovered.json["payments"]
    assert payment["status"] == outcome, payment
    doc = check_ledger(home)
    assert all(not ch["htlcs"] for ch in doc["channels"])
    spent = fee(AMOUNT_MSAT) + (0 if self_payment else AMOUNT_MSAT)
    assert _local(home) == CAPACITY_MSAT - (spent if outcome == "SUCCEEDED" else 0)
    network_success = network_rows(home, "SELECT * FROM attempts WHERE outcome = 'SUCCEEDED'")
    assert len(network_success) == (1 if outcome == "SUCCEEDED" else 0)
    if self_payment:
        looked = run(home, "invoices", "--json").json["invoices"][0]
        assert looked["status"] == ("SETTLED" if outcome == "SUCCEEDED" else "OPEN")
    again = run(home, "pay", invoice, "--json")
    assert again.code == (5 if outcome == "SUCCEEDED" else 0), again.out
    assert _local(home) == CAPACITY_MSAT - spent  # debited exactly once in the end


def _with_inbound(home: Path) -> str:
    """A channel of 100,000 sat, half of it pushed: the only one to receive by (the first use's
    inbound channel closed)."""
    peer = run(home, "simulate", "invoice", "--json").json["payee"]
    assert run(home, "channel", "close", "800001x1x0").code == 0
    return str(
        run(
            home,
            "channel",
            "open",
            "--peer",
            peer,
            "--capacity",
            "100000",
            "--push",
            "50000",
            "--json",
        ).json["channel_id"]
    )


@pytest.mark.parametrize(
    ("point", "settled"),
    RECEIVE_CASES,
)
def test_kill_at_each_receive_crash_point(home: Path, point: str, settled: bool) -> None:
    channel = _with_inbound(home)
    invoice = run(home, "invoice", "--amount", "2000", "--json").json
    r = run(home, "simulate", "pay", invoice["invoice"], env={"LNCTL_FAILPOINT": point})
    assert r.code == -9
    looked = run(home, "lookup", invoice["payment_hash"], "--json").json["invoice"]
    assert looked["status"] == ("SETTLED" if settled else "OPEN")
    chans = {c["channel_id"]: c for c in check_ledger(home)["channels"]}
    assert chans[channel]["htlcs"] == []
    assert chans[channel]["local_msat"] == 50_000_000 + (2_000_000 if settled else 0)
    assert chans[channel]["remote_msat"] == 50_000_000 - (2_000_000 if settled else 0)
    if not settled:
        assert run(home, "simulate", "pay", invoice["invoice"]).code == 0
        assert _local(home) == CAPACITY_MSAT + 52_000_000


@pytest.mark.parametrize("action", ["open", "close"])
def test_kill_between_a_channel_change_and_its_restamp(home: Path, action: str) -> None:
    """Killed after the record noted the channel change, before the ledger was stamped again:
    the change stands, and the next change goes on from there."""
    peer = run(home, "simulate", "invoice", "--json").json["payee"]
    args = ["channel", "open", "--peer", peer, "--capacity", "20000", "--json"]
    if action == "close":
        channel = run(home, *args).json["channel_id"]
        args = ["channel", "close", channel, "--json"]
    r = run(home, *args, env={"LNCTL_FAILPOINT": CHANNEL_POINT})
    assert r.code == -9
    listed = run(home, "channel", "list", "--json")
    assert listed.code == 0, listed.err
    states = {c["channel_id"]: c["state"] for c in check_ledger(home)["channels"]}
    # the first use's two, and the one opened (and closed)
    assert sorted(states.values()) == ["CLOSED" if action == "close" else "OPEN", "OPEN", "OPEN"]
    expected = CAPACITY_MSAT + 20_000_000  # a closed channel keeps its last balances
    assert _local(home) == expected
    opened = run(home, "channel", "open", "--peer", peer, "--capacity", "30000", "--json")
    assert opened.code == 0, opened.err
    assert _local(home) == expected + 30_000_000


def test_every_named_point_is_tested() -> None:
    covered = {c[0] for c in PAY_CASES} | {c[0] for c in RECEIVE_CASES} | set(ROTATION_POINTS)
    covered.add(CHANNEL_POINT)
    assert covered == set(POINTS)  # rotation points: tests/cli/test_memo_cli.py


@pytest.mark.slow
def test_kill_at_random_moments(home: Path) -> None:
    rng = random.Random(20261128)
    channel = _with_inbound(home)
    initial_local = _local(home)
    received = 0
    for _ in range(6):
        invoices = [
            d["invoice"]
            for d in run(
                home, "simulate", "invoice", "--amount", "1000", "--count", "6", "--json"
            ).json
        ]
        mine = [run(home, "invoice", "--amount", "500", "--json").json["invoice"] for _ in range(2)]
        env = {"LNCTL_SIM_LATENCY_MS": str(rng.choice([0, 50, 200]))}
        procs = [
            popen(home, "pay", inv, "--json", "--induce-failure", str(rng.randint(0, 2)), env=env)
            for inv in invoices
        ]
        procs += [popen(home, "simulate", "pay", inv, "--json") for inv in mine]
        time.sleep(rng.uniform(0.05, 0.6))
        for p in procs:
            p.kill()
        for p in procs:
            p.communicate()
        time.sleep(0.25)  # let the slowest attempts resolve on the network
        assert run(home, "payments", "--limit", "1").code == 0  # recovers
        doc, succeeded = settled_books(home)
        listed = run(home, "invoices", "--limit", "1000", "--json").json["invoices"]
        settled = {i["payment_hash"] for i in listed if i["status"] == "SETTLED"}
        paid_in = {r["payment_hash"] for r in network_rows(home, "SELECT * FROM incoming")}
        assert settled == paid_in
        received = 500_000 * len(paid_in)
        spent = len(succeeded) * (1_000_000 + fee(1_000_000))
        assert _local(home) == initial_local - spent + received
        assert doc["channels"][2]["channel_id"] == channel
