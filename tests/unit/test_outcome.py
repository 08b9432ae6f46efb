"""The one classification of a payment's answer (lnctl.backends.outcome), on its own: every kind
of answer against every thing a lookup can find, and the transport's deadline against a server
that drips or says nothing (issue 19)."""

from __future__ import annotations

import hashlib
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from lnctl.backends.base import PaymentState, PaymentStatus
from lnctl.backends.outcome import (
    FAILURE,
    IN_FLIGHT_ALREADY,
    KINDS,
    PAID_ALREADY,
    PENDING,
    REFUSED,
    SUCCESS,
    Answer,
    NotSent,
    settle,
)
from lnctl.deadline import Deadline
from lnctl.errors import BackendError, BackendUnavailableError, LnctlError

PREIMAGE = "11" * 32
HASH = hashlib.sha256(bytes.fromhex(PREIMAGE)).hexdigest()
PROVEN = PaymentStatus(PaymentState.SUCCEEDED, preimage=PREIMAGE, fee_msat=10)
LIED = PaymentStatus(PaymentState.SUCCEEDED, preimage="22" * 32, fee_msat=10)
FAILED = PaymentStatus(PaymentState.FAILED, failure_reason="NO_ROUTE")
IN_FLIGHT = PaymentStatus(PaymentState.PENDING)
NOTHING = PaymentStatus(PaymentState.UNKNOWN)
FOUND = {"proven": PROVEN, "lied": LIED, "failed": FAILED, "in flight": IN_FLIGHT,
         "nothing": NOTHING, "no answer": None}  # fmt: skip


def lookup_of(found: PaymentStatus | None) -> tuple[list[str], object]:
    asked: list[str] = []

    def lookup(payment_hash: str) -> PaymentStatus:
        asked.append(payment_hash)
        if found is None:
            raise BackendUnavailableError("no answer")
        return found

    return asked, lookup


def answer(kind: str) -> Answer:
    if kind == SUCCESS:
        return Answer(SUCCESS, preimage=PREIMAGE, fee_msat=10)
    if kind == FAILURE:
        return Answer(FAILURE, failure_reason="INSUFFICIENT_BALANCE", detail="said so")
    if kind == REFUSED:
        return Answer(REFUSED, refusal=BackendError("refused", code="BACKEND_REFUSED"))
    return Answer(kind)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("found", sorted(FOUND))
def test_every_answer_ends_in_one_of_four_outcomes(kind: str, found: str) -> None:
    asked, lookup = lookup_of(FOUND[found])
    try:
        got = settle(answer(kind), HASH, lookup, Deadline.after(0.3))  # type: ignore[arg-type]
    except NotSent as exc:
        # not sent: only a refusal the node has no record of, or a payment in flight at the
        # node that is not this wallet's (its own record, if any, failed)
        assert (kind == REFUSED and found in ("nothing", "no answer")) or (
            kind == IN_FLIGHT_ALREADY and found in ("nothing", "no answer", "failed")
        )
        assert isinstance(exc.error, LnctlError)
        return
    if got.state == PaymentState.SUCCEEDED:
        # a success proven by its preimage, or one the wallet will keep aside (never exit 0)
        proven = got.preimage == PREIMAGE
        assert proven or (kind == SUCCESS and found != "proven") or found == "lied"
        assert got.duplicate == (kind in (PAID_ALREADY, IN_FLIGHT_ALREADY))
    elif got.state == PaymentState.FAILED:
        # the node's own statement, or its record of this payment: never a guess
        assert kind == FAILURE or found == "failed" or kind == PAID_ALREADY
        assert found not in ("proven", "lied") or kind not in (FAILURE,)
    else:  # unknown: pending, never sent again
        assert got.state == PaymentState.PENDING
        assert kind not in (SUCCESS, FAILURE)
        assert found in ("in flight", "nothing", "no answer")
    if kind not in (SUCCESS, PENDING):
        assert asked, "every answer but a proven success is looked up"


def test_a_failure_the_lookup_contradicts_is_the_success() -> None:
    _, lookup = lookup_of(PROVEN)
    got = settle(answer(FAILURE), HASH, lookup, Deadline.after(1))  # type: ignore[arg-type]
    assert got.state == PaymentState.SUCCEEDED and got.preimage == PREIMAGE


def test_a_failure_keeps_the_servers_words() -> None:
    _, lookup = lookup_of(NOTHING)
    got = settle(answer(FAILURE), HASH, lookup, Deadline.after(1))  # type: ignore[arg-type]
    assert got.failure_reason == "INSUFFICIENT_BALANCE" and got.detail == "said so"


def test_pending_is_polled_with_backoff_until_it_ends_or_the_deadline() -> None:
    calls: list[float] = []
    began = time.monotonic()

    def lookup(payment_hash: str) -> PaymentStatus:
        calls.append(time.monotonic() - began)
        return PROVEN if len(calls) >= 5 else IN_FLIGHT

    got = settle(Answer(PENDING), HASH, lookup, Deadline.after(10))
    assert got == PROVEN and len(calls) == 5
    gaps = [b - a for a, b in zip(calls, calls[1:], strict=False)]
    assert all(b >= a * 1.5 for a, b in zip(gaps, gaps[1:], strict=False)), gaps  # backs off
    calls.clear()
    began = time.monotonic()
    got = settle(Answer(PENDING), HASH, lambda h: IN_FLIGHT, Deadline.after(0.5))
    assert got.state == PaymentState.PENDING and time.monotonic() - began < 0.7


# -- the transport's deadline -------------------------------------------------------------------


@pytest.fixture
def slow_server() -> Iterator[tuple[str, list[str]]]:
    """An HTTP server on loopback that reads a request, then drips its answer (path /drip) one
    byte every 0.3 s, or never answers (path /mute)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    seen: list[str] = []

    def handle(client: socket.socket) -> None:
        with client:
            data = b""
            while b"\r\n\r\n" not in data:
                data += client.recv(4096)
            path = data.split(b" ")[1].decode()
            seen.append(path)
            answer = b"HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n" + b"x" * 20
            if path == "/mute":
                time.sleep(5)
                return
            for i in range(len(answer)):
                try:
                    client.sendall(answer[i : i + 1])
                except OSError:
                    return
                time.sleep(0.3)

    def serve() -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=handle, args=(client,), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}", seen
    listener.close()


@pytest.mark.parametrize("path", ["/drip", "/mute"])
def test_a_request_ends_by_the_deadline_whatever_the_server_does(
    slow_server: tuple[str, list[str]], path: str
) -> None:
    from lnctl.backends.transport import Transport, Undelivered

    url, seen = slow_server
    transport = Transport(url, "the test server")
    began = time.monotonic()
    with pytest.raises(Undelivered):  # sent: the server may have acted on it
        transport.request("GET", path, {}, None, deadline=Deadline.after(1.0), once=True)
    took = time.monotonic() - began
    assert 0.9 < took < 1.3, took
    assert seen == [path]
    transport.close()


def test_no_time_left_is_not_sent(slow_server: tuple[str, list[str]]) -> None:
    from lnctl.backends.transport import Transport

    url, seen = slow_server
    with pytest.raises(BackendUnavailableError):
        Transport(url, "the test server").request(
            "GET", "/drip", {}, None, deadline=Deadline.after(-1)
        )
    assert seen == []
