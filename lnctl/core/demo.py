"""The demo flow: invoice with memo, paid with one induced failure, result, metrics."""

from __future__ import annotations

from hashlib import sha256
from typing import TYPE_CHECKING, Any

from lnctl.bolt11 import DEFAULT_EXPIRY
from lnctl.core.invoices import create_invoice
from lnctl.core.payments import PayOptions, pay

if TYPE_CHECKING:
    from lnctl.core.wallet import Wallet

DEMO_AMOUNT_MSAT = 100_000 * 1000


def run_demo(wallet: Wallet) -> dict[str, Any]:
    from lnctl.metrics import exposition

    invoice = create_invoice(
        wallet, amount_msat=DEMO_AMOUNT_MSAT, description=None, memo="demo", expiry=DEFAULT_EXPIRY
    )
    payment = pay(wallet, invoice["invoice"], PayOptions(induce_failures=1))
    preimage = payment["preimage"] or ""  # a success always has one
    proof = sha256(bytes.fromhex(preimage)).hexdigest() == payment["payment_hash"]
    return {
        "invoice": invoice,
        "payment": payment,
        "proof_ok": proof,
        "metrics": exposition(wallet.config),
    }
