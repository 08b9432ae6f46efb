"""The backend contract (lnctl.backends.base), run against every backend lnctl has."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from lnctl import bolt11
from lnctl.backends.base import (
    INCORRECT_PAYMENT_DETAILS,
    INVOICE_EXPIRED,
    NO_ROUTE,
    TEMPORARY_CHANNEL_FAILURE,
    SendState,
)
from lnctl.backends.simulated import SimSettings, SimulatedBackend, routing_fee_msat
from lnctl.errors import PaymentFailedError
from tests.helpers import foreign_invoice

OUR_NODE = "02" + "22" * 32


def make_simulated(home: Path, **settings: object) -> SimulatedBackend:
    return SimulatedBackend(str(home), OUR_NODE, "regtest", lambda h: None, SimSettings(**settings))  # type: ignore[arg-type]


BACKENDS = {"simulated": make_simulated}


@pytest.fixture(params=sorted(BACKENDS))
def factory(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[object]:
    made: list[SimulatedBackend] = []

    def build(**settings: object) -> SimulatedBackend:
        backend = BACKENDS[request.param](tmp_path, **settings)
        made.append(backend)
        return backend

    yield build
    for backend in made:
        backend.close()


def peer_invoice(backend: SimulatedBackend, msat: int = 50_000) -> bolt11.Invoice:
    [text] = backend.create_remote_invoices(msat, "contract", 3600, 1)
    return bolt11.decode(text)


def test_unknown_before_sending_then_succeeded_with_proof(factory) -> None:  # type: ignore[no-untyped-def]
    backend = factory()
    inv = peer_invoice(backend)
    assert backend.status(inv.payment_hash).state is SendState.UNKNOWN
    route = backend.quote(inv, 50_000)
    assert route.fee_msat == routing_fee_msat(50_000) and not route.self_payment
    result = backend.send(inv, 50_000, 10_000, 1, wait_s=5)
    assert result.state is SendState.SUCCEEDED and result.fee_msat == route.fee_msat
    assert result.preimage is not None
    assert hashlib.sha256(bytes.fromhex(result.preimage)).hexdigest() == inv.payment_hash
    assert backend.status(inv.payment_hash) == result


def test_pending_until_resolved_and_never_resent_meanwhile(factory) -> None:  # type: ignore[no-untyped-def]
    backend = factory(latency_ms=600)
    inv = peer_invoice(backend)
    result = backend.send(inv, 50_000, 10_000, 1, wait_s=0.1)
    assert result.state is SendState.PENDING
    with pytest.raises(RuntimeError):
        backend.send(inv, 50_000, 10_000, 2, wait_s=0.1)
    time.sleep(0.6)
    assert backend.status(inv.payment_hash).state is SendState.SUCCEEDED


def test_transient_failure_is_marked_transient(factory) -> None:  # type: ignore[no-untyped-def]
    backend = factory()
    inv = peer_invoice(backend)
    first = backend.send(inv, 50_000, 10_000, 1, wait_s=1, induce_failure=True)
    assert first.state is SendState.FAILED and first.transient
    assert first.failure_reason == TEMPORARY_CHANNEL_FAILURE
    assert backend.send(inv, 50_000, 10_000, 2, wait_s=1).state is SendState.SUCCEEDED


def test_permanent_failures(factory) -> None:  # type: ignore[no-untyped-def]
    backend = factory()
    with pytest.raises(PaymentFailedError) as info:
        backend.quote(bolt11.decode(foreign_invoice()), 1000)
    assert info.value.code == NO_ROUTE
    inv = peer_invoice(backend)
    short = backend.send(inv, 49_999, 10_000, 1, wait_s=1)
    assert short.state is SendState.FAILED and not short.transient
    assert short.failure_reason == INCORRECT_PAYMENT_DETAILS


def test_seeded_failures_are_reproducible(factory) -> None:  # type: ignore[no-untyped-def]
    def outcomes(seed: str) -> list[bool]:
        backend = factory(failure_rate=0.5, seed=seed)
        return [backend._transient_failure("ab" * 32, attempt) for attempt in range(1, 40)]

    first = outcomes("42")
    assert first == outcomes("42") and first != outcomes("43")
    assert 5 < sum(first) < 35


def test_invoice_expired_at_the_payee(factory) -> None:  # type: ignore[no-untyped-def]
    backend = factory()
    [text] = backend.create_remote_invoices(1000, "short-lived", 1, 1)
    inv = bolt11.decode(text)
    time.sleep(1.1)
    result = backend.send(inv, 1000, 5000, 1, wait_s=1)
    assert result.state is SendState.FAILED and result.failure_reason == INVOICE_EXPIRED
    assert not result.transient
