"""A Lightning Address paid from a real LNbits wallet (issue 23): the local HTTPS LNURL-pay
service hands out invoices of a second LNbits wallet, made by LNbits' own create-invoice API
with ``description_hash``; lnctl checks and pays them, and the money moves between the two
wallets."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import lnbits_env, run
from tests.lnbits_server import http
from tests.lnurl_server import LnurlService, lnurl_server

pytestmark = pytest.mark.integration


@pytest.fixture
def payee(lnbits: Any) -> dict[str, Any]:
    return dict(lnbits.wallet("erin"))


@pytest.fixture
def service(lnbits: Any, payee: dict[str, Any], tmp_path: Path) -> Iterator[LnurlService]:
    def from_lnbits(amount_msat: int, description_hash: bytes) -> tuple[str, bytes | None]:
        status, doc = http(
            "POST",
            lnbits.url + "/api/v1/payments",
            {
                "out": False,
                "amount": amount_msat // 1000,
                "description_hash": description_hash.hex(),
            },
            {"X-Api-Key": payee["inkey"]},
        )
        assert status == 201, doc
        return str(doc["bolt11"]), None  # LNbits keeps the preimage

    (tmp_path / "lnurl").mkdir()
    with lnurl_server(tmp_path / "lnurl") as running:
        running.invoice_source = from_lnbits
        yield running


def test_an_address_backed_by_another_lnbits_wallet_is_paid(
    lnbits: Any, payee: dict[str, Any], service: LnurlService, tmp_path: Path
) -> None:
    payer = lnbits.wallet("frank", sats=50_000)
    env = {**lnbits_env(lnbits, payer), "SSL_CERT_FILE": str(service.cert)}
    home = tmp_path / "frank"
    r = run(home, "pay", service.address, "--amount", "1200", "--comment", "hi", "--json", env=env)
    assert r.code == 0, r.out + r.err
    doc = r.json
    assert doc["status"] == "SUCCEEDED" and doc["amount_msat"] == 1_200_000
    assert hashlib.sha256(bytes.fromhex(doc["preimage"])).hexdigest() == doc["payment_hash"]
    assert doc["paid_to"] == service.address and doc["paid_to_description"] == "Pay alice"
    assert lnbits.balance_msat(payee) == 1_200_000
    assert lnbits.balance_msat(payer) == 50_000_000 - 1_200_000 - doc["fee_msat"]
    listed = run(home, "payments", "--json", env=env).json["payments"]
    assert [p["paid_to"] for p in listed] == [service.address]
    # an idempotency key: the second run pays nothing and resolves nothing
    keyed = ("pay", service.lnurl, "--amount", "300", "--idempotency-key", "job-7", "--json")
    assert run(home, *keyed, env=env).code == 0
    asked = len(service.seen)
    again = run(home, *keyed, env=env)
    assert again.code == 5 and again.json["error"]["code"] == "ALREADY_PAID", again.out
    assert len(service.seen) == asked
    assert lnbits.balance_msat(payee) == 1_500_000
    # an LNbits invoice hashing something else than the metadata: refused, nothing paid
    before = lnbits.balance_msat(payer)
    service.description_hash = b"\x02" * 32
    bad = run(home, "pay", service.address, "--amount", "10", "--json", env=env)
    assert bad.code == 2 and bad.json["error"]["code"] == "LNURL_INVOICE_MISMATCH", bad.out
    assert lnbits.balance_msat(payer) == before and lnbits.balance_msat(payee) == 1_500_000
