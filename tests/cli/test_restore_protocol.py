"""Issue #20 (1, 2, 4): the wallet's files vouch for each other. A file put back from an older
backup (any subset of the history, the node's record and the channel ledger) is refused
CORRUPT_STATE with the files untouched, or, for the history alone, brought up to date from the
node; no restore pays an invoice twice or creates sats. Crash windows: tests/cli/test_crash.py
and tests/unit/test_state_machine.py (the same checks run after every kill)."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from lnctl.backends.simulated.store import MIGRATIONS
from tests.conftest import Result, run_here
from tests.helpers import CAPACITY_MSAT, check_ledger, fee, ledger, network_rows

# the files of each store (a SQLite store with its -wal and -shm files)
GROUPS = {
    "history": ["history.sqlite", "history.sqlite-wal", "history.sqlite-shm"],
    "record": ["simnet/network.sqlite", "simnet/network.sqlite-wal", "simnet/network.sqlite-shm"],
    "ledger": ["simnet/channels.json"],
}


def _json(home: Path, *args: str, env: dict[str, str] | None = None) -> Result:
    return run_here(home, *args, "--json", env=env)


def _copy(home: Path, to: Path) -> Path:
    """A copy of the whole home, as a backup tool makes it (the lnctl in this process has
    every store closed between commands)."""
    shutil.copytree(home, to)
    return to


def _restore(home: Path, backup: Path, *groups: str) -> None:
    for group in groups:
        for name in GROUPS[group]:
            (home / name).unlink(missing_ok=True)
            if (backup / name).exists():
                shutil.copy2(backup / name, home / name)


def _files(home: Path) -> dict[str, bytes]:
    return {
        name: (home / name).read_bytes()
        for names in GROUPS.values()
        for name in names
        if (home / name).exists()
    }


def _refused(r: Result) -> bool:
    return r.code == 1 and r.json["error"]["code"] == "CORRUPT_STATE"


def _local(home: Path) -> int:
    return sum(ch["local_msat"] for ch in check_ledger(home)["channels"])


def _peer_invoice(home: Path, sats: int) -> str:
    r = _json(home, "simulate", "invoice", "--amount", str(sats))
    assert r.code == 0, r.err
    return str(r.json["invoice"])


def _assert_refused_untouched(home: Path, *args: str) -> Result:
    before = _files(home)
    r = _json(home, *args)
    assert _refused(r), (r.code, r.out, r.err)
    assert "backup" in r.json["error"]["message"] + r.json["error"]["hint"]
    assert _files(home) == before  # nothing written, nothing created
    return r


# -- the four restores of the issue ------------------------------------------------------------


def test_history_and_record_restored_ledger_kept_never_pays_again(
    home: Path, tmp_path: Path
) -> None:
    """(a) the same invoice was paid again, exit 0, debited twice."""
    assert _json(home, "info").code == 0
    backup = _copy(home, tmp_path / "backup")
    invoice = _peer_invoice(home, 10_000)
    assert _json(home, "pay", invoice).code == 0
    spent = _local(home)
    _restore(home, backup, "history", "record")
    r = _assert_refused_untouched(home, "pay", invoice)
    assert "network.sqlite" in r.json["error"]["message"]
    assert _local(home) == spent == CAPACITY_MSAT - 10_000_000 - fee(10_000_000)


def test_only_the_ledger_restored_after_a_payment_is_refused(home: Path, tmp_path: Path) -> None:
    """(b) the sats of a 500,000-sat payment were spendable again."""
    assert _json(home, "info").code == 0
    backup = _copy(home, tmp_path / "backup")
    assert _json(home, "pay", _peer_invoice(home, 500_000)).code == 0
    _restore(home, backup, "ledger")
    for args in (["pay", "lnbcrt1"], ["channel", "balance"], ["payments"], ["info"]):
        r = _assert_refused_untouched(home, *args)
        assert "channels.json" in r.json["error"]["message"], args
    assert _local(home) == CAPACITY_MSAT  # the old file, left as it was put back


def test_only_the_record_restored_is_noticed(home: Path, tmp_path: Path) -> None:
    """(c) nothing noticed."""
    assert _json(home, "invoice", "--amount", "5").code == 0
    backup = _copy(home, tmp_path / "backup")
    invoice = _peer_invoice(home, 2_000)
    assert _json(home, "pay", invoice).code == 0
    _restore(home, backup, "record")
    for args in (["payments"], ["invoices"], ["pay", invoice], ["simulate", "invoice"]):
        _assert_refused_untouched(home, *args)


def test_record_and_history_deleted_ledger_kept_is_refused(home: Path) -> None:
    """(d) a fresh record silently started on the old ledger."""
    invoice = _peer_invoice(home, 3_000)
    assert _json(home, "pay", invoice).code == 0
    for group in ("history", "record"):
        for name in GROUPS[group]:
            (home / name).unlink(missing_ok=True)
    before = (home / "simnet" / "channels.json").read_bytes()
    for args in (["pay", invoice], ["info"], ["invoice", "--amount", "1"]):
        r = _json(home, *args)
        assert _refused(r), r.out
        assert "network.sqlite" in r.json["error"]["message"]
        assert not (home / "simnet" / "network.sqlite").exists()  # no node minted
        assert (home / "simnet" / "channels.json").read_bytes() == before


def test_the_node_files_restored_together_are_refused_by_the_history(
    home: Path, tmp_path: Path
) -> None:
    """simnet/ put back whole (record and ledger agree with each other): the history has seen
    the record further, and the sats of what it paid since would be spent again."""
    assert _json(home, "info").code == 0
    backup = _copy(home, tmp_path / "backup")
    assert _json(home, "pay", _peer_invoice(home, 7_000)).code == 0
    _restore(home, backup, "record", "ledger")
    r = _assert_refused_untouched(home, "channel", "balance")
    assert "older than this wallet's history" in r.json["error"]["message"]


def test_a_closed_channel_cannot_be_reopened_by_a_restore(home: Path, tmp_path: Path) -> None:
    peer = _json(home, "simulate", "invoice").json["payee"]
    opened = _json(home, "channel", "open", "--peer", peer, "--capacity", "20000").json
    backup = _copy(home, tmp_path / "backup")
    assert _json(home, "channel", "close", opened["channel_id"]).code == 0
    for groups in (("ledger",), ("record", "ledger")):
        restored = _copy(home, tmp_path / "-".join(groups))
        _restore(restored, backup, *groups)
        _assert_refused_untouched(restored, "channel", "list")


@pytest.mark.parametrize("action", ["open", "close"])
def test_a_channel_change_cannot_be_undone_one_store_at_a_time(
    home: Path, tmp_path: Path, action: str
) -> None:
    """After a channel is opened (or closed), the record put back from before it is refused,
    with or without the history: accepted as a crash between the ledger and the record, it
    would let the older ledger in next, and the change would be undone unnoticed."""
    peer = _json(home, "simulate", "invoice").json["payee"]
    if action == "close":
        opened = _json(home, "channel", "open", "--peer", peer, "--capacity", "20000").json
    backup = _copy(home, tmp_path / "backup")
    if action == "open":
        r = _json(home, "channel", "open", "--peer", peer, "--capacity", "20000")
    else:
        r = _json(home, "channel", "close", opened["channel_id"])
    assert r.code == 0, r.out
    after = _local(home)
    for groups in (("record",), ("record", "history"), ("ledger",), ("ledger", "history")):
        restored = _copy(home, tmp_path / "-".join(groups))
        _restore(restored, backup, *groups)
        _assert_refused_untouched(restored, "channel", "list")
    assert _json(home, "channel", "list").code == 0
    assert _local(home) == after


# -- a lag of one step (a crash) against an older file (a restore) ------------------------------


@pytest.mark.parametrize("point", ["node_after_reserve", "node_after_record"])
def test_a_crash_leaves_one_step_a_restore_falls_below(
    home: Path, tmp_path: Path, point: str
) -> None:
    """kill -9 between the node's writes leaves one file a step ahead of the other: allowed,
    resolved by the node. The ledger of that moment put back later is the same state, and is
    resolved the same way. A ledger from before the payment: older than the record says once
    the record has the attempt; before that (killed after the reserve) the payment never
    happened, and that ledger holds exactly what the node holds."""
    from tests.conftest import run

    assert _json(home, "info").code == 0
    before = _copy(home, tmp_path / "before")
    invoice = _peer_invoice(home, 9_000)
    r = run(home, "pay", invoice, "--json", env={"LNCTL_FAILPOINT": point})
    assert r.code == -9
    head = ledger(home)
    [(seq, ledger_seq)] = network_rows(home, "SELECT seq, ledger_seq FROM node_state")
    assert head["record_seq"] <= seq and ledger_seq <= head["seq"]  # one step apart, allowed
    crashed = _copy(home, tmp_path / "crashed")
    assert _json(home, "payments").code == 0  # recovers by itself
    settled = _local(home)
    _restore(home, crashed, "ledger")  # the ledger as the crash left it, put back
    r = _json(home, "payments")
    assert r.code == 0, r.out
    assert _local(home) == settled  # resolved again from the record, to the same msat
    _restore(home, before, "ledger")
    if point == "node_after_reserve":
        assert _json(home, "payments").code == 0
        assert _local(home) == settled == CAPACITY_MSAT  # nothing was paid
    else:
        _assert_refused_untouched(home, "payments")


# -- empty or missing records, and the first use -----------------------------------------------


def test_an_empty_node_record_is_refused_not_a_new_node(home: Path) -> None:
    """Issue #20 (4): an empty network.sqlite is CORRUPT_STATE, never a new node."""
    assert _json(home, "invoice", "--amount", "1").code == 0
    record = home / "simnet" / "network.sqlite"
    for name in GROUPS["record"][1:]:
        (home / name).unlink(missing_ok=True)
    record.write_bytes(b"")
    _assert_refused_untouched(home, "payments")
    assert record.read_bytes() == b""
    # a store without the node's identity (its rows deleted) is empty too
    for name in GROUPS["record"]:
        (home / name).unlink(missing_ok=True)
    conn = sqlite3.connect(record)
    conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    conn.execute(f"PRAGMA user_version = {len(MIGRATIONS)}")  # this lnctl's
    conn.commit()
    conn.close()
    _assert_refused_untouched(home, "info")


def test_a_first_use_stopped_before_its_record_is_finished(home: Path) -> None:
    """The first use writes the ledger, then the record: a ledger that is exactly what the
    first use writes (version 1, its node named) and no record is finished, with that node."""
    assert _json(home, "info").code == 0
    node = ledger(home)["node"]
    assert (ledger(home)["seq"], ledger(home)["record_seq"]) == (1, 0)
    for group in ("history", "record"):
        for name in GROUPS[group]:
            (home / name).unlink(missing_ok=True)
    r = _json(home, "info")
    assert r.code == 0 and r.json["balance_msat"] == CAPACITY_MSAT - 10_000_000, r.out
    assert network_rows(home, "SELECT value FROM meta WHERE key = 'wallet_id'")[0][0] == node
    assert _json(home, "pay", _peer_invoice(home, 1_000)).code == 0


# -- an older history: noticed by the record's step, not by row counts -------------------------


def test_an_older_history_with_the_same_row_counts_is_corrected(home: Path, tmp_path: Path) -> None:
    """Issue #20 (2): a payment that failed, then was paid; the history from before the second
    try has as many rows as the current one, and showed FAILED until someone paid again."""
    invoice = _peer_invoice(home, 4_000)
    failed = _json(home, "pay", invoice, "--induce-failure", "1", "--retries", "1")
    assert failed.code == 4 and failed.json["payment"]["status"] == "FAILED"
    backup = _copy(home, tmp_path / "backup")
    paid = _json(home, "pay", invoice)
    assert paid.code == 0
    _restore(home, backup, "history")
    r = _json(home, "payments")
    assert r.code == 0, r.out
    [payment] = r.json["payments"]
    assert payment["status"] == "SUCCEEDED" and payment["preimage"] == paid.json["preimage"]
    assert payment["fee_msat"] == fee(4_000_000)
    assert "older than the node's record" in r.err and "corrected 1" in r.err
    assert _json(home, "payments").err == ""  # said once
    again = _json(home, "pay", invoice)
    assert again.code == 5 and again.json["error"]["code"] == "ALREADY_PAID"


def test_an_older_history_missing_an_invoice_gets_it_back(home: Path, tmp_path: Path) -> None:
    assert _json(home, "invoice", "--amount", "1").code == 0
    backup = _copy(home, tmp_path / "backup")
    made = _json(home, "invoice", "--amount", "2").json
    _restore(home, backup, "history")
    # an invoice made in the last minute may be another process's on its way into the
    # history: it is added once it is older than that
    from lnctl.core import rebuild

    saved = rebuild.RECENT_S
    rebuild.RECENT_S = -1
    try:
        r = _json(home, "invoices")
    finally:
        rebuild.RECENT_S = saved
    assert r.code == 0 and made["payment_hash"] in {i["payment_hash"] for i in r.json["invoices"]}
    assert "added 1 record" in r.err


def test_a_history_in_step_reads_nothing_more(home: Path) -> None:
    """The check costs two reads at any size: a history in step with the record reads no
    record of the node's."""
    from lnctl.backends.simulated.node import SimulatedBackend

    assert _json(home, "pay", _peer_invoice(home, 1)).code == 0
    calls: list[int | None] = []
    original = SimulatedBackend.export_payments

    def spy(self: SimulatedBackend, since: int | None = None) -> Any:
        calls.append(since)
        return original(self, since)

    SimulatedBackend.export_payments = spy  # type: ignore[method-assign]
    try:
        assert _json(home, "payments").code == 0
        assert _json(home, "invoices").code == 0
    finally:
        SimulatedBackend.export_payments = original  # type: ignore[method-assign]
    assert calls == []


# -- any subset of the stores, from any older snapshot -----------------------------------------


@pytest.fixture(scope="module")
def timeline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A wallet's life in steps, with a copy of the home after each: every kind of step that
    moves money or changes a record (pay, a retry after a failure, a payment that failed then
    succeeded, receive, a self-payment, channel open and close, invoices)."""
    import os

    saved = {k: v for k, v in os.environ.items() if k.startswith("LNCTL_")}
    for key in saved:
        del os.environ[key]
    root = tmp_path_factory.mktemp("timeline")
    home = root / "home"
    snapshots: list[Path] = []
    paid: list[str] = []  # peer invoices paid by the end
    settled: list[str] = []  # our invoices the network paid by the end

    def snap() -> None:
        snapshots.append(_copy(home, root / f"snap{len(snapshots)}"))

    assert _json(home, "info").code == 0
    snap()
    ours = _json(home, "invoice", "--amount", "20000").json["invoice"]
    snap()
    first = _peer_invoice(home, 100_000)
    assert _json(home, "pay", first).code == 0
    paid.append(first)
    snap()
    assert _json(home, "simulate", "pay", ours).code == 0
    settled.append(ours)
    snap()
    retried = _peer_invoice(home, 3_000)
    assert _json(home, "pay", retried, "--induce-failure", "1").code == 0
    paid.append(retried)
    late = _peer_invoice(home, 2_000)
    assert _json(home, "pay", late, "--induce-failure", "1", "--retries", "1").code == 4
    snap()
    peer = _json(home, "simulate", "invoice").json["payee"]
    channel = _json(home, "channel", "open", "--peer", peer, "--capacity", "50000", "--push",
                    "10000").json["channel_id"]  # fmt: skip
    outbound, inbound = ledger(home)["channels"][:2]  # the first use's: all local, all remote
    pushed = {outbound["channel_id"]: 0, inbound["channel_id"]: 1_000_000_000, channel: 10_000_000}
    snap()
    assert _json(home, "pay", late).code == 0  # failed before, paid now
    paid.append(late)
    snap()
    assert _json(home, "channel", "close", channel).code == 0
    snap()
    mine = _json(home, "invoice", "--amount", "500").json["invoice"]
    assert _json(home, "pay", mine).code == 0  # to ourselves: settles our own invoice
    settled.append(mine)
    snap()
    yield {"snapshots": snapshots, "paid": paid, "settled": settled, "pushed": pushed}
    os.environ.update(saved)


def _balances(home: Path) -> list[tuple[str, int, int, str]]:
    return [
        (ch["channel_id"], ch["local_msat"], ch["remote_msat"], ch["state"])
        for ch in check_ledger(home)["channels"]
    ]


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_no_restore_of_any_subset_pays_twice_or_creates_sats(
    timeline: dict[str, Any], tmp_path_factory: pytest.TempPathFactory, data: st.DataObject
) -> None:
    """Each store kept, or put back from any older snapshot (each from its own): the first
    command refuses it (CORRUPT_STATE, every file as it was put back), or it is harmless. Then
    paying again every invoice that was paid, and the network paying again every invoice it
    paid, never creates sats: the ledger's balances are exactly what the node's record says was
    paid and received. Where any store is the current one, that payment is refused (exit 5) and
    nothing moves at all. (Every store put back is a whole older wallet: a crash may have left
    its node's two files one step apart, and what it pays anew was never paid in it.)"""
    snapshots: list[Path] = timeline["snapshots"]
    final = snapshots[-1]
    older = st.one_of(st.none(), st.integers(0, len(snapshots) - 2))
    source = {group: data.draw(older, label=group) for group in sorted(GROUPS)}
    if all(v is None for v in source.values()):
        source["history"] = 0
    home = _copy(final, tmp_path_factory.mktemp("restore") / "home")
    for group, index in source.items():
        if index is not None:
            _restore(home, snapshots[index], group)
    before = _files(home)
    first = _json(home, "payments")
    if _refused(first):
        event("refused")
        assert _files(home) == before
        return
    assert first.code == 0, first.out
    event("history alone" if source == {"history": source["history"], "record": None,
                                          "ledger": None} else "allowed")  # fmt: skip
    # in a whole older wallet an invoice may be unknown yet, or unpaid: any outcome
    whole_older_wallet = None not in source.values()
    for invoice in timeline["paid"]:
        r = _json(home, "pay", invoice)
        assert whole_older_wallet or r.code == 5, (source, r.out)
    for invoice in timeline["settled"]:
        r = _json(home, "simulate", "pay", invoice)
        assert whole_older_wallet or r.code == 5, (source, r.out)  # a self-payment settles too
    if not whole_older_wallet:
        assert _balances(home) == _balances(final), source
    # no sats made: what left and came in is what the node's record says was paid and received
    channels = check_ledger(home)["channels"]
    assert all(not ch["htlcs"] for ch in channels)
    pushed = sum(timeline["pushed"].get(ch["channel_id"], 0) for ch in channels)
    out = sum(
        r["fee_msat"] + (0 if r["self_payment"] else r["amount_msat"])
        for r in network_rows(home, "SELECT * FROM attempts WHERE outcome = 'SUCCEEDED'")
    )
    received = sum(r[0] for r in network_rows(home, "SELECT amount_msat FROM incoming"))
    assert sum(ch["remote_msat"] for ch in channels) == pushed + out - received, source
    assert (
        len(
            network_rows(
                home,
                "SELECT payment_hash FROM attempts WHERE outcome = "
                "'SUCCEEDED' GROUP BY payment_hash HAVING count(*) > 1",
            )
        )
        == 0
    )
    succeeded = {p["payment_hash"] for p in _json(home, "payments").json["payments"]
                 if p["status"] == "SUCCEEDED"}  # fmt: skip
    on_node = {r[0] for r in network_rows(
        home, "SELECT payment_hash FROM attempts WHERE outcome = 'SUCCEEDED'")}  # fmt: skip
    assert succeeded == on_node  # the history brought up to what the node knows
