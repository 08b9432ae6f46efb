"""lnctl against a real LNbits server (issue #9): real processes, real HTTP, real balances."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import lnbits_env, popen, run
from tests.lnbits_proxy import MisbehavingProxy, Rule, pay_requests

pytestmark = pytest.mark.integration


def _pay_requests(server: Any, wallet: dict[str, Any]) -> int:
    """How many outgoing payments the server has for this wallet."""
    from tests.lnbits_server import http

    status, doc = http(
        "GET", server.url + "/api/v1/payments?limit=100", headers={"X-Api-Key": wallet["inkey"]}
    )
    assert status == 200, doc
    return sum(1 for p in doc if p["amount"] < 0)


def test_alice_invoices_bob_pays_and_alice_waits(lnbits: Any, tmp_path: Path) -> None:
    alice = lnbits.wallet("alice")
    bob = lnbits.wallet("bob", sats=100_000)
    a_env = lnbits_env(lnbits, alice, admin=False)  # an invoice key is enough to invoice
    b_env = lnbits_env(lnbits, bob)
    a_home, b_home = tmp_path / "alice", tmp_path / "bob"
    made = run(
        a_home, "invoice", "--amount", "2100", "--description", "tea", "--memo", "table 4",
        "--json", env=a_env,
    )  # fmt: skip
    assert made.code == 0, made.out + made.err
    inv = made.json
    assert inv["amount_msat"] == 2_100_000 and inv["description"] == "tea"
    assert "table 4" not in inv["invoice"]
    waiter = popen(a_home, "invoice", "wait", inv["payment_hash"], "--timeout", "60", "--json",
                   env=a_env)  # fmt: skip
    time.sleep(0.5)
    paid = run(b_home, "pay", inv["invoice"], "--json", env=b_env)
    assert paid.code == 0, paid.out + paid.err
    doc = paid.json
    assert doc["status"] == "SUCCEEDED" and doc["amount_msat"] == 2_100_000
    assert hashlib.sha256(bytes.fromhex(doc["preimage"])).hexdigest() == inv["payment_hash"]
    out, err = waiter.communicate(timeout=60)
    assert waiter.returncode == 0, out + err
    settled = json.loads(out)
    assert settled["status"] == "SETTLED" and settled["received_msat"] == 2_100_000
    assert settled["preimage"] == doc["preimage"]
    assert lnbits.balance_msat(alice) == 2_100_000
    assert lnbits.balance_msat(bob) == 100_000_000 - 2_100_000 - doc["fee_msat"]
    listed = run(a_home, "invoices", "--json", env=a_env).json["invoices"]
    assert listed[0]["status"] == "SETTLED" and listed[0]["memo"] == "table 4"
    info = run(a_home, "info", "--json", env=a_env).json
    assert info["backend"] == "lnbits" and info["wallet"] == "alice"
    assert info["balance_msat"] == 2_100_000
    # paying again: refused, no second debit
    again = run(b_home, "pay", inv["invoice"], "--json", env=b_env)
    assert again.code == 5 and again.json["error"]["code"] == "ALREADY_PAID"
    assert lnbits.balance_msat(bob) == 100_000_000 - 2_100_000 - doc["fee_msat"]


def test_refusals_and_errors(lnbits: Any, tmp_path: Path) -> None:
    carol = lnbits.wallet("carol")
    dave = lnbits.wallet("dave", sats=1_000)
    env = lnbits_env(lnbits, dave)
    home = tmp_path / "dave"
    big = lnbits.invoice(carol, 5_000)["bolt11"]
    r = run(home, "pay", big, "--json", env=env)
    assert r.code == 3 and r.json["error"]["code"] == "INSUFFICIENT_BALANCE", r.out
    assert lnbits.balance_msat(dave) == 1_000_000
    expired = lnbits.invoice(carol, 1, expiry=1)
    time.sleep(1.5)
    r = run(home, "pay", expired["bolt11"], "--json", env=env)
    assert r.code == 2 and r.json["error"]["code"] == "INVOICE_EXPIRED"
    status, _ = lnbits.lookup(dave, expired["payment_hash"])
    assert status == 404  # refused before any request (LNbits would have paid it)
    wrong = {**env, "LNCTL_LNBITS_ADMIN_KEY": "0" * 32}
    r = run(tmp_path / "wrong", "pay", big, "--json", env=wrong)
    assert r.code == 2 and r.json["error"]["code"] == "AUTH_FAILED"
    assert "0" * 32 not in r.out + r.err
    for args in (["channel", "list"], ["simulate", "invoice"], ["channel", "balance"]):
        r = run(home, *args, "--json", env=env)
        assert r.code == 2 and r.json["error"]["code"] == "UNSUPPORTED_BACKEND", args
    reader = lnbits_env(lnbits, dave, admin=False)
    r = run(tmp_path / "reader", "pay", lnbits.invoice(carol, 1)["bolt11"], "--json", env=reader)
    assert r.code == 2 and r.json["error"]["code"] == "ADMIN_KEY_REQUIRED"
    remote = {**env, "LNCTL_LNBITS_URL": "http://lnbits.example.org"}
    r = run(tmp_path / "remote", "info", "--json", env=remote)
    assert r.code == 2 and r.json["error"]["code"] == "INSECURE_URL"
    down = {**env, "LNCTL_LNBITS_URL": f"http://127.0.0.1:{_closed_port()}"}
    r = run(tmp_path / "down", "pay", big, "--json", env=down)
    assert r.code == 1 and r.json["error"]["code"] == "BACKEND_UNAVAILABLE"
    # nothing recorded (as failed or in flight): paying works once the server is back
    assert run(tmp_path / "down", "payments", "--json", env=down).json["payments"] == []
    small = lnbits.invoice(carol, 10)["bolt11"]
    assert run(tmp_path / "down", "pay", small, "--json", env=down).code == 1
    assert run(tmp_path / "down", "pay", small, "--json", env=env).code == 0
    assert _pay_requests(lnbits, dave) == 1  # the one paid once the server was back


def test_a_withheld_then_dropped_answer_is_pending_never_resent(
    lnbits: Any, tmp_path: Path
) -> None:
    payee = lnbits.wallet("payee2")
    payer = lnbits.wallet("payer2", sats=10_000)
    proxy = MisbehavingProxy(lnbits.url)  # forwards the pay, holds the answer, then drops it
    proxy.add(Rule(pay_requests, "drop", hold_s=1.0))
    try:
        env = {**lnbits_env(lnbits, payer), "LNCTL_LNBITS_URL": proxy.url}
        home = tmp_path / "payer"
        inv = lnbits.invoice(payee, 777)
        r = run(home, "pay", inv["bolt11"], "--timeout", "0.5", "--json", env=env)
        # the answer never came: pending (6), or resolved by looking the payment up (0)
        assert r.code in (0, 6), r.out + r.err
        looked = run(home, "lookup", inv["payment_hash"], "--json", env=env)
        assert looked.json["payment"]["status"] == "SUCCEEDED"
        assert proxy.pay_requests == 1  # never sent again
        again = run(home, "pay", inv["bolt11"], "--json", env=env)
        assert again.code == 5 and proxy.pay_requests == 1
        assert lnbits.balance_msat(payer) == 10_000_000 - 777_000  # debited once
        assert lnbits.balance_msat(payee) == 777_000
    finally:
        proxy.close()


def _closed_port() -> int:
    from tests.lnbits_server import free_port

    return free_port()


def test_the_key_never_reaches_logs_or_json(lnbits: Any, tmp_path: Path) -> None:
    wallet = lnbits.wallet("secretive", sats=100)
    env = lnbits_env(lnbits, wallet)
    inv = lnbits.invoice(lnbits.wallet("other"), 1)
    r = run(tmp_path / "s", "-vv", "--log-format", "json", "pay", inv["bolt11"], "--json", env=env)
    assert r.code == 0, r.out + r.err
    assert wallet["adminkey"] not in r.out + r.err
    events = [json.loads(line)["event"] for line in r.err.splitlines()]
    assert "payment_result" in events


def test_metrics_show_the_server_wallet_balance(lnbits: Any, tmp_path: Path) -> None:
    wallet = lnbits.wallet("metered", sats=4_321)
    r = run(tmp_path / "m", "metrics", "--json", env=lnbits_env(lnbits, wallet, admin=False))
    assert r.code == 0, r.out + r.err
    families = r.json["metrics"]
    assert families["ln_wallet_balance_msat"]["samples"][0]["value"] == 4_321_000
    assert "ln_channel_local_msat" in families  # declared, with no channel samples
    assert families["ln_channel_local_msat"]["samples"] == []
