"""What a new user meets first on the simulated node (issue #22): a fresh wallet sends and
receives out of the box, a shortfall names the sats needed, a payment names the channel it left
by, impossible amounts are refused naming the limit."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.conftest import run_here
from tests.helpers import check_ledger, fee


def _json(home: Path, *args: str) -> dict:  # type: ignore[type-arg]
    r = run_here(home, *args, "--json")
    assert r.code == 0, (args, r.out, r.err)
    doc: dict = r.json  # type: ignore[type-arg]
    return doc


def test_a_fresh_wallet_receives_out_of_the_box(home: Path) -> None:
    invoice = _json(home, "invoice", "--amount", "2000")
    paid = _json(home, "simulate", "pay", invoice["invoice"])
    assert paid["amount_msat"] == 2_000_000 and paid["channel_id"] == "800001x1x0"
    out, inbound = check_ledger(home)["channels"]
    assert (out["local_msat"], out["remote_msat"]) == (1_000_000_000, 0)
    assert (inbound["local_msat"], inbound["remote_msat"]) == (2_000_000, 998_000_000)
    balance = _json(home, "channel", "balance")
    assert balance["spendable_msat"] == 990_000_000  # 2,000 sat under the reserve: not yet
    assert balance["receivable_msat"] == 988_000_000 and balance["open_channels"] == 2
    # and sends: a payment leaves by the outbound channel, the inbound one untouched
    peer = _json(home, "simulate", "invoice", "--amount", "5000")
    assert _json(home, "pay", peer["invoice"])["channel_id"] == "800000x1x0"
    out, inbound = check_ledger(home)["channels"]
    assert out["local_msat"] == 1_000_000_000 - 5_000_000 - fee(5_000_000)
    assert inbound["local_msat"] == 2_000_000


def test_an_existing_home_keeps_its_channels(home: Path) -> None:
    """Only a first use opens channels: a node opened again keeps what its ledger has."""
    _json(home, "info")
    peer = _json(home, "simulate", "invoice")["payee"]
    _json(home, "channel", "close", "800001x1x0")
    _json(home, "channel", "open", "--peer", peer, "--capacity", "30000")
    ids = [(c["channel_id"], c["state"]) for c in _json(home, "channel", "list")["channels"]]
    assert ids == [("800000x1x0", "OPEN"), ("800001x1x0", "CLOSED"), ("800002x1x0", "OPEN")]


def test_not_enough_inbound_names_the_sats_needed(home: Path) -> None:
    invoice = _json(home, "invoice", "--amount", "995000")  # above 990,000 receivable
    r = run_here(home, "simulate", "pay", invoice["invoice"], "--json")
    error = r.json["error"]
    assert r.code == 3 and error["code"] == "INSUFFICIENT_BALANCE"
    assert "need 995,000 sat in one channel, have 990,000 sat (5,000 sat more)" in error["message"]
    # the channel the hint names receives it: 1,005,051 sat, 1% kept as reserve
    assert "--capacity 1005051 --push 1005051" in error["hint"], error["hint"]
    command = error["hint"].split("lnctl ", 1)[1].split()
    assert run_here(home, *command, "--json").code == 0
    assert _json(home, "simulate", "pay", invoice["invoice"])["channel_id"] == "800002x1x0"


def test_a_payment_no_channel_can_carry_names_the_sats_needed(home: Path) -> None:
    peer = _json(home, "simulate", "invoice", "--amount", "995000")
    r = run_here(home, "pay", peer["invoice"], "--json")
    error = r.json["error"]
    assert r.code == 3 and error["code"] == "INSUFFICIENT_BALANCE"
    need = 995_000_000 + fee(995_000_000)
    assert f"needs {-(-need // 1000):,} sat in one channel (amount + fee)" in error["hint"]
    assert "the best can spend 990,000 sat" in error["hint"]
    command = error["hint"].split("(lnctl ", 1)[1].split(")", 1)[0].split()
    assert run_here(home, *command, "--json").code == 0
    assert _json(home, "pay", peer["invoice"])["channel_id"] == "800002x1x0"


def test_pay_json_names_the_channel_the_node_used(home: Path, tmp_path: Path) -> None:
    peer = _json(home, "simulate", "invoice")["payee"]
    _json(home, "channel", "open", "--peer", peer, "--capacity", "3000000")  # now the roomiest
    one = _json(home, "simulate", "invoice", "--amount", "1000")["invoice"]
    paid = _json(home, "pay", one)
    assert paid["status"] == "SUCCEEDED" and paid["channel_id"] == "800002x1x0"
    assert _json(home, "lookup", paid["payment_hash"])["payment"]["channel_id"] == "800002x1x0"
    assert _json(home, "pay", one, "--if-paid", "ok")["channel_id"] == "800002x1x0"
    ours = _json(home, "invoice", "--amount", "5")["invoice"]  # a self-payment too
    assert _json(home, "pay", ours)["channel_id"] == "800002x1x0"
    batch = tmp_path / "batch.txt"
    invoices = [_json(home, "simulate", "invoice", "--amount", "7")["invoice"] for _ in range(3)]
    batch.write_text("\n".join(invoices) + "\n")
    doc = _json(home, "pay", "--file", str(batch))
    assert [p["payment"]["channel_id"] for p in doc["payments"]] == ["800002x1x0"] * 3
    failed = run_here(home, "pay", _json(home, "simulate", "invoice", "--amount", "1")["invoice"],
                      "--induce-failure", "3", "--json")  # fmt: skip
    assert failed.code == 4 and failed.json["payment"]["channel_id"] is None  # nothing left


def test_a_node_record_of_the_previous_schema_is_carried_over(home: Path) -> None:
    """A node record written before attempts kept their channel opens (migrated, not refused as
    older than the ledger): later payments name their channel."""
    first = _json(home, "pay", _json(home, "simulate", "invoice", "--amount", "9")["invoice"])
    with sqlite3.connect(home / "simnet" / "network.sqlite") as db:
        db.execute("ALTER TABLE attempts DROP COLUMN channel_id")
        db.execute("PRAGMA user_version = 3")
    again = _json(home, "pay", _json(home, "simulate", "invoice", "--amount", "9")["invoice"])
    assert again["channel_id"] == "800000x1x0"
    assert _json(home, "lookup", first["payment_hash"])["payment"]["channel_id"] == "800000x1x0"
    with sqlite3.connect(home / "simnet" / "network.sqlite") as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 4


def test_a_channel_below_the_minimum_size_is_refused_naming_it(home: Path) -> None:
    peer = _json(home, "simulate", "invoice")["payee"]
    for capacity in ("1000", "19999"):
        r = run_here(home, "channel", "open", "--peer", peer, "--capacity", capacity, "--json")
        assert r.code == 2 and r.json["error"]["code"] == "INVALID_AMOUNT", r.out
        assert "at least 20,000 sat" in r.json["error"]["message"]
    assert len(check_ledger(home)["channels"]) == 2  # nothing opened
    assert _json(home, "channel", "open", "--peer", peer, "--capacity", "20000")["channel_id"]


def test_amounts_beyond_all_bitcoin_name_the_limit(home: Path) -> None:
    """21,000,000 BTC is 2,100,000,000,000,000 sat: one sat more is refused, naming the limit
    (99,999,999,999,999 sat is 999,999.99999999 BTC: an amount bitcoin can hold)."""
    r = run_here(home, "invoice", "--amount", str(21_000_000 * 10**8 + 1), "--json")
    assert r.code == 2 and r.json["error"]["code"] == "INVALID_AMOUNT"
    assert "21,000,000 BTC" in r.json["error"]["message"]
    assert _json(home, "invoice", "--amount", str(21_000_000 * 10**8))["amount_msat"] == (
        21_000_000 * 10**11
    )


def test_pay_takes_amount_msat_for_an_amountless_invoice(home: Path, tmp_path: Path) -> None:
    amountless = _json(home, "simulate", "invoice")["invoice"]
    paid = _json(home, "pay", amountless, "--amount-msat", "1500")
    assert paid["amount_msat"] == 1500 and paid["fee_msat"] == fee(1500)
    other = _json(home, "simulate", "invoice")["invoice"]
    for args, code in (
        (["--amount", "2", "--amount-msat", "2000"], "USAGE"),
        (["--amount-msat", "0"], "USAGE"),
        (["--amount-msat", str(21_000_000 * 10**11 + 1)], "INVALID_AMOUNT"),
    ):
        r = run_here(home, "pay", other, *args, "--json")
        assert r.code == 2 and r.json["error"]["code"] == code, (args, r.out)
    fixed = _json(home, "simulate", "invoice", "--amount", "3")["invoice"]
    r = run_here(home, "pay", fixed, "--amount-msat", "3000", "--json")
    assert r.code == 2 and r.json["error"]["code"] == "AMOUNT_NOT_ALLOWED", r.out
    would = _json(home, "pay", other, "--amount-msat", "2500", "--dry-run")
    assert would["amount_msat"] == 2500
    r = run_here(home, "pay", "--file", str(tmp_path / "x"), "--amount-msat", "1", "--json")
    assert r.code == 2 and r.json["error"]["code"] == "USAGE"
