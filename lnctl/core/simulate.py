"""The simulated network's side (backends with the ``test_network`` capability): invoices
of the simulated peer, and payments to our invoices."""

from __future__ import annotations

from lnctl import bolt11
from lnctl.core.invoices import MAX_EXPIRY, refresh_invoices
from lnctl.errors import Code, InvalidInputError, check_amount

TYPE_CHECKING = False  # typing costs start-up time; mypy treats this name as typing's
if TYPE_CHECKING:
    from typing import Any

    from lnctl.core.documents import RemoteInvoiceDocument
    from lnctl.core.wallet import Wallet


def remote_invoices(
    wallet: Wallet,
    amount_msat: int | None,
    description: str,
    expiry: int,
    count: int,
    description_hash: str | None = None,
) -> list[RemoteInvoiceDocument]:
    """The simulated peer's invoices; ``description_hash`` (64 hex digits: sha256 of what
    the payer was shown, as an LNURL service's metadata) instead of a description."""
    wallet.require("test_network", "lnctl simulate")
    if amount_msat is not None:
        check_amount(amount_msat)
    hashed = None
    if description_hash is not None:
        if description:
            raise InvalidInputError(
                "give --description or --description-hash, not both", code=Code.USAGE
            )
        try:
            hashed = bytes.fromhex(description_hash)
        except ValueError:
            hashed = b""
        if len(hashed) != 32:
            raise InvalidInputError(
                "--description-hash is 64 hex digits (a SHA-256)",
                code=Code.INVALID_DESCRIPTION_HASH,
            )
    if len(description.encode()) > bolt11.MAX_DESCRIPTION_BYTES:
        raise InvalidInputError(
            "description is longer than BOLT 11 allows", code=Code.DESCRIPTION_TOO_LONG
        )
    if not 0 < expiry <= MAX_EXPIRY:
        raise InvalidInputError(
            f"expiry must be between 1 and {MAX_EXPIRY} seconds", code=Code.INVALID_EXPIRY
        )
    made = wallet.test_network.create_remote_invoices(
        amount_msat, description, expiry, count, hashed
    )
    return [
        {
            "invoice": new.bolt11,
            "payment_hash": new.payment_hash,
            "amount_msat": amount_msat,
            "payee": new.payee,
            "expires_at": new.expires_at,
        }
        for new in made
    ]


def incoming(wallet: Wallet, text: str, amount_msat: int | None) -> dict[str, Any]:
    """The simulated network pays one of our invoices; the history records the settlement."""
    wallet.require("test_network", "lnctl simulate")
    doc = wallet.test_network.simulate_incoming(bolt11.decode(text), amount_msat)
    refresh_invoices(wallet, [doc["payment_hash"]])
    return doc
