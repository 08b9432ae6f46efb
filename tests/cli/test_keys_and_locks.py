"""Issue #20 (4, 7, 12): lost secrets are never replaced silently, and locks held too long say
what they are and leave nothing recorded that did not happen. In-process (the same ``main``):
the waits are shortened for the test, which holds the locks itself."""

from __future__ import annotations

import fcntl
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import Result, run_here
from tests.helpers import CAPACITY_MSAT, check_ledger, network_rows, rows


def _json(home: Path, *args: str) -> Result:
    return run_here(home, *args, "--json")


def _peer_invoice(home: Path, sats: int = 1_000) -> str:
    return str(_json(home, "simulate", "invoice", "--amount", str(sats)).json["invoice"])


# -- 4: lost secrets ---------------------------------------------------------------------------


def test_a_lost_node_key_is_refused_never_made_anew(home: Path) -> None:
    assert _json(home, "invoice", "--amount", "1").code == 0
    key = home / "secrets" / "node.key"
    key.unlink()
    for args in (["invoice", "--amount", "1"], ["info"], ["simulate", "pay", "lnbcrt1"]):
        r = _json(home, *args)
        if args[0] == "simulate":
            assert r.code == 2  # a bad invoice is refused before the key is needed
            continue
        assert r.code == 1 and r.json["error"]["code"] == "NODE_KEY_MISSING", (args, r.out)
        assert "restore" in r.json["error"]["hint"]
        assert not key.exists()
    # what needs no signature still works: the node is this wallet's, only its key is gone
    assert _json(home, "payments").code == 0
    assert _json(home, "pay", _peer_invoice(home)).code == 0


def test_a_lost_memo_keyring_is_refused_while_memos_exist(home: Path) -> None:
    made = _json(home, "invoice", "--amount", "1", "--memo", "table 4").json
    keyring = home / "secrets" / "memo.keys"
    keyring.unlink()
    for args in (
        ["invoice", "--amount", "1", "--memo", "another"],
        ["pay", _peer_invoice(home), "--memo", "m"],
        ["memo", "rotate-key"],
    ):
        r = _json(home, *args)
        assert r.code == 1 and r.json["error"]["code"] == "MEMO_KEY_MISSING", (args, r.out)
        assert not keyring.exists()
    assert rows(home, "SELECT count(*) FROM invoices")[0][0] == 1  # nothing made
    shown = _json(home, "lookup", made["payment_hash"])
    assert shown.code == 0 and shown.json["invoice"]["memo"] == "[memo unavailable]"
    # a memo key given in the environment still works (the old memos need the old key)
    env_key = {"LNCTL_MEMO_KEY": "A" * 43 + "="}
    r = run_here(home, "invoice", "--amount", "1", "--memo", "x", "--json", env=env_key)
    assert r.code == 0 and not keyring.exists()


def test_a_keyring_is_made_when_no_memo_needs_the_old_one(home: Path) -> None:
    assert _json(home, "invoice", "--amount", "1").code == 0
    assert not (home / "secrets" / "memo.keys").exists()
    r = _json(home, "invoice", "--amount", "1", "--memo", "first")
    assert r.code == 0 and (home / "secrets" / "memo.keys").exists()


# -- 12: the node's lock held past the wait ----------------------------------------------------


@pytest.fixture
def node_locked(home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The node's lock held by someone else, and a wait of 0.2 s instead of 60."""
    from lnctl.backends.simulated import ledger

    assert _json(home, "info").code == 0
    monkeypatch.setattr(ledger, "LOCK_WAIT_S", 0.2)
    fd = os.open(home / "simnet" / "channels.json.lock", os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX)
    yield
    os.close(fd)


@pytest.mark.parametrize("batch", [False, True], ids=["pay", "pay --file"])
def test_a_payment_stopped_by_the_node_lock_is_not_recorded(
    home: Path, node_locked: None, batch: bool, tmp_path: Path
) -> None:
    """What the README says: LOCK_TIMEOUT is nothing done, nothing recorded as failed."""
    invoice = _peer_invoice(home, 2_000)
    if batch:
        lines = tmp_path / "batch.txt"
        lines.write_text(invoice + "\n")
        r = _json(home, "pay", "--file", str(lines))
        assert r.code == 1, r.out
        [line] = r.json["payments"]
        assert line["error"]["code"] == "LOCK_TIMEOUT" and line["payment"] is None
    else:
        r = _json(home, "pay", invoice)
        assert r.code == 1 and r.json["error"]["code"] == "LOCK_TIMEOUT", r.out
        assert "nothing was done" in r.json["error"]["hint"]
    assert rows(home, "SELECT * FROM payments") == []
    assert network_rows(home, "SELECT * FROM attempts") == []


def test_after_the_node_lock_is_free_the_payment_is_made_once(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lnctl.backends.simulated import ledger

    assert _json(home, "info").code == 0
    invoice = _peer_invoice(home, 2_000)
    monkeypatch.setattr(ledger, "LOCK_WAIT_S", 0.2)
    fd = os.open(home / "simnet" / "channels.json.lock", os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        assert _json(home, "pay", invoice).json["error"]["code"] == "LOCK_TIMEOUT"
    finally:
        os.close(fd)
    listed = _json(home, "payments")
    assert listed.code == 0 and listed.json["payments"] == [] and listed.err == ""
    assert _json(home, "pay", invoice).code == 0
    [payment] = _json(home, "payments").json["payments"]
    assert payment["status"] == "SUCCEEDED" and payment["attempts"] == 1
    local = sum(ch["local_msat"] for ch in check_ledger(home)["channels"])
    assert local == CAPACITY_MSAT - 2_000_000 - 1_000 - 200


# -- 7: the history write-locked past the busy timeout ----------------------------------------


def test_a_history_locked_too_long_is_locked_and_no_restore_is_claimed(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lnctl.storage import sqlite as store

    assert _json(home, "invoice", "--amount", "1").code == 0
    made = len(network_rows(home, "SELECT * FROM invoices"))
    monkeypatch.setattr(store, "BUSY_TIMEOUT_S", 0.2)
    holder = sqlite3.connect(home / "history.sqlite", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        r = _json(home, "invoice", "--amount", "2")
        assert r.code == 1 and r.json["error"]["code"] == "LOCKED", r.out
        assert "locked" in r.json["error"]["message"]
        assert "backup" not in r.json["error"]["message"] + r.json["error"]["hint"]
        payment = _json(home, "pay", _peer_invoice(home))
        assert payment.code == 1 and payment.json["error"]["code"] == "LOCKED", payment.out
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    # the node was not asked for an invoice the history could not record: nothing to add later,
    # and no warning that the history was restored from a backup
    assert len(network_rows(home, "SELECT * FROM invoices")) == made
    monkeypatch.setattr("lnctl.core.rebuild.RECENT_S", -1)
    listed = _json(home, "invoices")
    assert listed.code == 0 and listed.err == "", listed.err
    assert network_rows(home, "SELECT * FROM attempts") == []
