"""What lnctl reports when Lightspark's API answers a payment badly (issue 19), through the real
SDK against the local double with the faults it learned: a TLS fault after the request was
carried out, 429 and other 4xx, an answer dripped a byte a second, PENDING first and the result
later, GraphQL errors, the node's signing key in the older AES-CBC formats, SELF_PAYMENT and
reasons the SDK does not know, a remote-signing node, and another node's payments."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Result, run, run_here

pytestmark = pytest.mark.integration


def ls(home: Path, double: Any, *args: str, **env: str) -> Result:
    return run_here(home, *args, env={**double.env(), **env})


def payable(double: Any, msat: int) -> str:
    return str(double.make_invoice(False, msat, "elsewhere")["bolt11"])


@pytest.fixture
def tls_double(tmp_path: Path) -> Iterator[Any]:
    pytest.importorskip("lightspark", reason="the lightspark extra (CPython 3.9-3.12 only)")
    from tests.lightspark_double import LightsparkDouble

    folder = tmp_path / "tls"
    folder.mkdir()
    double = LightsparkDouble(tls_folder=str(folder))
    yield double
    double.close()


# -- 12: a TLS fault after the request was carried out is unknown; a handshake refused is not sent


def test_a_tls_fault_after_sending_is_looked_up(tls_double: Any, tmp_path: Path) -> None:
    double, home = tls_double, tmp_path / "h"
    double.tls_fault["PayInvoice"] = 1  # the node pays; the answer's TLS record is garbage
    text = payable(double, 20_000)
    paid = ls(home, double, "pay", text, "--json")
    assert paid.code == 0 and paid.json["status"] == "SUCCEEDED", paid.out + paid.err
    assert double.calls["PayInvoice"] == 1
    again = ls(home, double, "pay", text, "--json")
    assert again.code == 5 and double.calls["PayInvoice"] == 1


def test_a_certificate_refused_before_sending_is_not_sent(tls_double: Any, tmp_path: Path) -> None:
    double, home = tls_double, tmp_path / "h"
    env = {k: v for k, v in double.env().items() if k != "REQUESTS_CA_BUNDLE"}
    refused = run_here(home, "pay", payable(double, 1_000), "--json", env=env)
    assert refused.code == 1 and refused.json["error"]["code"] == "BACKEND_UNAVAILABLE"
    assert "certificate is not trusted" in refused.json["error"]["message"], refused.out
    assert sum(double.calls.values()) == 0  # not a byte of a request (nor a credential) sent
    assert run_here(home, "payments", "--json", env=env).json["payments"] == []


# -- 13: a refusal the server states before doing anything is not sent ------------------------


@pytest.mark.parametrize(
    ("status", "code"), [(429, "BACKEND_UNAVAILABLE"), (400, "BACKEND_REFUSED")]
)
def test_a_4xx_to_a_payment_is_not_sent_and_paying_again_works(
    lightspark_double: Any, tmp_path: Path, status: int, code: str
) -> None:
    double, home = lightspark_double, tmp_path / "h"
    double.refuse["PayInvoice"] = [status]
    text = payable(double, 30_000)
    refused = ls(home, double, "pay", text, "--json")
    assert refused.code == 1 and refused.json["error"]["code"] == code, refused.out
    assert ls(home, double, "payments", "--json").json["payments"] == []  # the claim undone
    paid = ls(home, double, "pay", text, "--json")
    assert paid.code == 0, paid.out
    assert len(double.payments) == 1


# -- 14: a FAILED invoice can be paid again, exactly once ---------------------------------------


def test_a_failed_invoice_can_be_paid_again(lightspark_double: Any, tmp_path: Path) -> None:
    double, home = lightspark_double, tmp_path / "h"
    text = payable(double, 25_000)
    double.failure_reason_override = "NO_ROUTE"
    failed = ls(home, double, "pay", text, "--json")
    assert failed.code == 3 and failed.json["payment"]["failure_reason"] == "NO_ROUTE"
    paid = ls(home, double, "pay", text, "--json")
    assert paid.code == 0 and paid.json["status"] == "SUCCEEDED", paid.out
    keys = [v["idempotency_key"] for v in double.pay_variables]
    payment_hash = paid.json["payment_hash"]
    assert keys == [payment_hash, f"{payment_hash}:1"]
    # every payer after that one failure uses the same key: the node makes one payment
    other = ls(tmp_path / "other", double, "pay", text, "--json")
    assert other.code == 5 and len([p for p in double.payments if p["status"] == "SUCCESS"]) == 1


# -- 15, 16: the node's kind, and the older key formats ----------------------------------------


def test_a_remote_signing_node_is_named_and_refused(lightspark_double: Any, tmp_path: Path) -> None:
    double, home = lightspark_double, tmp_path / "h"
    double.node_kind = "LightsparkNodeWithRemoteSigning"
    for args in (["info"], ["pay", payable(double, 1_000)]):
        r = ls(home, double, *args, "--json")
        assert r.code == 2 and r.json["error"]["code"] == "LIGHTSPARK_NODE_UNSUPPORTED", r.out
        assert "LightsparkNodeWithRemoteSigning" in r.json["error"]["message"]
        assert "OSK" in r.json["error"]["message"]
    assert double.calls["PayInvoice"] == 0


@pytest.mark.parametrize("key_format", ["v0", "v1"])
def test_a_wrong_password_on_an_older_key_format_is_node_password_wrong(
    tmp_path: Path, key_format: str
) -> None:
    pytest.importorskip("lightspark")
    from tests.lightspark_double import LightsparkDouble

    double = LightsparkDouble(key_format=key_format)
    try:
        home = tmp_path / "h"
        text = payable(double, 9_000)
        for guess in ("guess", "correct horse", "x" * 40):
            wrong = ls(home, double, "pay", text, "--json", LNCTL_LIGHTSPARK_NODE_PASSWORD=guess)
            assert wrong.code == 2, wrong.out
            assert wrong.json["error"]["code"] == "NODE_PASSWORD_WRONG"
        dry = ls(home, double, "pay", text, "--dry-run", "--json",
                 LNCTL_LIGHTSPARK_NODE_PASSWORD="guess")  # fmt: skip
        assert dry.code == 2 and dry.json["error"]["code"] == "NODE_PASSWORD_WRONG"  # item 9
        assert double.calls["PayInvoice"] == 0
        paid = ls(home, double, "pay", text, "--json")
        assert paid.code == 0, paid.out
    finally:
        double.close()


# -- 17, 18: PENDING first, the result later; polling backs off; the API's own timeout ----------


def test_a_pending_payment_is_polled_with_backoff_until_it_settles(
    lightspark_double: Any, tmp_path: Path
) -> None:
    double, home = lightspark_double, tmp_path / "h"
    double.settle_after_s = 4.0
    began = time.monotonic()
    paid = ls(home, double, "pay", payable(double, 12_000), "--timeout", "20", "--json")
    took = time.monotonic() - began
    assert paid.code == 0 and paid.json["status"] == "SUCCEEDED", paid.out
    assert 4 <= took < 8, took
    # one lookup before paying, then waits doubling from 50 ms to 1 s: about 9 in 4 s (not 50+)
    assert double.calls["OutgoingPaymentsForPaymentHash"] <= 12, double.calls
    # the API is asked to answer with time to spare before lnctl stops waiting
    [sent] = double.pay_variables
    assert 1 <= sent["timeout_secs"] <= 19


def test_invoice_wait_backs_off(lightspark_double: Any, tmp_path: Path) -> None:
    double, home = lightspark_double, tmp_path / "h"
    inv = ls(home, double, "invoice", "--amount", "3", "--json").json
    before = double.calls["InvoiceForPaymentHash"]
    waited = ls(home, double, "invoice", "wait", inv["payment_hash"], "--timeout", "6", "--json")
    assert waited.code == 6 and waited.json["error"]["code"] == "WAIT_TIMEOUT"
    assert double.calls["InvoiceForPaymentHash"] - before <= 8, double.calls


def test_a_failure_found_after_an_undelivered_answer_is_kept(
    lightspark_double: Any, tmp_path: Path
) -> None:
    double, home = lightspark_double, tmp_path / "h"
    double.failure_reason_override = "NO_ROUTE"
    double.withhold["PayInvoice"] = 1
    double.hold_s = 0.1  # the node fails the payment, the answer never comes
    r = ls(home, double, "pay", payable(double, 8_000), "--json")
    assert r.code == 3 and r.json["payment"]["failure_reason"] == "NO_ROUTE", r.out


def test_an_answer_dripped_a_byte_a_second_ends_at_the_deadline(
    lightspark_double: Any, tmp_path: Path
) -> None:
    double, home = lightspark_double, tmp_path / "h"
    double.drip["PayInvoice"] = 1
    text = payable(double, 6_000)
    began = time.monotonic()
    r = run(home, "pay", text, "--timeout", "4", "--json", env=double.env())
    took = time.monotonic() - began
    assert r.code == 6 and r.json["payment"]["status"] == "IN_FLIGHT", r.out + r.err
    assert took < 4 + 1.5 + 1.0, took  # the SDK's import is a second of its own here
    looked = ls(home, double, "lookup", r.json["payment"]["payment_hash"], "--json")
    assert looked.json["payment"]["status"] == "SUCCEEDED"
    assert double.calls["PayInvoice"] == 1


# -- 19: structured fields only; reasons one to one ------------------------------------------


@pytest.mark.parametrize(
    "message", ["Signed request expired", "Invalid signature for node", "invoice expired"]
)
def test_an_unstructured_graphql_error_on_a_payment_is_pending(
    lightspark_double: Any, tmp_path: Path, message: str
) -> None:
    double, home = lightspark_double, tmp_path / "h"
    double.graphql_errors["PayInvoice"] = [{"message": message}]
    r = ls(home, double, "pay", payable(double, 5_000), "--json")
    assert r.code == 6 and r.json["payment"]["status"] == "IN_FLIGHT", r.out
    assert message in r.json["error"]["message"]  # its words are shown, never read


@pytest.mark.parametrize("reason", ["ERROR", "RISK_SCREENING_FAILED", "BRAND_NEW_REASON"])
def test_failure_reasons_are_kept_one_to_one(
    lightspark_double: Any, tmp_path: Path, reason: str
) -> None:
    double, home = lightspark_double, tmp_path / "h"
    double.failure_reason_override = reason
    r = ls(home, double, "pay", payable(double, 5_000), "--json")
    assert r.code == 3 and r.json["payment"]["failure_reason"] == reason, r.out
    metrics = ls(home, double, "metrics").out
    assert f'ln_payment_failure_total{{reason="{reason}"}} 1.0' in metrics


def test_paying_an_invoice_of_this_node_is_self_payment(
    lightspark_double: Any, tmp_path: Path
) -> None:
    double, home = lightspark_double, tmp_path / "h"
    ours = ls(home, double, "invoice", "--amount", "4", "--json").json
    r = ls(home, double, "pay", ours["invoice"], "--json")
    assert r.code == 3 and r.json["payment"]["failure_reason"] == "SELF_PAYMENT", r.out


# -- 20: lookups count this node's payments only ----------------------------------------------


def test_another_nodes_payments_are_not_this_nodes(lightspark_double: Any, tmp_path: Path) -> None:
    double, home = lightspark_double, tmp_path / "h"
    pending = payable(double, 7_000)
    double.other_node_payment(pending, "PENDING")  # another node of the account pays it
    failed = payable(double, 7_000)
    double.other_node_payment(failed, "FAILED")
    for text in (pending, failed):
        r = ls(home, double, "pay", text, "--json")
        assert r.code == 0 and r.json["status"] == "SUCCEEDED", r.out
    # this node's first payment of each: the key is the hash alone (no failure of its own)
    assert [v["idempotency_key"] for v in double.pay_variables] == [
        v["idempotency_key"].split(":")[0] for v in double.pay_variables
    ]


# -- the transport honours HTTPS_PROXY, as requests did ------------------------------------------


def test_requests_go_through_an_https_proxy_from_the_environment(
    tls_double: Any, tmp_path: Path
) -> None:
    import socket
    import threading

    tunnels: list[str] = []
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)

    def pipe(a: socket.socket, b: socket.socket) -> None:
        try:
            while data := a.recv(65536):
                b.sendall(data)
        except OSError:
            pass
        finally:
            b.close()

    def serve() -> None:  # a CONNECT proxy, as HTTPS_PROXY names
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            head = b""
            while b"\r\n\r\n" not in head:
                head += client.recv(4096)
            target = head.split(b" ")[1].decode()
            tunnels.append(target)
            host, port = target.rsplit(":", 1)
            upstream = socket.create_connection((host, int(port)))
            client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            threading.Thread(target=pipe, args=(client, upstream), daemon=True).start()
            threading.Thread(target=pipe, args=(upstream, client), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    try:
        proxy = f"http://127.0.0.1:{listener.getsockname()[1]}"
        got = ls(tmp_path / "h", tls_double, "info", "--json", HTTPS_PROXY=proxy, NO_PROXY="")
        assert got.code == 0, got.out
        assert tunnels and tunnels[0].startswith("127.0.0.1:")
    finally:
        listener.close()
