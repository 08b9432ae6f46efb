"""The simulated network's side: invoices of the simulated peer."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lnctl import bolt11
from lnctl.errors import InvalidInputError, check_amount

if TYPE_CHECKING:
    from lnctl.core.wallet import Wallet


def remote_invoices(
    wallet: Wallet, amount_msat: int | None, description: str, expiry: int, count: int
) -> list[dict[str, Any]]:
    if amount_msat is not None:
        check_amount(amount_msat)
    if len(description.encode()) > bolt11.MAX_DESCRIPTION_BYTES:
        raise InvalidInputError(
            "description is longer than BOLT 11 allows", code="DESCRIPTION_TOO_LONG"
        )
    made = wallet.backend.create_remote_invoices(amount_msat, description, expiry, count)
    docs = []
    for text in made:
        inv = bolt11.decode(text)
        docs.append(
            {
                "invoice": text,
                "payment_hash": inv.payment_hash,
                "amount_msat": amount_msat,
                "payee": inv.payee,
                "expires_at": inv.expires_at,
            }
        )
    return docs
