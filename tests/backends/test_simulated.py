"""The simulated node's own behaviour: its ledger on disk, latency and faults, and the crash
windows it resolves by itself (issue #8's defects included)."""

from __future__ import annotations

import json
import multiprocessing
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from lnctl import bolt11
from lnctl.backends.base import (
    INSUFFICIENT_BALANCE,
    NO_ROUTE,
    TEMPORARY_CHANNEL_FAILURE,
    PaymentState,
    PaymentStatus,
)
from lnctl.backends.channels import IN, OUT
from lnctl.backends.outcome import pay as outcome_pay
from lnctl.backends.simulated import SimSettings, SimulatedBackend, routing_fee_msat
from lnctl.backends.simulated import ledger as L
from lnctl.deadline import Deadline
from lnctl.errors import CorruptStateError, StorageError
from tests.helpers import foreign_invoice

OPENED: list[SimulatedBackend] = []


def pay(
    n: SimulatedBackend,
    inv: bolt11.Invoice,
    amount_msat: int,
    max_fee_msat: int,
    *,
    timeout_s: float,
    induce_failure: bool = False,
) -> PaymentStatus:
    """One payment through the node, its answer concluded as the wallet concludes it."""
    return outcome_pay(
        n, inv, amount_msat, max_fee_msat, deadline=Deadline.after(timeout_s),
        induce_failure=induce_failure,
    )  # fmt: skip


@pytest.fixture(autouse=True)
def _close_nodes() -> Iterator[None]:
    """Every node a test opened is closed after it, as the wallet closes its own (Python 3.13
    warns of an SQLite connection left open)."""
    yield
    while OPENED:
        OPENED.pop().close()


def node(home: Path, create: bool = True, **settings: object) -> SimulatedBackend:
    opened = SimulatedBackend(
        str(home),
        str(home / "secrets" / "node.key"),
        "regtest",
        SimSettings(**settings),  # type: ignore[arg-type]
        create=create,
    )
    OPENED.append(opened)
    return opened


def peer_invoice(n: SimulatedBackend, msat: int = 50_000) -> bolt11.Invoice:
    [new] = n.create_remote_invoices(msat, "sim", 3600, 1)
    return bolt11.decode(new.bolt11)


def ledger_doc(home: Path) -> dict:  # type: ignore[type-arg]
    return json.loads((home / "simnet" / "channels.json").read_text())  # type: ignore[no-any-return]


def test_first_channel_and_exact_amounts(tmp_path: Path) -> None:
    n = node(tmp_path)
    [ch, inbound] = n.channels()  # 1,000,000 sat to send, 1,000,000 sat to receive
    assert (ch["capacity_msat"], ch["local_msat"], ch["reserve_msat"]) == (
        1_000_000_000,
        1_000_000_000,
        10_000_000,
    )
    assert (inbound["capacity_msat"], inbound["local_msat"], inbound["remote_msat"]) == (
        1_000_000_000,
        0,
        1_000_000_000,
    )
    assert n.balance().spendable_msat == n.balance().receivable_msat == 990_000_000
    result = pay(n, peer_invoice(n, 12_345_000), 12_345_000, 100_000, timeout_s=5)
    assert result.fee_msat == routing_fee_msat(12_345_000) == 2234
    [ch, inbound] = n.channels()
    assert ch["local_msat"] == 1_000_000_000 - 12_345_000 - 2234
    assert ch["remote_msat"] == 12_345_000 + 2234 and ch["htlcs"] == []
    assert inbound["local_msat"] == 0  # an outgoing payment takes the channel that can spend
    assert ledger_doc(tmp_path)["schema_version"] == L.SCHEMA_VERSION


def test_pending_until_resolved_and_never_sent_twice_meanwhile(tmp_path: Path) -> None:
    n = node(tmp_path, latency_ms=600)
    inv = peer_invoice(n)
    first = pay(n, inv, 50_000, 10_000, timeout_s=0.1)
    assert first.state == PaymentState.PENDING
    again = pay(n, inv, 50_000, 10_000, timeout_s=0.1)
    assert again.duplicate and again.state == PaymentState.PENDING
    assert n.balance().inflight_msat == 50_000 + routing_fee_msat(50_000)
    time.sleep(0.6)
    assert n.payment_status(inv.payment_hash).state == PaymentState.SUCCEEDED
    assert n.balance().inflight_msat == 0


def test_transient_failure_then_retry_succeeds(tmp_path: Path) -> None:
    n = node(tmp_path)
    inv = peer_invoice(n)
    first = pay(n, inv, 50_000, 10_000, timeout_s=1, induce_failure=True)
    assert first.state == PaymentState.FAILED and first.transient
    assert first.failure_reason == TEMPORARY_CHANNEL_FAILURE
    assert pay(n, inv, 50_000, 10_000, timeout_s=1).state == PaymentState.SUCCEEDED


def test_refusals_at_our_node_reserve_nothing(tmp_path: Path) -> None:
    n = node(tmp_path)
    foreign = bolt11.decode(foreign_invoice())
    assert pay(n, foreign, 1_000_000, 10_000, timeout_s=1).failure_reason == NO_ROUTE
    big = peer_invoice(n, 995_000_000)
    assert pay(n, big, 995_000_000, 10**7, timeout_s=1).failure_reason == INSUFFICIENT_BALANCE
    assert n.balance().inflight_msat == 0


def test_seeded_failures_are_reproducible(tmp_path: Path) -> None:
    def outcomes(seed: str) -> list[bool]:
        n = node(tmp_path, failure_rate=0.5, seed=seed)
        return [n._transient_failure("ab" * 32, attempt) for attempt in range(1, 40)]

    first = outcomes("42")
    assert first == outcomes("42") and first != outcomes("43")
    assert 5 < sum(first) < 35


def test_outgoing_over_a_leftover_incoming_htlc_of_the_same_hash(tmp_path: Path) -> None:
    """Issue #8 (4): an HTLC is one per hash *and direction*; an outgoing reservation is never
    taken for an incoming one of the same hash."""
    n = node(tmp_path)
    n.open_channel(n.peer_id, 20_000_000, 15_000_000)
    inv = peer_invoice(n, 2_000_000)
    with n.lock:  # a leftover incoming HTLC of the same hash (as a crash would leave)
        doc = n.ledger.read()
        L.reserve(doc["channels"][2], inv.payment_hash, 2_000_000, IN, 1)
        n._write_ledger(doc)
    result = pay(n, inv, 2_000_000, 100_000, timeout_s=1)
    assert result.state == PaymentState.SUCCEEDED and result.fee_msat == routing_fee_msat(2_000_000)
    chans = n.channels()  # the leftover incoming HTLC (never paid) was released
    assert all(ch["htlcs"] == [] for ch in chans)
    assert chans[0]["local_msat"] == 1_000_000_000 - 2_000_000 - routing_fee_msat(2_000_000)
    assert chans[2]["local_msat"] == 5_000_000


def test_an_htlc_whose_attempt_was_never_recorded_is_released(tmp_path: Path) -> None:
    n = node(tmp_path)
    with n.lock:  # a process died between reserving and recording its attempt
        doc = n.ledger.read()
        L.reserve(doc["channels"][0], "ab" * 32, 7_000, OUT, 1)
        n._write_ledger(doc)
    n.close()
    again = node(tmp_path, create=False)
    assert again.channels()[0]["htlcs"] == [] and again.channels()[0]["local_msat"] == 10**9


def test_missing_or_corrupt_channel_file_is_refused_never_recreated(tmp_path: Path) -> None:
    n = node(tmp_path)
    n.close()
    path = tmp_path / "simnet" / "channels.json"
    path.rename(tmp_path / "aside.json")
    with pytest.raises(CorruptStateError, match="missing"):
        node(tmp_path, create=False)
    with pytest.raises(CorruptStateError, match="missing"):
        node(tmp_path, create=True)  # even where a first use would be allowed
    assert not path.exists()
    path.write_text("{not json")
    with pytest.raises(CorruptStateError) as info:
        node(tmp_path).channels()  # refused where it is read
    assert "restore" in info.value.hint and path.read_text() == "{not json"
    doc = json.loads((tmp_path / "aside.json").read_text())
    doc["schema_version"] = 99
    path.write_text(json.dumps(doc))
    with pytest.raises(CorruptStateError) as info:
        node(tmp_path).channels()  # refused where it is read
    assert info.value.code == "UNKNOWN_SCHEMA"
    doc["schema_version"] = L.SCHEMA_VERSION
    doc["channels"][0]["local_msat"] += 1  # the invariant broken on disk
    path.write_text(json.dumps(doc))
    with pytest.raises(CorruptStateError):
        node(tmp_path).channels()  # refused where it is read
    del doc["channels"][0]["peer"]
    doc["channels"][0]["local_msat"] -= 1
    path.write_text(json.dumps(doc))
    with pytest.raises(CorruptStateError, match="lacks peer"):
        node(tmp_path).channels()  # refused where it is read


def test_missing_node_state_is_refused_when_not_new(tmp_path: Path) -> None:
    with pytest.raises(CorruptStateError, match="missing"):
        node(tmp_path, create=False)
    assert not (tmp_path / "simnet").exists()


def test_temp_files_left_by_a_crash_are_swept(tmp_path: Path) -> None:
    n = node(tmp_path)
    stale = tmp_path / "simnet" / ".channels.json.999999999.deadbeef.tmp"
    stale.write_text("half written")
    pay(n, peer_invoice(n, 1000), 1000, 5000, timeout_s=1)
    assert not stale.exists()


def test_the_node_lock_wait_is_bounded(tmp_path: Path) -> None:
    n = node(tmp_path)
    other = L.NodeLock(str(tmp_path / "simnet"), wait_s=0.2)
    with n.lock, pytest.raises(StorageError) as info:
        other.__enter__()
    assert info.value.code == "LOCK_TIMEOUT"


def test_the_node_lock_is_held_against_another_process_and_other_threads(tmp_path: Path) -> None:
    import subprocess
    import sys
    import threading

    n = node(tmp_path)
    path = tmp_path / "simnet" / "channels.json.lock"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import fcntl, os, sys, time; fd = os.open(sys.argv[1], os.O_RDWR); "
         "fcntl.flock(fd, fcntl.LOCK_EX); print('held', flush=True); time.sleep(1.0)", str(path)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    with pytest.raises(StorageError) as info, L.NodeLock(str(tmp_path / "simnet"), wait_s=0.2):
        pass
    assert info.value.code == "LOCK_TIMEOUT"
    with L.NodeLock(str(tmp_path / "simnet"), wait_s=10):  # waits for the process to end
        assert holder.poll() is not None
    holder.wait()
    holder.stdout.close()
    order: list[str] = []

    def other_thread() -> None:
        with L.NodeLock(str(tmp_path / "simnet")):
            order.append("b")

    with n.lock:
        waiter = threading.Thread(target=other_thread)
        waiter.start()
        waiter.join(0.3)
        order.append("a")  # the other thread is still waiting for this one
    waiter.join(5)
    assert order == ["a", "b"]


def _hammer(home: str, invoices: list[str]) -> None:
    n = node(Path(home), create=False)
    for text in invoices:
        inv = bolt11.decode(text)
        assert pay(n, inv, 1000, 5000, timeout_s=5).state == PaymentState.SUCCEEDED
    n.close()


def test_concurrent_processes_lose_no_update(tmp_path: Path) -> None:
    n = node(tmp_path)
    batches = [
        [new.bolt11 for new in n.create_remote_invoices(1000, "", 3600, 20)] for _ in range(8)
    ]
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_hammer, args=(str(tmp_path), b)) for b in batches]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    [ch, inbound] = n.channels()
    assert inbound["remote_msat"] == inbound["capacity_msat"]  # paying out never takes it
    assert ch["remote_msat"] == 160 * (1000 + routing_fee_msat(1000))  # none lost
    assert ch["local_msat"] + ch["remote_msat"] == ch["capacity_msat"]
