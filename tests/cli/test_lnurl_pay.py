"""``lnctl pay`` of a Lightning Address or an LNURL-pay link (issue 23), end to end: a local
HTTPS LNURL-pay service (tests/lnurl_server.py, its certificate trusted through SSL_CERT_FILE)
whose invoices come from the simulated network (``lnctl simulate invoice --description-hash``),
paid by the wallet for real; hostile services refused with nothing paid; the record keeps what
was paid to; ``--idempotency-key`` pays once, also with several processes at once and on batch
lines."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Result, popen, run, run_here
from tests.helpers import CAPACITY_MSAT, check_ledger, fee, network_rows, rows
from tests.lnurl_server import LnurlService, aes_action, lnurl_server


def local_msat(home: Path) -> int:
    return sum(ch["local_msat"] for ch in check_ledger(home)["channels"])


@pytest.fixture
def service(home: Path, tmp_path: Path) -> Iterator[LnurlService]:
    """The service, its invoices the simulated peer's (made by the real command)."""
    assert run(home, "info").code == 0  # the wallet and its simulated network exist

    def from_the_simulated_peer(amount_msat: int, description_hash: bytes) -> tuple[str, bytes]:
        assert amount_msat % 1000 == 0
        made = run(
            home, "simulate", "invoice", "--amount", str(amount_msat // 1000),
            "--description-hash", description_hash.hex(), "--json",
        )  # fmt: skip
        assert made.code == 0, made.err
        payment_hash = made.json["payment_hash"]
        [row] = network_rows(
            home, "SELECT preimage FROM remote_invoices WHERE payment_hash = ?", payment_hash
        )
        return str(made.json["invoice"]), bytes.fromhex(row["preimage"])

    (tmp_path / "lnurl").mkdir()
    with lnurl_server(tmp_path / "lnurl") as running:
        running.invoice_source = from_the_simulated_peer
        yield running


def pay(home: Path, service: LnurlService, *args: str, stdin: str | None = None) -> Result:
    """``lnctl pay ARGS`` in this process, the service's certificate trusted."""
    env = {"SSL_CERT_FILE": str(service.cert)}
    if stdin is None:
        return run_here(home, "pay", *args, env=env)
    return run(home, "pay", *args, input=stdin, env=env)


def nothing_paid(home: Path, before: int) -> None:
    assert local_msat(home) == before
    assert rows(home, "SELECT * FROM payments") == []
    assert network_rows(home, "SELECT 1 FROM attempts") == []


def test_an_address_is_paid_through_the_safe_pay_path(home: Path, service: LnurlService) -> None:
    service.metadata = json.dumps([["text/plain", "Coffee for alice"]])
    service.success_action = {"tag": "message", "message": "thanks\x1b[31m!"}
    r = pay(home, service, service.address, "--amount", "21", "--comment", "hi", "--json")
    assert r.code == 0, r.out + r.err
    doc = r.json
    assert doc["status"] == "SUCCEEDED" and doc["amount_msat"] == 21_000
    assert doc["fee_msat"] == fee(21_000)
    assert hashlib.sha256(bytes.fromhex(doc["preimage"])).hexdigest() == doc["payment_hash"]
    assert doc["paid_to"] == service.address
    assert doc["paid_to_description"] == "Coffee for alice"
    assert doc["lnurl"]["comment"] == "hi" and doc["lnurl"]["lnurl"] == service.address
    assert doc["success_action"] == {"tag": "message", "message": "thanks\ufffd[31m!"}
    assert service.callbacks == ["/callback/alice?amount=21000&comment=hi"]
    assert local_msat(home) == CAPACITY_MSAT - 21_000 - fee(21_000)
    # the record keeps what was paid to: payments and lookup show the address
    listed = run_here(home, "payments", "--json").json["payments"]
    assert [p["paid_to"] for p in listed] == [service.address]
    looked = run_here(home, "lookup", doc["payment_hash"], "--json").json["payment"]
    assert looked["paid_to"] == service.address
    assert looked["paid_to_description"] == "Coffee for alice"
    human = run_here(home, "payments")
    assert service.address in human.out, human.out
    human = run_here(home, "lookup", doc["payment_hash"])
    assert service.address in human.out and "Coffee for alice" in human.out


def test_human_output_shows_the_success_action_and_that_a_rerun_pays_again(
    home: Path, service: LnurlService
) -> None:
    service.success_action = aes_action("door code 4711")
    first = pay(home, service, service.address, "--amount", "5")
    assert first.code == 0, first.err
    assert "door code 4711" in first.out and "Your code" in first.out
    assert "running this again pays again" in first.out
    again = pay(home, service, service.address, "--amount", "5", "--json")
    assert again.code == 0 and again.json["success_action"]["plaintext"] == "door code 4711"
    assert len(rows(home, "SELECT * FROM payments WHERE status = 'SUCCEEDED'")) == 2


def test_a_url_success_action_is_printed_never_opened(home: Path, service: LnurlService) -> None:
    service.success_action = {
        "tag": "url",
        "description": "Your receipt",
        "url": f"https://127.0.0.1:{service.port}/receipt/1",
    }
    r = pay(home, service, service.address, "--amount", "3", "--json")
    assert r.code == 0, r.err
    assert r.json["success_action"]["url"] == f"https://127.0.0.1:{service.port}/receipt/1"
    assert not any(path.startswith("/receipt") for path in service.seen)


def test_every_way_of_writing_the_link(home: Path, service: LnurlService) -> None:
    lnurlp = service.origin.replace("https://", "lnurlp://") + "/lnurlp/alice"
    for n, text in enumerate(
        [service.lnurl, "lightning:" + service.lnurl.lower(), lnurlp, "LIGHTNING:" + lnurlp]
    ):
        r = pay(home, service, text, "--amount", str(10 + n), "--json")
        assert r.code == 0, (text, r.out, r.err)
        assert r.json["amount_msat"] == (10 + n) * 1000
    r = pay(home, service, "--amount", "2", "--json", stdin=f"lightning:{service.address}\n")
    assert r.code == 0, r.err
    assert r.json["paid_to"] == service.address
    assert len(rows(home, "SELECT * FROM payments WHERE status = 'SUCCEEDED'")) == 5


def test_a_fixed_amount_needs_no_amount_and_a_range_asks_for_one(
    home: Path, service: LnurlService
) -> None:
    before = local_msat(home)
    r = pay(home, service, service.address, "--json")
    assert r.code == 2 and r.json["error"]["code"] == "AMOUNT_REQUIRED"
    assert "1 to 1,000,000 sat" in r.json["error"]["message"]
    nothing_paid(home, before)
    service.min_sendable_msat = service.max_sendable_msat = 7_000
    r = pay(home, service, service.address, "--json")
    assert r.code == 0 and r.json["amount_msat"] == 7_000, r.out


@pytest.mark.parametrize(
    ("hostile", "code", "exit_code"),
    [
        ({"amount_delta_msat": 1000}, "LNURL_INVOICE_MISMATCH", 2),
        ({"description_hash": b"\x01" * 32}, "LNURL_INVOICE_MISMATCH", 2),
        ({"callback": "http://example.com/cb"}, "LNURL_INSECURE", 2),
        ({"redirects": {"/.well-known/lnurlp/alice": "https://localhost/x"}},
         "LNURL_REDIRECT_REFUSED", 2),
        ({"metadata": json.dumps([["text/plain", "x" * 300_000]])}, "LNURL_INVALID_RESPONSE", 2),
        ({"min_sendable_msat": 50_000}, "LNURL_AMOUNT_OUT_OF_RANGE", 2),
        ({"comment_allowed": 3}, "LNURL_COMMENT_TOO_LONG", 2),
        ({"success_action": {"tag": "script", "code": "x"}}, "LNURL_INVALID_RESPONSE", 2),
        ({"delay_s": 3.0}, "LNURL_UNREACHABLE", 1),
    ],
)  # fmt: skip
def test_hostile_services_are_refused_with_nothing_paid(
    home: Path, service: LnurlService, hostile: dict[str, Any], code: str, exit_code: int
) -> None:
    for name, value in hostile.items():
        setattr(service, name, value)
    before = local_msat(home)
    began = time.monotonic()
    r = pay(
        home, service, service.address, "--amount", "10", "--comment", "a long comment",
        "--timeout", "1.5", "--json",
    )  # fmt: skip
    assert (r.code, r.json["error"]["code"]) == (exit_code, code), r.out
    assert time.monotonic() - began < 5  # the one deadline covers resolving
    nothing_paid(home, before)
    if code in ("LNURL_AMOUNT_OUT_OF_RANGE", "LNURL_COMMENT_TOO_LONG"):
        assert service.callbacks == []  # refused before the service was asked for an invoice
    if code == "LNURL_AMOUNT_OUT_OF_RANGE":
        assert "50 to 1,000,000 sat" in r.json["error"]["message"]


def test_an_invoice_of_the_peer_on_another_network_is_refused(
    home: Path, service: LnurlService
) -> None:
    before = local_msat(home)
    r = run_here(
        home, "pay", service.address, "--amount", "10", "--json",
        env={"SSL_CERT_FILE": str(service.cert), "LNCTL_NETWORK": "testnet"},
    )  # fmt: skip
    assert r.code == 2 and r.json["error"]["code"] == "WRONG_NETWORK", r.out
    assert local_msat(home) == before


def test_comment_without_an_lnurl_is_a_usage_error(home: Path, service: LnurlService) -> None:
    invoice = run(home, "simulate", "invoice", "--amount", "1", "--json").json["invoice"]
    r = run_here(home, "pay", invoice, "--comment", "hi", "--json")
    assert r.code == 2 and r.json["error"]["code"] == "USAGE"


def test_dry_run_resolves_and_checks_without_paying(home: Path, service: LnurlService) -> None:
    before = local_msat(home)
    r = pay(home, service, service.address, "--amount", "10", "--dry-run", "--json")
    assert r.code == 0, r.out
    assert r.json["would"] == "pay" and r.json["amount_msat"] == 10_000
    assert r.json["lnurl"]["lnurl"] == service.address
    assert len(service.callbacks) == 1
    nothing_paid(home, before)
    human = pay(home, service, service.lnurl, "--amount", "10", "--dry-run")
    assert human.code == 0 and "dry run" in human.out and "Pay alice" in human.out
    service.amount_delta_msat = 1000
    r = pay(home, service, service.address, "--amount", "10", "--dry-run", "--json")
    assert r.code == 2 and r.json["error"]["code"] == "LNURL_INVOICE_MISMATCH"
    nothing_paid(home, before)


# -- --idempotency-key -----------------------------------------------------------------------------


def test_a_key_pays_once(home: Path, service: LnurlService) -> None:
    args = (service.address, "--amount", "8", "--idempotency-key", "ci-run-42", "--json")
    first = pay(home, service, *args)
    assert first.code == 0, first.out
    assert first.json["idempotency_key"] == "ci-run-42"
    asked = list(service.seen)
    again = pay(home, service, *args)
    assert again.code == 5 and again.json["error"]["code"] == "ALREADY_PAID", again.out
    assert "ci-run-42" in again.json["error"]["message"]
    ok = pay(home, service, *args, "--if-paid", "ok")
    assert ok.code == 0 and ok.json["payment_hash"] == first.json["payment_hash"]
    dry = pay(home, service, *args, "--dry-run")
    assert dry.code == 5 and dry.json["failure_reason"] == "ALREADY_PAID"
    assert service.seen == asked  # nothing resolved again
    assert len(rows(home, "SELECT * FROM payments")) == 1
    # the key works for a BOLT 11 invoice alike, and a bad key is refused
    invoice = run(home, "simulate", "invoice", "--amount", "1", "--json").json["invoice"]
    assert run_here(home, "pay", invoice, "--idempotency-key", "ci-run-42").code == 5
    bad = run_here(home, "pay", invoice, "--idempotency-key", "two words", "--json")
    assert bad.code == 2 and bad.json["error"]["code"] == "INVALID_IDEMPOTENCY_KEY"


def test_a_key_whose_payment_failed_pays_again(home: Path, service: LnurlService) -> None:
    args = (service.address, "--amount", "8", "--idempotency-key", "k1", "--json")
    failed = pay(home, service, *args, "--induce-failure", "1", "--retries", "1")
    assert failed.code == 4, failed.out
    paid = pay(home, service, *args)
    assert paid.code == 0, paid.out
    keyed = rows(home, "SELECT status FROM payments WHERE idempotency_key = 'k1'")
    assert [r["status"] for r in keyed] == ["SUCCEEDED"]


def test_a_key_in_flight_is_not_paid_again(home: Path, service: LnurlService) -> None:
    """A process paying under the key holds it from before it resolves: here, while the
    service is slow to answer it."""
    env = {"SSL_CERT_FILE": str(service.cert)}
    args = ("pay", service.address, "--amount", "4", "--idempotency-key", "held", "--json")
    service.delay_s = 3.0
    holder = popen(home, *args, env=env)
    try:
        deadline = time.monotonic() + 30
        while not service.seen and time.monotonic() < deadline:
            time.sleep(0.02)
        r = pay(home, service, *args[1:], "--if-paid", "ok")
        assert r.code == 5 and r.json["error"]["code"] == "ALREADY_IN_FLIGHT", r.out
        assert len(service.seen) == 1  # the second run asked nothing
        out, err = holder.communicate(timeout=60)
        assert holder.returncode == 0, err
    finally:
        holder.kill()
        holder.wait()
    service.delay_s = 0
    done = pay(home, service, *args[1:], "--if-paid", "ok")
    assert done.code == 0 and done.json["payment_hash"] == json.loads(out)["payment_hash"]


def test_a_key_whose_payment_is_pending_is_not_paid_again(
    home: Path, service: LnurlService
) -> None:
    """The first run ends pending (exit 6: the node holds the payment past --timeout); a re-run
    with the key is ALREADY_IN_FLIGHT (exit 5) while the node says so, and resolves nothing."""
    env = {"SSL_CERT_FILE": str(service.cert), "LNCTL_SIM_LATENCY_MS": "4000"}
    args = ("pay", service.address, "--amount", "4", "--idempotency-key", "slow", "--json")
    first = run(home, *args, "--timeout", "1.5", env=env)
    assert first.code == 6 and first.json["payment"]["idempotency_key"] == "slow", first.out
    asked = len(service.seen)
    again = run(home, *args, "--if-paid", "ok", env=env)
    assert again.code == 5 and again.json["error"]["code"] == "ALREADY_IN_FLIGHT", again.out
    assert again.json["payment"]["payment_hash"] == first.json["payment"]["payment_hash"]
    assert len(service.seen) == asked
    time.sleep(3)  # the node settles it: the key's payment is then the outcome
    done = run(home, *args, "--if-paid", "ok", env=env)
    assert done.code == 0 and done.json["status"] == "SUCCEEDED", done.out
    assert len(service.seen) == asked and len(rows(home, "SELECT * FROM payments")) == 1


def test_several_processes_with_one_key_pay_once(home: Path, service: LnurlService) -> None:
    env = {"SSL_CERT_FILE": str(service.cert)}
    args = ("pay", service.address, "--amount", "6", "--idempotency-key", "once", "--json")
    procs = [popen(home, *args, env=env) for _ in range(5)]
    results = [(p.wait(timeout=120), p.communicate()) for p in procs]
    codes = sorted(code for code, _ in results)
    assert codes.count(0) == 1 and all(code == 5 for code in codes[1:]), results
    for code, (out, _) in results:
        if code == 5:
            assert json.loads(out)["error"]["code"] in ("ALREADY_PAID", "ALREADY_IN_FLIGHT")
    assert len(rows(home, "SELECT * FROM payments")) == 1
    assert local_msat(home) == CAPACITY_MSAT - 6_000 - fee(6_000)


# -- pay --file ------------------------------------------------------------------------------------


def test_batch_lines_pay_addresses_and_keys_once(
    home: Path, service: LnurlService, tmp_path: Path
) -> None:
    invoice = run(home, "simulate", "invoice", "--amount", "2", "--json").json["invoice"]
    batch = tmp_path / "batch.txt"
    batch.write_text(
        f"{service.address} 9 key=line-1\n{invoice}\n{service.lnurl} 3  # no key: pays each run\n"
    )
    first = pay(home, service, "--file", str(batch), "--json")
    assert first.code == 0, first.out
    lines = first.json["payments"]
    assert [line["status"] for line in lines] == ["SUCCEEDED"] * 3
    assert lines[0]["payment"]["paid_to"] == service.address
    assert lines[0]["payment"]["idempotency_key"] == "line-1"
    assert lines[1]["payment"]["paid_to"] is None
    again = pay(home, service, "--file", str(batch), "--json")
    assert again.code == 5, again.out
    statuses = [line["status"] for line in again.json["payments"]]
    assert statuses == ["DUPLICATE", "DUPLICATE", "SUCCEEDED"]
    assert again.json["payments"][0]["error"]["code"] == "ALREADY_PAID"
    bad = tmp_path / "bad.txt"
    bad.write_text(f"{service.address} 9 key=\n")
    r = pay(home, service, "--file", str(bad), "--json")
    assert r.code == 2 and r.json["error"]["code"] == "INVALID_IDEMPOTENCY_KEY"


def test_simulate_invoice_with_a_description_hash(home: Path) -> None:
    digest = hashlib.sha256(b'[["text/plain", "x"]]').hexdigest()
    made = run_here(home, "simulate", "invoice", "--amount", "3", "--description-hash", digest,
                    "--json")  # fmt: skip
    assert made.code == 0, made.err
    decoded = run_here(home, "decode", made.json["invoice"], "--json").json
    assert decoded["description_hash"] == digest and decoded["description"] is None
    for bad in ("ab", "zz" * 32, digest + "00"):
        r = run_here(home, "simulate", "invoice", "--description-hash", bad, "--json")
        assert r.code == 2 and r.json["error"]["code"] == "INVALID_DESCRIPTION_HASH", bad
    both = run_here(home, "simulate", "invoice", "--description", "d", "--description-hash",
                    digest, "--json")  # fmt: skip
    assert both.code == 2 and both.json["error"]["code"] == "USAGE"


def test_every_lnurl_error_code_is_documented() -> None:
    from lnctl import lnurl
    from tests.conftest import ROOT

    readme = (ROOT / "README.md").read_text()
    codes = {v for k, v in vars(lnurl).items() if k.isupper() and isinstance(v, str)}
    codes |= {"INVALID_IDEMPOTENCY_KEY", "INVALID_DESCRIPTION_HASH", "AMOUNT_REQUIRED"}
    assert len(codes) > 12 and {code for code in codes if f"`{code}`" not in readme} == set()
