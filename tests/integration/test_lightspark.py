"""lnctl on the Lightspark backend (issue #13), through Lightspark's real SDK against the local
double of its API (tests/lightspark_double.py). The contract suite runs against it too
(tests/backends/test_contract.py)."""

from __future__ import annotations

import hashlib
import os
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Result, run, run_here
from tests.helpers import foreign_invoice

pytestmark = pytest.mark.integration


def ls(home: Path, double: Any, *args: str, **env: str) -> Result:
    return run_here(home, *args, env={**double.env(), **env})


def _payable(double: Any, msat: int) -> str:
    return str(double.make_invoice(False, msat, "elsewhere")["bolt11"])


def test_invoice_simulated_payment_and_a_payment_out(
    lightspark_double: Any, tmp_path: Path
) -> None:
    double, home = lightspark_double, tmp_path / "h"
    made = ls(home, double, "invoice", "--amount", "2100", "--description", "tea", "--memo",
              "table 4", "--json")  # fmt: skip
    assert made.code == 0, made.out + made.err
    inv = made.json
    assert inv["amount_msat"] == 2_100_000 and inv["description"] == "tea"
    assert inv["payee"] == double.ours.public_key.hex()
    assert "table 4" not in str(double.invoices[inv["payment_hash"]])  # the memo stays local
    paid_in = ls(home, double, "simulate", "pay", inv["invoice"], "--json")
    assert paid_in.code == 0, paid_in.out + paid_in.err
    assert paid_in.json["status"] == "SETTLED" and paid_in.json["amount_msat"] == 2_100_000
    looked = ls(home, double, "lookup", inv["payment_hash"], "--json")
    assert looked.json["invoice"]["status"] == "SETTLED"
    assert looked.json["invoice"]["memo"] == "table 4"

    remote = ls(home, double, "simulate", "invoice", "--amount", "5000", "--json")
    assert remote.code == 0, remote.err
    assert remote.json["payee"] == double.remote.public_key.hex()
    before = double.balance_msat
    paid = ls(home, double, "pay", remote.json["invoice"], "--json")
    assert paid.code == 0, paid.out + paid.err
    doc = paid.json
    assert doc["status"] == "SUCCEEDED" and doc["amount_msat"] == 5_000_000
    assert hashlib.sha256(bytes.fromhex(doc["preimage"])).hexdigest() == doc["payment_hash"]
    assert doc["fee_msat"] == double.fee_msat(5_000_000)
    assert double.balance_msat == before - 5_000_000 - doc["fee_msat"]
    info = ls(home, double, "info", "--json").json
    assert info["backend"] == "lightspark" and info["balance_msat"] == double.balance_msat
    assert info["node_id"] == double.ours.public_key.hex()
    assert double.compressed > 0  # the SDK compressed its larger bodies; the double read them
    assert double.calls["PayInvoice"] == 1

    again = ls(home, double, "pay", remote.json["invoice"], "--json")
    assert again.code == 5 and again.json["error"]["code"] == "ALREADY_PAID"
    other = tmp_path / "other"  # another home on the same node: the node refuses to pay twice
    dup = ls(other, double, "pay", remote.json["invoice"], "--json")
    assert dup.code in (0, 5), dup.out  # the node's own earlier success, never a second payment
    assert double.calls["PayInvoice"] == 1
    assert double.balance_msat == before - 5_000_000 - doc["fee_msat"]


def test_failures_are_mapped_and_exit_with_their_codes(
    lightspark_double: Any, tmp_path: Path
) -> None:
    double, home = lightspark_double, tmp_path / "h"
    double.balance_msat = 1_000_000
    poor = ls(home, double, "pay", _payable(double, 5_000_000), "--json")
    assert poor.code == 3, poor.out
    assert poor.json["payment"]["failure_reason"] == "INSUFFICIENT_BALANCE"
    capped = ls(home, double, "pay", _payable(double, 100_000), "--max-fee", "0", "--json")
    assert capped.code == 3 and capped.json["payment"]["failure_reason"] == "NO_ROUTE"
    theirs = _payable(double, 10_000)
    double.invoices[next(reversed(double.invoices))]["paid_msat"] = 10_000  # someone paid it
    taken = ls(home, double, "pay", theirs, "--json")
    assert taken.code == 5, taken.out
    assert taken.json["payment"]["failure_reason"] == "ALREADY_PAID"
    assert double.balance_msat == 1_000_000
    channel = ls(home, double, "channel", "list", "--json")
    assert channel.code == 2 and channel.json["error"]["code"] == "UNSUPPORTED_BACKEND"
    induced = ls(home, double, "pay", _payable(double, 1000), "--induce-failure", "--json")
    assert induced.code == 2


def test_a_withheld_answer_is_resolved_by_lookup_and_never_sent_again(
    lightspark_double: Any, tmp_path: Path
) -> None:
    double, home = lightspark_double, tmp_path / "h"
    double.in_flight = True  # the node keeps the payment in flight
    double.withhold["PayInvoice"] = 1
    double.hold_s = 10.0  # longer than the call may wait: lnctl's bound must end it
    text = _payable(double, 40_000)
    started = time.monotonic()
    first = ls(home, double, "pay", text, "--timeout", "2", "--json")
    took = time.monotonic() - started
    assert first.code == 6, first.out + first.err  # pending: do not pay again
    assert first.json["payment"]["status"] == "IN_FLIGHT"
    assert took < 6, took  # bounded by --timeout, not by the server
    assert double.calls["PayInvoice"] == 1
    second = ls(home, double, "pay", text, "--json")
    assert second.code == 5 and second.json["error"]["code"] == "ALREADY_IN_FLIGHT"
    [payment] = double.payments
    double.complete(payment["payment_hash"])
    looked = ls(home, double, "lookup", payment["payment_hash"], "--json")
    assert looked.code == 0 and looked.json["payment"]["status"] == "SUCCEEDED", looked.out
    assert double.calls["PayInvoice"] == 1


def test_a_dropped_connection_after_the_payment_is_resolved_by_lookup(
    lightspark_double: Any, tmp_path: Path
) -> None:
    double, home = lightspark_double, tmp_path / "h"
    double.withhold["PayInvoice"] = 1
    double.hold_s = 0.1  # the node pays, then the connection closes without an answer
    paid = ls(home, double, "pay", _payable(double, 40_000), "--json")
    assert paid.code == 0, paid.out + paid.err
    assert paid.json["status"] == "SUCCEEDED" and double.calls["PayInvoice"] == 1


def test_an_unknown_status_is_never_a_success(lightspark_double: Any, tmp_path: Path) -> None:
    double, home = lightspark_double, tmp_path / "h"
    double.status_override = "SETTLED_SOMEHOW"  # a status this SDK does not know
    text = _payable(double, 10_000)
    paid = ls(home, double, "pay", text, "--timeout", "1", "--json")
    assert paid.code == 6, paid.out
    assert paid.json["payment"]["status"] == "IN_FLIGHT"
    [payment] = double.payments
    looked = ls(home, double, "lookup", payment["payment_hash"], "--json")
    assert looked.json["payment"]["status"] == "IN_FLIGHT"  # still not a success
    payment["status"] = "PENDING"
    double.complete(payment["payment_hash"], "FAILED")
    payment["failure_reason"] = "NO_ROUTE"
    looked = ls(home, double, "lookup", payment["payment_hash"], "--json")
    assert looked.json["payment"]["status"] == "FAILED"
    assert looked.json["payment"]["failure_reason"] == "NO_ROUTE"


def test_paying_needs_the_right_node_password_and_sends_nothing_without_it(
    lightspark_double: Any, tmp_path: Path
) -> None:
    double, home = lightspark_double, tmp_path / "h"
    text = _payable(double, 10_000)
    env = {k: v for k, v in double.env().items() if k != "LNCTL_LIGHTSPARK_NODE_PASSWORD"}
    missing = run_here(home, "pay", text, "--json", env=env)
    assert missing.code == 2 and missing.json["error"]["code"] == "NODE_PASSWORD_REQUIRED"
    wrong = ls(home, double, "pay", text, "--json", LNCTL_LIGHTSPARK_NODE_PASSWORD="guess")
    assert wrong.code == 2 and wrong.json["error"]["code"] == "NODE_PASSWORD_WRONG"
    assert double.calls["PayInvoice"] == 0
    secrets = home / "secrets"
    secrets.mkdir(mode=0o700, exist_ok=True)
    (secrets / "lightspark-node-password").write_text(double.node_password + "\n")
    os.chmod(secrets / "lightspark-node-password", 0o644)
    loose = run_here(home, "pay", text, "--json", env=env)
    assert loose.code == 1 and "lightspark-node-password" in loose.json["error"]["message"]
    os.chmod(secrets / "lightspark-node-password", 0o600)
    paid = run_here(home, "pay", text, "--json", env=env)  # the claim was undone: pay works
    assert paid.code == 0, paid.out + paid.err
    assert double.calls["PayInvoice"] == 1
    # the attempts the undone claims started stay counted: a counter never goes down
    metrics = ls(home, double, "metrics").out.splitlines()
    [attempts] = [line for line in metrics if line.startswith("ln_payment_attempts_total")]
    assert float(attempts.split()[1]) == 3  # no password, a wrong one, then the payment


def test_secrets_never_reach_output_errors_or_files(lightspark_double: Any, tmp_path: Path) -> None:
    double, home = lightspark_double, tmp_path / "h"
    outputs = [
        ls(home, double, "info", "--json"),
        ls(home, double, "config", "show", "--json"),
        ls(home, double, "pay", _payable(double, 1000), "--json"),
        ls(home, double, "info", "--json", LNCTL_LIGHTSPARK_CLIENT_SECRET="wrong"),
        ls(home, double, "pay", _payable(double, 1000), LNCTL_LIGHTSPARK_NODE_PASSWORD="nope"),
        ls(home, double, "info", "--json", LNCTL_LOG_LEVEL="debug"),
    ]
    assert outputs[3].code == 2 and outputs[3].json["error"]["code"] == "AUTH_FAILED"
    for result in outputs:  # the SDK's own logging (payloads, tracebacks) never shows
        assert "Traceback" not in result.err and result.err.count("\n") <= 1
    text = "".join(r.out + r.err for r in outputs)
    text += "".join(p.read_text("latin-1") for p in home.rglob("*") if p.is_file())
    for secret in (double.client_secret, double.node_password, "nope", double.client_id,
                   double.node_id):  # fmt: skip
        assert secret not in text


def test_unreachable_api_exits_1_and_records_nothing(
    lightspark_double: Any, tmp_path: Path
) -> None:
    double, home = lightspark_double, tmp_path / "h"
    text = _payable(double, 1000)
    assert ls(home, double, "info", "--json").code == 0
    down = ls(home, double, "pay", text, "--json", LNCTL_LIGHTSPARK_BASE_URL="http://127.0.0.1:9/x")
    assert down.code == 1 and down.json["error"]["code"] == "BACKEND_UNAVAILABLE"
    listed = ls(home, double, "payments", "--json")
    assert listed.json["payments"] == []
    insecure = ls(home, double, "info", "--json", LNCTL_LIGHTSPARK_BASE_URL="http://example.com/")
    assert insecure.code == 2 and insecure.json["error"]["code"] == "INSECURE_URL"


def test_test_mode_needs_a_regtest_node(tmp_path: Path) -> None:
    pytest.importorskip("lightspark")
    from tests.lightspark_double import LightsparkDouble

    double = LightsparkDouble(network="bitcoin")
    try:
        got = ls(tmp_path / "h", double, "simulate", "invoice", "--amount", "1", "--json",
                 LNCTL_NETWORK="bitcoin")  # fmt: skip
        assert got.code == 2 and got.json["error"]["code"] == "UNSUPPORTED_BACKEND"
    finally:
        double.close()


def test_a_missing_extra_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "lightspark", None)  # as if the extra were not installed
    env = {
        "LNCTL_BACKEND": "lightspark",
        "LNCTL_LIGHTSPARK_CLIENT_ID": "id",
        "LNCTL_LIGHTSPARK_CLIENT_SECRET": "secret",
        "LNCTL_LIGHTSPARK_NODE_ID": "node",
    }
    got = run_here(tmp_path / "h", "info", "--json", env=env)
    assert got.code == 2 and got.json["error"]["code"] == "EXTRA_MISSING"
    assert "pip install 'lnctl[lightspark]'" in got.json["error"]["hint"]
    assert "from a clone of lnctl: pip install '.[lightspark]'" in got.json["error"]["hint"]
    human = run_here(tmp_path / "h", "info", env=env)
    assert human.code == 2 and human.err.count("\n") == 1 and "Traceback" not in human.err


def test_as_a_real_process(lightspark_double: Any, tmp_path: Path) -> None:
    """The same path through `python -m lnctl`: an invoice of the test network, paid."""
    double = lightspark_double
    made = run(tmp_path / "h", "simulate", "invoice", "--amount", "3", env=double.env())
    assert made.code == 0, made.err
    paid = run(tmp_path / "h", "pay", made.out.strip(), "--json", env=double.env())
    assert paid.code == 0 and paid.json["status"] == "SUCCEEDED", paid.out + paid.err
    # the SDK logs its failures (Python's last-resort handler would print them): silenced
    refused = run(
        tmp_path / "h", "info", env={**double.env(), "LNCTL_LIGHTSPARK_CLIENT_SECRET": "x"}
    )
    assert refused.code == 2 and refused.err.count("\n") == 1, refused.err
    assert "credentials" in refused.err and "Traceback" not in refused.err


def test_what_the_node_reports_is_checked_and_an_unreadable_answer_is_not_resent(
    lightspark_double: Any, tmp_path: Path
) -> None:
    double, home = lightspark_double, tmp_path / "h"
    text = _payable(double, 10_000)
    double.invoices[next(reversed(double.invoices))]["preimage"] = "11" * 32  # not the hash's
    lied = ls(home, double, "pay", text, "--json")
    assert lied.code == 1 and lied.json["error"]["code"] == "NEEDS_ATTENTION", lied.out
    assert lied.json["payment"]["status"] == "NEEDS_ATTENTION"

    double.in_flight = True
    double.garble["PayInvoice"] = 1  # the answer lacks the keys the SDK reads
    garbled = ls(home, double, "pay", _payable(double, 10_000), "--timeout", "1", "--json")
    assert garbled.code == 6 and garbled.json["payment"]["status"] == "IN_FLIGHT", garbled.out
    assert double.calls["PayInvoice"] == 2
    double.complete(double.payments[-1]["payment_hash"])
    done = ls(home, double, "lookup", double.payments[-1]["payment_hash"], "--json")
    assert done.json["payment"]["status"] == "SUCCEEDED"
    assert double.calls["PayInvoice"] == 2

    metrics = ls(home, double, "metrics")
    [gauge] = [line for line in metrics.out.splitlines() if line.startswith("ln_wallet_balance")]
    assert metrics.code == 0 and int(float(gauge.split()[1])) == double.balance_msat


def test_a_wallet_on_another_network_than_the_node_is_told_so(
    lightspark_double: Any, tmp_path: Path
) -> None:
    double = lightspark_double
    got = ls(tmp_path / "h", double, "invoice", "--amount", "1", "--json", LNCTL_NETWORK="bitcoin")
    assert got.code == 2 and got.json["error"]["code"] == "WRONG_NETWORK"
    assert "LNCTL_NETWORK=regtest" in got.json["error"]["hint"]
    assert ls(tmp_path / "h", double, "invoices", "--json").json["invoices"] == []


@pytest.mark.parametrize("point", ["after_claim", "before_send", "after_send"])
def test_a_payment_killed_at_any_step_is_resolved_from_the_node_and_never_sent_twice(
    lightspark_double: Any, tmp_path: Path, point: str
) -> None:
    """A real process, SIGKILLed at each step of the wallet's side of a payment; the next
    command asks the node (outgoing_payments_for_payment_hash) and never pays again."""
    double, home = lightspark_double, tmp_path / "h"
    text = _payable(double, 7_000)
    killed = run(home, "pay", text, "--json", env={**double.env(), "LNCTL_FAILPOINT": point})
    assert killed.code == -9, killed.out + killed.err
    sent = 1 if point == "after_send" else 0
    assert double.calls["PayInvoice"] == sent
    listed = ls(home, double, "payments", "--json")
    [payment] = listed.json["payments"]
    again = ls(home, double, "pay", text, "--json")
    if point == "after_claim":  # no attempt started: recovery releases it, and paying works
        assert payment["status"] == "FAILED", payment
        assert again.code == 0 and again.json["status"] == "SUCCEEDED", again.out
    elif point == "before_send":  # an attempt started: the node's silence is not a failure
        assert payment["status"] == "IN_FLIGHT", payment
        assert again.code == 5 and again.json["error"]["code"] == "ALREADY_IN_FLIGHT"
        assert double.balance_msat == 10_000_000_000
        return
    else:  # paid at the node, not recorded: recovery records the node's success
        assert payment["status"] == "SUCCEEDED", payment
        assert again.code == 5 and again.json["error"]["code"] == "ALREADY_PAID"
    assert double.calls["PayInvoice"] == 1
    assert double.balance_msat == 10_000_000_000 - 7_000 - double.fee_msat(7_000)


def test_invoice_wait_and_a_batch_on_lightspark(lightspark_double: Any, tmp_path: Path) -> None:
    double, home = lightspark_double, tmp_path / "h"
    inv = ls(home, double, "invoice", "--amount", "3", "--json").json
    double.pay_ours(inv["invoice"])
    waited = ls(home, double, "invoice", "wait", inv["payment_hash"], "--timeout", "5", "--json")
    assert waited.code == 0 and waited.json["status"] == "SETTLED", waited.out
    assert waited.json["received_msat"] == 3000
    batch = tmp_path / "batch.txt"
    texts = [_payable(double, 2_000) for _ in range(4)]
    batch.write_text("\n".join([*texts, texts[0]]) + "\n")
    paid = ls(home, double, "pay", "--file", str(batch), "--concurrency", "2", "--json")
    assert paid.code == 5, paid.out  # the repeated line is a duplicate
    summary = paid.json["summary"]
    assert summary["paid"] == 4 and summary["duplicates"] == 1, summary
    assert double.calls["PayInvoice"] == 4


def test_many_homes_paying_one_invoice_at_once_pay_it_once(
    lightspark_double: Any, tmp_path: Path
) -> None:
    """Six processes, six wallet homes, one node: the node makes one payment (the payment hash
    is its idempotency key); every home hears of that one payment or is refused."""
    from tests.conftest import popen

    double = lightspark_double
    text = _payable(double, 9_000)
    procs = [
        popen(tmp_path / f"home{n}", "pay", text, "--json", env=double.env()) for n in range(6)
    ]
    codes = []
    for proc in procs:
        out, err = proc.communicate(timeout=60)
        codes.append(proc.returncode)
        assert proc.returncode in (0, 5), out + err
    assert len(double.payments) == 1 and double.payments[0]["status"] == "SUCCESS"
    assert double.balance_msat == 10_000_000_000 - 9_000 - double.fee_msat(9_000)
    assert 0 in codes


def test_dry_run_predicts_with_the_nodes_fee_estimate(
    lightspark_double: Any, tmp_path: Path
) -> None:
    double, home = lightspark_double, tmp_path / "h"
    text = _payable(double, 50_000)
    dry = ls(home, double, "pay", text, "--dry-run", "--json")
    assert dry.code == 0 and dry.json["would"] == "pay", dry.out
    assert dry.json["fee_msat"] == double.fee_msat(50_000)
    capped = ls(home, double, "pay", text, "--dry-run", "--max-fee", "0", "--json")
    assert capped.code == 3 and capped.json["failure_reason"] == "FEE_LIMIT_EXCEEDED"
    double.balance_msat = 10_000
    poor = ls(home, double, "pay", text, "--dry-run", "--json")
    assert poor.code == 3 and poor.json["failure_reason"] == "INSUFFICIENT_BALANCE"
    # the node refuses the estimate with a GraphQL error: its words are shown, never read for a
    # reason (issue 19); the dry run cannot tell how paying would end
    nowhere = ls(home, double, "pay", str(foreign_invoice(50_000)), "--dry-run", "--json")
    assert nowhere.code == 1 and nowhere.json["error"]["code"] == "BACKEND_ERROR", nowhere.out
    assert "no route found" in nowhere.json["error"]["message"]
    assert double.calls["PayInvoice"] == 0 and double.payments == []
    assert ls(home, double, "payments", "--json").json["payments"] == []


def test_amountless_invoices_both_ways(lightspark_double: Any, tmp_path: Path) -> None:
    double, home = lightspark_double, tmp_path / "h"
    theirs = ls(home, double, "simulate", "invoice", "--json")
    assert theirs.code == 0 and theirs.json["amount_msat"] is None, theirs.out
    bare = ls(home, double, "pay", theirs.json["invoice"], "--json")
    assert bare.code == 2, bare.out  # an amountless invoice needs --amount
    paid = ls(home, double, "pay", theirs.json["invoice"], "--amount", "5", "--json")
    assert paid.code == 0 and paid.json["amount_msat"] == 5_000, paid.out
    assert double.payments[-1]["amount_msat"] == 5_000
    ours = ls(home, double, "invoice", "--json").json
    assert ours["amount_msat"] is None
    got = ls(home, double, "simulate", "pay", ours["invoice"], "--amount", "3", "--json")
    assert got.code == 0 and got.json["amount_msat"] == 3_000, got.out
    looked = ls(home, double, "lookup", ours["payment_hash"], "--json").json["invoice"]
    assert looked["status"] == "SETTLED" and looked["received_msat"] == 3_000
