"""The backend contract (lnctl.backends.base), run against every backend through the contract
alone. Each backend has a harness that plays the other side (issues an invoice for us to pay, pays
one of ours); the tests talk to the backend under test only through its contract."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from lnctl import bolt11
from lnctl.backends import registry
from lnctl.backends.base import (
    FEE_LIMIT_EXCEEDED,
    NO_ROUTE,
    InvoiceState,
    PaymentState,
)
from lnctl.backends.outcome import pay
from lnctl.backends.simulated import SimSettings, SimulatedBackend
from lnctl.deadline import Deadline

if TYPE_CHECKING:
    from lnctl.backends.base import Backend  # a protocol, for type checking only


@dataclass
class Harness:
    backend: Backend
    payable: Callable[[int], bolt11.Invoice]  # an invoice of another party, for this amount
    pay_ours: Callable[[bolt11.Invoice], None]  # another party pays one of our invoices
    # how the node says "no route within the fee cap" (lnd, behind Lightspark, says NO_ROUTE)
    fee_cap_reason: str = FEE_LIMIT_EXCEEDED


def simulated(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Harness]:
    node = SimulatedBackend(
        str(tmp_path),
        str(tmp_path / "secrets" / "node.key"),
        "regtest",
        SimSettings(),
        create=True,
    )
    # inbound liquidity, so that our invoices can be paid to us
    node.open_channel(node.peer_id, 10_000_000_000, 5_000_000_000)

    def payable(msat: int) -> bolt11.Invoice:
        [new] = node.create_remote_invoices(msat, "contract", 3600, 1)
        return bolt11.decode(new.bolt11)

    def pay_ours(invoice: bolt11.Invoice) -> None:
        node.simulate_incoming(invoice, None)

    yield Harness(node, payable, pay_ours)
    node.close()


def lnbits(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Harness]:
    from lnctl.backends.lnbits import LnbitsBackend, LnbitsSettings

    server = request.getfixturevalue("lnbits")
    us = server.wallet("us", sats=1_000_000)
    them = server.wallet("them", sats=1_000_000)
    backend = LnbitsBackend(LnbitsSettings(server.url, us["adminkey"], us["inkey"], False))

    def payable(msat: int) -> bolt11.Invoice:
        assert msat % 1000 == 0
        return bolt11.decode(server.invoice(them, msat // 1000, "contract")["bolt11"])

    def pay_ours(invoice: bolt11.Invoice) -> None:
        status, doc = server.pay(them, invoice.bolt11)
        assert status == 201 and doc["status"] == "success", doc

    yield Harness(backend, payable, pay_ours)
    backend.close()


def lightspark(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Harness]:
    """Lightspark through its real SDK, against the local double of its API."""
    from lnctl.backends.lightspark import LightsparkBackend, LightsparkSettings

    double = request.getfixturevalue("lightspark_double")
    backend = LightsparkBackend(
        LightsparkSettings(
            double.client_id, double.client_secret, double.node_id, double.node_password, double.url
        )
    )

    def payable(msat: int) -> bolt11.Invoice:
        return bolt11.decode(double.make_invoice(False, msat, "contract")["bolt11"])

    def pay_ours(invoice: bolt11.Invoice) -> None:
        double.pay_ours(invoice.bolt11)

    yield Harness(backend, payable, pay_ours, fee_cap_reason=NO_ROUTE)
    backend.close()


HARNESSES = {"simulated": simulated, "lnbits": lnbits, "lightspark": lightspark}


@pytest.fixture(params=sorted(HARNESSES))
def side(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Harness]:
    yield from HARNESSES[request.param](tmp_path, request)


def test_identity_is_stable_and_node_id_is_a_key(side: Harness) -> None:
    backend = side.backend
    assert backend.identity() == backend.identity() and backend.identity()
    node_id = backend.node_id()
    assert node_id is None or (len(node_id) == 66 and node_id[:2] in ("02", "03"))
    assert (node_id is not None) == backend.capabilities.node_id


def test_the_backend_has_the_capabilities_of_its_registry_entry(side: Harness) -> None:
    backend = side.backend
    assert backend.capabilities == registry.capabilities(backend.name)


def test_invoice_is_created_open_then_settled_when_paid(side: Harness) -> None:
    backend = side.backend
    new = backend.create_invoice(21_000, description="coffee", description_hash=None, expiry=600)
    inv = bolt11.decode(new.bolt11)
    assert inv.payment_hash == new.payment_hash and inv.amount_msat == 21_000
    assert inv.description == "coffee" and new.expires_at - new.created_at == 600
    status = backend.invoice_status(new.payment_hash)
    assert status is not None and status.state == InvoiceState.OPEN
    assert backend.invoice_status("00" * 32) is None
    side.pay_ours(inv)
    settled = backend.invoice_status(new.payment_hash)
    assert settled is not None and settled.state == InvoiceState.SETTLED
    assert settled.received_msat == 21_000


def test_pay_succeeds_with_proof_and_fee_within_the_cap(side: Harness) -> None:
    backend = side.backend
    inv = side.payable(50_000)
    assert backend.payment_status(inv.payment_hash).state == PaymentState.UNKNOWN
    before = backend.balance().spendable_msat
    result = pay(backend, inv, 50_000, 10_000, deadline=Deadline.after(10))
    assert result.state == PaymentState.SUCCEEDED and not result.duplicate
    assert result.preimage is not None
    assert hashlib.sha256(bytes.fromhex(result.preimage)).hexdigest() == inv.payment_hash
    assert result.fee_msat is not None and 0 <= result.fee_msat <= 10_000
    assert backend.payment_status(inv.payment_hash) == result
    assert backend.balance().spendable_msat == before - 50_000 - result.fee_msat


def test_the_node_refuses_to_pay_a_hash_twice_and_says_what_it_knows(side: Harness) -> None:
    backend = side.backend
    inv = side.payable(30_000)
    first = pay(backend, inv, 30_000, 10_000, deadline=Deadline.after(10))
    spent = backend.balance().spendable_msat
    again = pay(backend, inv, 30_000, 10_000, deadline=Deadline.after(10))
    assert again.duplicate and again.state == PaymentState.SUCCEEDED
    assert again.preimage == first.preimage and again.fee_msat == first.fee_msat
    assert backend.balance().spendable_msat == spent  # nothing moved the second time


def test_the_node_enforces_the_fee_cap(side: Harness) -> None:
    backend = side.backend
    if not backend.capabilities.enforces_fee_cap:
        pytest.skip("this node takes no per-payment fee cap (the wallet refuses a fee above it)")
    inv = side.payable(10_000_000)
    before = backend.balance().spendable_msat
    result = pay(backend, inv, 10_000_000, 0, deadline=Deadline.after(10))
    assert result.state == PaymentState.FAILED and result.failure_reason == side.fee_cap_reason
    assert not result.transient
    assert backend.balance().spendable_msat == before


def test_balance_is_in_msat_integers(side: Harness) -> None:
    balance = side.backend.balance()
    assert type(balance.spendable_msat) is int and type(balance.inflight_msat) is int
    assert balance.receivable_msat is None or type(balance.receivable_msat) is int


def test_invoice_expiry_is_reported(side: Harness) -> None:
    backend = side.backend
    new = backend.create_invoice(1_000, description="", description_hash=None, expiry=1)
    time.sleep(1.1)
    status = backend.invoice_status(new.payment_hash)
    assert status is not None and status.state == InvoiceState.EXPIRED
