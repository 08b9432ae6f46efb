"""What lnctl reports when a real LNbits (1.6.2) answers a payment badly (issue 19): through a
misbehaving proxy in front of it (tests/lnbits_proxy.py: HTML or empty 520s, 400/401 after
forwarding, an answer over the size limit, one dripped a byte a second, none at all), a frozen
server (SIGSTOP), a server that restarts, and a second LNbits whose funding source is the first
through a gate that holds its payments, so that a payment is really pending at the server."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Result, lnbits_env, popen, run, run_here
from tests.helpers import foreign_invoice, rows, wait_for
from tests.lnbits_proxy import MisbehavingProxy, Rule, html_page, json_body, pay_requests
from tests.lnbits_server import LnbitsServer, lnbits_python

pytestmark = pytest.mark.integration


@pytest.fixture
def proxy(lnbits: Any) -> Iterator[MisbehavingProxy]:
    p = MisbehavingProxy(lnbits.url)
    yield p
    p.close()


def via(proxy: MisbehavingProxy, env: dict[str, str]) -> dict[str, str]:
    return {**env, "LNCTL_LNBITS_URL": proxy.url}


def proves(preimage: str | None, payment_hash: str) -> bool:
    return preimage is not None and hashlib.sha256(bytes.fromhex(preimage)).hexdigest() == (
        payment_hash
    )


def metric(home: Path, env: dict[str, str], name: str, labels: str = "") -> float:
    """One sample of ``lnctl metrics`` (0 when absent)."""
    out = run_here(home, "metrics", env=env).out
    for line in out.splitlines():
        if line.startswith(name + (labels and "{" + labels + "}")) and not line.startswith("#"):
            head, value = line.rsplit(" ", 1)
            if labels or head == name:
                return float(value)
    return 0.0


def failures(home: Path, env: dict[str, str]) -> float:
    out = run_here(home, "metrics", env=env).out
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in out.splitlines()
        if line.startswith("ln_payment_failure_total{")
    )


# -- 1, 5: answers that are not LNbits' own, after LNbits paid: unknown, looked up ----------------


@pytest.mark.parametrize(
    "answer",
    [
        Rule(pay_requests, "answer", status=520, body=html_page(520)),  # a CDN's error page
        Rule(pay_requests, "answer", status=520, body=b""),  # an empty 520
        Rule(pay_requests, "answer", status=502, body=html_page(502)),  # a proxy's 502
        Rule(pay_requests, "answer", status=400, body=b"<html>Bad Request</html>"),  # a WAF
        Rule(pay_requests, "answer", status=401, body=json_body({"detail": "blocked"})),
        Rule(
            pay_requests,
            "answer",
            status=200,
            body=b"[" + b"0," * (1 << 20) + b"0]",
            content_type="application/json",
        ),  # over the size limit
    ],  # fmt: skip
    ids=["html-520", "empty-520", "html-502", "400-after", "401-after", "oversize"],
)
def test_an_answer_lnctl_cannot_read_after_lnbits_paid_is_looked_up(
    lnbits: Any, proxy: MisbehavingProxy, tmp_path: Path, answer: Rule
) -> None:
    payee = lnbits.wallet("payee")
    payer = lnbits.wallet("payer", sats=10_000)
    env = via(proxy, lnbits_env(lnbits, payer))
    home = tmp_path / "h"
    proxy.add(answer)
    inv = lnbits.invoice(payee, 700)
    r = run_here(home, "pay", inv["bolt11"], "--json", env=env)
    assert r.code == 0, r.out + r.err  # LNbits paid: the lookup proves it
    assert r.json["status"] == "SUCCEEDED" and proves(r.json["preimage"], inv["payment_hash"])
    assert proxy.pay_requests == 1
    looked = run_here(home, "lookup", inv["payment_hash"], "--json", env=env)
    assert looked.json["payment"]["status"] == "SUCCEEDED"
    assert failures(home, env) == 0 and metric(home, env, "ln_payment_success_total") == 1
    assert lnbits.balance_msat(payer) == 10_000_000 - 700_000
    again = run_here(home, "pay", inv["bolt11"], "--json", env=env)
    assert again.code == 5 and proxy.pay_requests == 1


def test_a_refusal_in_front_of_lnbits_that_never_reached_it_is_not_sent(
    lnbits: Any, proxy: MisbehavingProxy, tmp_path: Path
) -> None:
    """A WAF's 403 before forwarding: the lookup finds nothing, so nothing was sent (exit 2,
    nothing recorded) and paying again once the WAF lets it through works."""
    payee = lnbits.wallet("payee")
    payer = lnbits.wallet("payer", sats=10_000)
    env = via(proxy, lnbits_env(lnbits, payer))
    home = tmp_path / "h"
    proxy.add(Rule(pay_requests, "answer", status=403, body=b"forbidden", forward=False))
    inv = lnbits.invoice(payee, 300)
    r = run_here(home, "pay", inv["bolt11"], "--json", env=env)
    assert r.code == 2 and r.json["error"]["code"] == "AUTH_FAILED", r.out
    assert run_here(home, "payments", "--json", env=env).json["payments"] == []
    assert run_here(home, "pay", inv["bolt11"], "--json", env=env).code == 0
    assert lnbits.balance_msat(payer) == 10_000_000 - 300_000


# -- 4: one deadline per command --------------------------------------------------------------


def timed(home: Path, *args: str, env: dict[str, str]) -> tuple[Result, float]:
    began = time.monotonic()
    r = run(home, *args, env=env, timeout=120)
    return r, time.monotonic() - began


@pytest.mark.parametrize(("action", "timeout"), [("drip", 4), ("freeze", 3)])
def test_an_answer_dripped_or_frozen_after_lnbits_paid_ends_at_the_deadline(
    lnbits: Any, proxy: MisbehavingProxy, tmp_path: Path, action: str, timeout: int
) -> None:
    """The answer comes one byte a second (each read alone never times out), or never (the
    server froze after acting): pending at --timeout, never sent again, then looked up."""
    payee = lnbits.wallet("payee")
    payer = lnbits.wallet("payer", sats=10_000)
    env = via(proxy, lnbits_env(lnbits, payer))
    home = tmp_path / "h"
    proxy.add(Rule(pay_requests, action))
    inv = lnbits.invoice(payee, 500)
    r, took = timed(home, "pay", inv["bolt11"], "--timeout", str(timeout), "--json", env=env)
    assert r.code == 6 and r.json["payment"]["status"] == "IN_FLIGHT", r.out + r.err
    assert f"within {timeout} s" in r.json["error"]["message"]
    assert took < timeout + 1.5, took  # the deadline, not 1 s per byte nor a read timeout
    assert run_here(home, "pay", inv["bolt11"], "--json", env=env).code == 5  # never resent
    looked = run_here(home, "lookup", inv["payment_hash"], "--json", env=env)
    assert looked.json["payment"]["status"] == "SUCCEEDED" and proxy.pay_requests == 1


def test_a_sigstopped_server_bounds_pay_and_invoice_wait_by_their_timeout(
    lnbits: Any, tmp_path: Path
) -> None:
    payee = lnbits.wallet("payee")
    payer = lnbits.wallet("payer", sats=10_000)
    env = lnbits_env(lnbits, payer)
    home = tmp_path / "h"
    inv = lnbits.invoice(payee, 100)
    made = run_here(home, "invoice", "--amount", "5", "--json", env=env).json
    lnbits.freeze()
    try:
        paid, took_pay = timed(home, "pay", inv["bolt11"], "--timeout", "3", "--json", env=env)
        waited, took_wait = timed(
            home, "invoice", "wait", made["payment_hash"], "--timeout", "3", "--json", env=env
        )
    finally:
        lnbits.thaw()
    # nothing was sent: the wallet's identity could not even be read (exit 1, nothing recorded)
    assert paid.code == 1 and paid.json["error"]["code"] == "BACKEND_UNAVAILABLE", paid.out
    assert took_pay < 3 + 1.5, took_pay
    assert waited.code == 6 and waited.json["error"]["code"] == "WAIT_TIMEOUT", waited.out
    assert took_wait < 3 + 1.5, took_wait
    assert run_here(home, "payments", "--json", env=env).json["payments"] == []
    assert run_here(home, "pay", inv["bolt11"], "--json", env=env).code == 0


def test_invoice_wait_polls_through_a_server_restart(
    lnbits: Any, proxy: MisbehavingProxy, tmp_path: Path
) -> None:
    alice = lnbits.wallet("alice")
    bob = lnbits.wallet("bob", sats=10_000)
    env = via(proxy, lnbits_env(lnbits, alice, admin=False))
    home = tmp_path / "alice"
    made = run_here(home, "invoice", "--amount", "21", "--json", env=env).json
    before = len(proxy.seen)  # `invoice` itself looked at the invoice
    waiter = popen(home, "invoice", "wait", made["payment_hash"], "--timeout", "30", "--json",
                   env=env)  # fmt: skip
    # the waiter has looked at the invoice twice: its first look was answered (unanswered, it
    # would have ended: a server never reached is an error at once), and it is waiting
    wait_for(
        lambda: sum(made["payment_hash"] in path for _, path in proxy.seen[before:]) >= 2,
        "the waiter's second look at the invoice",
    )
    proxy.down()  # connection refused while it restarts
    time.sleep(3)
    status, _ = lnbits.pay(bob, made["invoice"])
    assert status == 201
    proxy.up()
    out, err = waiter.communicate(timeout=60)
    assert waiter.returncode == 0, out + err
    assert json.loads(out)["status"] == "SETTLED"


# -- 2, 3: payments really pending at the server (a relay LNbits whose funding is held) ---------


@dataclass
class Relay:
    server: LnbitsServer
    gate: MisbehavingProxy  # between the relay and its funding source (the first LNbits)

    def hold(self) -> threading.Event:
        """The relay's next payment is held at its funding source until the event is set."""
        release = threading.Event()
        self.gate.add(Rule(pay_requests, "hold", gate=release))
        return release


@pytest.fixture(scope="session")
def relay(lnbits: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Relay]:
    python = lnbits_python()
    assert python is not None
    funding = lnbits.wallet("relay-funding", sats=10_000_000)
    gate = MisbehavingProxy(lnbits.url)
    server = LnbitsServer(
        python,
        tmp_path_factory.mktemp("lnbits-relay"),
        env={
            "LNBITS_BACKEND_WALLET_CLASS": "LNbitsWallet",
            "LNBITS_ENDPOINT": gate.url,
            "LNBITS_KEY": funding["adminkey"],
            "LNBITS_FUNDING_SOURCE_PAY_INVOICE_WAIT_SECONDS": "1",
        },
    )
    try:
        yield Relay(server, gate)
    finally:
        server.stop()
        gate.close()


def test_a_payment_lnbits_answers_pending_is_polled_until_it_ends(
    lnbits: Any, relay: Relay, tmp_path: Path
) -> None:
    payee = lnbits.wallet("payee")
    payer = relay.server.wallet("payer", sats=100_000)
    env = lnbits_env(relay.server, payer)
    inv = lnbits.invoice(payee, 1_000)
    release = relay.hold()
    threading.Timer(2.5, release.set).start()
    r, took = timed(tmp_path / "h", "pay", inv["bolt11"], "--timeout", "20", "--json", env=env)
    assert r.code == 0, r.out + r.err
    assert r.json["status"] == "SUCCEEDED" and proves(r.json["preimage"], inv["payment_hash"])
    assert 2.5 < took < 15, took  # polled until the server knew; not ended at its first answer
    assert lnbits.balance_msat(payee) == 1_000_000


def test_a_payment_pending_at_lnbits_is_never_failed_and_never_sent_twice(
    lnbits: Any, relay: Relay, tmp_path: Path
) -> None:
    payee = lnbits.wallet("payee")
    shared = relay.server.wallet("shared", sats=100_000)
    other = relay.server.wallet("other", sats=100_000)
    env = lnbits_env(relay.server, shared)
    inv = lnbits.invoice(payee, 2_000)
    release = relay.hold()
    try:
        x, took = timed(tmp_path / "x", "pay", inv["bolt11"], "--timeout", "3", "--json", env=env)
        assert x.code == 6 and x.json["payment"]["status"] == "IN_FLIGHT", x.out + x.err
        assert "within 3 s" in x.json["error"]["message"] and took < 3 + 1.5, took
        # another home on the same wallet: LNbits says "Payment is still pending."
        y = run_here(tmp_path / "y", "pay", inv["bolt11"], "--json", env=env)
        assert y.code == 5 and y.json["error"]["code"] == "ALREADY_IN_FLIGHT", y.out
        assert y.json["payment"]["status"] == "IN_FLIGHT"
        # a home on another wallet of the server: refused before anything, nothing recorded
        z_env = lnbits_env(relay.server, other)
        z = run_here(tmp_path / "z", "pay", inv["bolt11"], "--json", env=z_env)
        assert z.code == 5 and z.json["error"]["code"] == "ALREADY_IN_FLIGHT", z.out
        assert run_here(tmp_path / "z", "payments", "--json", env=z_env).json["payments"] == []
        assert run_here(tmp_path / "y", "pay", inv["bolt11"], "--json", env=env).code == 5
    finally:
        release.set()
    deadline = time.monotonic() + 30
    while lnbits.balance_msat(payee) != 2_000_000 and time.monotonic() < deadline:
        time.sleep(0.2)
    for home in ("x", "y"):
        looked = run_here(tmp_path / home, "lookup", inv["payment_hash"], "--json", env=env)
        assert looked.json["payment"]["status"] == "SUCCEEDED", (home, looked.out)
    # the fleet counts one success: y learned of x's payment
    assert metric(tmp_path / "x", env, "ln_payment_success_total") == 1
    assert metric(tmp_path / "y", env, "ln_payment_success_total") == 0
    assert metric(tmp_path / "y", env, "ln_payment_already_paid_total") == 1
    assert failures(tmp_path / "x", env) == failures(tmp_path / "y", env) == 0
    assert lnbits.balance_msat(payee) == 2_000_000  # paid once
    assert relay.server.balance_msat(other) == 100_000_000


# -- 6: a home recognises its wallet with whichever key it has -------------------------------


def test_a_home_with_another_wallets_invoice_key_concludes_nothing(
    lnbits: Any, proxy: MisbehavingProxy, tmp_path: Path
) -> None:
    payee = lnbits.wallet("payee")
    mine = lnbits.wallet("mine", sats=10_000)
    stranger = lnbits.wallet("stranger")  # no payments: its id cannot be read with its key
    busy = lnbits.wallet("busy", sats=10_000)  # has payments: its id can
    lnbits.pay(busy, lnbits.invoice(payee, 1)["bolt11"])
    lnbits.pay(mine, lnbits.invoice(payee, 1)["bolt11"])
    home = tmp_path / "h"
    env = via(proxy, lnbits_env(lnbits, mine))
    proxy.add(Rule(pay_requests, "drop", forward=False))  # never reached LNbits
    made = time.time()
    inv = lnbits.invoice(payee, 50, expiry=4)  # long enough to be paid on a loaded machine
    r = run_here(home, "pay", inv["bolt11"], "--timeout", "2", "--json", env=env)
    assert r.code == 6, r.out  # the answer never came: in flight
    assert [row[0] for row in rows(home, "SELECT status FROM payments")] == ["IN_FLIGHT"]
    conn = sqlite3.connect(home / "history.sqlite")
    with conn:  # long ago: LNbits' silence would now read as "never reached" for this wallet
        conn.execute("UPDATE payments SET last_sent_at = last_sent_at - 3600")
    conn.close()
    time.sleep(max(0.0, made + 4.1 - time.time()))  # the invoice has expired
    other = lnbits_env(lnbits, stranger, admin=False)
    listed = run_here(home, "payments", "--json", env=other)
    assert listed.code == 0, listed.out
    assert listed.json["payments"][0]["status"] == "IN_FLIGHT"  # nothing concluded
    assert "nothing is concluded" in listed.err
    refused = run_here(home, "payments", "--json", env=lnbits_env(lnbits, busy, admin=False))
    assert refused.code == 1 and refused.json["error"]["code"] == "WALLET_MISMATCH"
    # its own wallet, even with only the invoice key, concludes (LNbits never had it)
    own = run_here(home, "payments", "--json", env=lnbits_env(lnbits, mine, admin=False))
    [payment] = own.json["payments"]
    assert payment["status"] == "FAILED", own.out
    assert payment["failure_reason"] == "NEVER_REACHED_NODE"


# -- 7, 10: a fleet on one wallet counts one success; re-runs are ALREADY_PAID -----------------


def test_twelve_homes_on_one_wallet_count_one_success(lnbits: Any, tmp_path: Path) -> None:
    """Runners with separate homes on one wallet pay one invoice at once: the server decides,
    exactly one pays (one debit), the others exit 5; and the fleet's metrics add up to that one
    payment."""
    payee = lnbits.wallet("payee")
    shared = lnbits.wallet("shared", sats=10_000)
    env = lnbits_env(lnbits, shared)
    inv = lnbits.invoice(payee, 2_000)
    procs = [popen(tmp_path / f"runner{i}", "pay", inv["bolt11"], "--json", env=env)
             for i in range(12)]  # fmt: skip
    codes = []
    for p in procs:
        p.communicate(timeout=120)
        codes.append(p.returncode)
    assert sorted(codes) == [0] + [5] * 11, codes
    assert lnbits.balance_msat(payee) == 2_000_000
    homes = [tmp_path / f"runner{i}" for i in range(12)]
    successes = sum(metric(h, env, "ln_payment_success_total") for h in homes)
    sent = sum(metric(h, env, "ln_payment_sent_msat_total") for h in homes)
    assert successes == 1 and sent == 2_000_000
    learned = sum(metric(h, env, "ln_payment_already_paid_total") for h in homes)
    assert learned == 11  # the others heard "already paid", of this wallet's one payment
    assert sum(failures(h, env) for h in homes) == 0


def test_a_batch_run_again_is_already_paid_with_its_proof(lnbits: Any, tmp_path: Path) -> None:
    payee = lnbits.wallet("payee")
    shared = lnbits.wallet("shared", sats=100_000)
    env = lnbits_env(lnbits, shared)
    invoices = [lnbits.invoice(payee, 10 + i)["bolt11"] for i in range(20)]
    batch = tmp_path / "batch.txt"
    batch.write_text("\n".join(invoices + invoices) + "\n")  # every line twice
    first = run_here(tmp_path / "a", "pay", "--file", str(batch), "--concurrency", "16",
                     "--json", env=env)  # fmt: skip
    assert first.json["summary"]["paid"] == 20, first.out
    again = run_here(tmp_path / "a", "pay", "--file", str(batch), "--concurrency", "16",
                     "--json", env=env)  # fmt: skip
    assert again.code == 5, again.out
    for line in again.json["payments"]:
        assert line["error"]["code"] == "ALREADY_PAID", line
        assert proves(line["payment"]["preimage"], line["payment"]["payment_hash"])
    # another home of the fleet runs the same batch: all duplicates, no success counted
    other = run_here(tmp_path / "b", "pay", "--file", str(batch), "--concurrency", "16",
                     "--json", env=env)  # fmt: skip
    assert other.code == 5 and other.json["summary"]["paid"] == 0, other.out
    assert metric(tmp_path / "b", env, "ln_payment_success_total") == 0
    assert metric(tmp_path / "b", env, "ln_payment_sent_msat_total") == 0
    assert metric(tmp_path / "a", env, "ln_payment_success_total") == 20


# -- 8: one wallet created and paid the invoice ----------------------------------------------


def test_an_invoice_paid_from_the_wallet_that_made_it_is_settled_for_its_maker(
    lnbits: Any, tmp_path: Path
) -> None:
    shared = lnbits.wallet("shared", sats=10_000)
    x_env = lnbits_env(lnbits, shared, admin=False)
    y_env = lnbits_env(lnbits, shared)
    made = run_here(tmp_path / "x", "invoice", "--amount", "30", "--json", env=x_env).json
    paid = run_here(tmp_path / "y", "pay", made["invoice"], "--json", env=y_env)
    assert paid.code == 0, paid.out
    waited = run_here(tmp_path / "x", "invoice", "wait", made["payment_hash"], "--timeout", "10",
                      "--json", env=x_env)  # fmt: skip
    assert waited.code == 0 and waited.json["status"] == "SETTLED", waited.out
    assert waited.json["received_msat"] == 30_000
    listed = run_here(tmp_path / "x", "invoices", "--json", env=x_env).json["invoices"]
    assert listed[0]["status"] == "SETTLED"


# -- 9, 11: the dry run agrees; messages -----------------------------------------------------


def test_dry_run_agrees_with_pay_on_lnbits(lnbits: Any, tmp_path: Path) -> None:
    payee = lnbits.wallet("payee")
    poor = lnbits.wallet("poor", sats=1)
    env = lnbits_env(lnbits, poor)
    home = tmp_path / "h"
    big = lnbits.invoice(payee, 5_000)["bolt11"]
    dry = run_here(home, "pay", big, "--dry-run", "--json", env=env)
    real = run_here(home, "pay", big, "--json", env=env)
    assert dry.code == real.code == 3, (dry.out, real.out)
    assert dry.json["failure_reason"] == real.json["error"]["code"] == "INSUFFICIENT_BALANCE"
    assert "channel balance" not in real.json["error"]["hint"]  # LNbits has no channels
    bare = foreign_invoice(None, network="bitcoin")
    dry = run_here(home, "pay", bare, "--amount", "1", "--dry-run", "--json", env=env)
    real = run_here(home, "pay", bare, "--amount", "1", "--json", env=env)
    assert dry.code == real.code == 2, (dry.out, real.out)
    reader = lnbits_env(lnbits, poor, admin=False)
    dry = run_here(home, "pay", big, "--dry-run", "--json", env=reader)
    assert dry.code == 2 and dry.json["error"]["code"] == "ADMIN_KEY_REQUIRED"


def test_messages_say_where_and_why(lnbits: Any, tmp_path: Path) -> None:
    payer = lnbits.wallet("payer", sats=10_000)
    env = lnbits_env(lnbits, payer)
    home = tmp_path / "h"
    bad = run_here(
        home, "info", "--json", env={**env, "LNCTL_LNBITS_URL": "http://127.0.0.1:99999"}
    )
    assert bad.code == 2 and bad.json["error"]["code"] == "LNBITS_URL_INVALID", bad.out
    assert "environment LNCTL_LNBITS_URL" in bad.json["error"]["message"]
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text('backend = "lnbits"\nlnbits_url = "http://127.0.0.1:0x"\n')
    from_file = run_here(home, "info", "--json",
                         env={k: v for k, v in env.items() if k != "LNCTL_LNBITS_URL"})  # fmt: skip
    assert from_file.code == 2 and "config.toml line 2" in from_file.json["error"]["message"]
    (home / "config.toml").unlink()
    prefixed_env = {**env, "LNCTL_LNBITS_URL": lnbits.url + "/lnbits"}
    prefixed = run_here(home, "info", "--json", env=prefixed_env)
    assert prefixed.code == 1 and "path" in prefixed.json["error"]["hint"], prefixed.out
    # the server's reason is in the message (FakeWallet pays only the server's own invoices)
    elsewhere = run_here(home, "pay", foreign_invoice(5_000, network="bitcoin"), "--json", env=env)
    assert elsewhere.code == 3, elsewhere.out
    assert "Only internal invoices can be used!" in elsewhere.json["error"]["message"]
    # an empty key file is "not set", in config show as in commands
    secrets = tmp_path / "k" / "secrets"
    secrets.mkdir(parents=True, mode=0o700)
    (secrets / "lnbits.key").write_text("\n")
    os.chmod(secrets / "lnbits.key", 0o600)
    keyless = {"LNCTL_BACKEND": "lnbits", "LNCTL_LNBITS_URL": lnbits.url}
    shown = run_here(tmp_path / "k", "config", "show", "--json", env=keyless).json
    assert shown["settings"]["lnbits_admin_key"]["value"] == "not set"
    info = run_here(tmp_path / "k", "info", "--json", env=keyless)
    assert info.code == 2 and info.json["error"]["code"] == "LNBITS_KEY_MISSING"
    for r in (bad, from_file, prefixed, elsewhere, info):
        message = r.json["error"]["message"]
        assert "Error" not in message and "Exception" not in message, message
