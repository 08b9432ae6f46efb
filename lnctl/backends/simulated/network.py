"""The simulated network's side (the ``test_network`` capability, ``lnctl simulate``): the peer
issues invoices for this node to pay, and the network pays this node's invoices (remote ->
local), each payment in the same order as the node's own (the ledger's HTLC reserved, then the
record, then the HTLC settled: see ``store.py``)."""

from __future__ import annotations

import time

from lnctl import failpoints
from lnctl.backends.base import (
    ALREADY_PAID,
    INSUFFICIENT_BALANCE,
    INVOICE_EXPIRED,
    NewInvoice,
    PaymentState,
)
from lnctl.backends.channels import IN, best_channel, receivable_msat
from lnctl.backends.simulated import ledger as L
from lnctl.backends.simulated.payments import PayingNode
from lnctl.errors import (
    Code,
    DuplicatePaymentError,
    InvalidInputError,
    InvalidInvoiceError,
    PaymentFailedError,
    check_amount,
)
from lnctl.storage.sqlite import transaction

TYPE_CHECKING = False  # typing costs start-up time; mypy treats this name as typing's
if TYPE_CHECKING:
    from typing import Any

    from lnctl.bolt11 import Invoice


class NodeNetwork(PayingNode):
    """The node with its simulated peer and network."""

    def create_remote_invoices(
        self,
        amount_msat: int | None,
        description: str,
        expiry: int,
        count: int,
        description_hash: bytes | None = None,
    ) -> list[NewInvoice]:
        made: list[NewInvoice] = []
        rows = []
        now = int(time.time())
        payee = self.peer_id
        for _ in range(count):
            text, preimage, payment_hash = self._sign(
                self.peer,
                amount_msat,
                None if description_hash is not None else description,
                description_hash,
                expiry,
                now,
            )
            made.append(NewInvoice(text, payment_hash.hex(), now, now + expiry, payee))
            rows.append((payment_hash.hex(), text, preimage.hex(), amount_msat, now))
        with transaction(self.conn) as conn:
            conn.executemany(
                "INSERT INTO remote_invoices (payment_hash, bolt11, preimage, amount_msat, status, "
                "created_at) VALUES (?, ?, ?, ?, 'OPEN', ?)",
                rows,
            )
        return made

    def simulate_incoming(self, invoice: Invoice, amount_msat: int | None) -> dict[str, Any]:
        """The simulated network pays one of our invoices: remote -> local."""
        if invoice.payee != self.node_id():
            raise InvalidInputError(
                "that invoice was not issued by this wallet", code=Code.NOT_OUR_INVOICE
            )
        payment_hash = invoice.payment_hash
        with self.lock:
            doc = self._settled_ledger()
            row = self.conn.execute(
                "SELECT amount_msat, expires_at, settled_at FROM invoices WHERE payment_hash = ?",
                (payment_hash,),
            ).fetchone()
            if row is None:
                raise InvalidInputError(
                    "this node has no record of that invoice", code=Code.UNKNOWN_INVOICE
                )
            if row["settled_at"] is not None:
                raise DuplicatePaymentError("that invoice is already settled", code=ALREADY_PAID)
            if self._payment_status(payment_hash).state == PaymentState.PENDING:
                raise DuplicatePaymentError(
                    "this wallet is paying that invoice itself", code=Code.ALREADY_IN_FLIGHT
                )
            now = time.time()
            if row["expires_at"] <= now:
                raise InvalidInvoiceError("that invoice has expired", code=INVOICE_EXPIRED)
            amount = self._receivable_amount(row["amount_msat"], amount_msat)
            channel = best_channel(doc["channels"], IN)
            if channel is None or receivable_msat(channel) < amount:
                have = receivable_msat(channel) if channel else 0
                size = L.capacity_for(amount)
                raise PaymentFailedError(
                    f"not enough inbound liquidity: need {_sat(amount)} sat in one channel, have "
                    f"{_sat(have)} sat ({_sat(amount - have)} sat more)",
                    code=INSUFFICIENT_BALANCE,
                    hint=f"open a channel with {_sat(amount)} sat of inbound liquidity: lnctl "
                    f"channel open --peer {self.peer_id} --capacity {size} --push {size}",
                )
            L.reserve(channel, payment_hash, amount, IN, 1)
            ledger_seq = self._write_ledger(doc)
            failpoints.hit("incoming_after_reserve", self.env)
            with transaction(self.conn) as conn:
                conn.execute(
                    "INSERT INTO incoming (payment_hash, amount_msat, paid_at) VALUES (?, ?, ?)",
                    (payment_hash, amount, now),
                )
                self._note_ledger(conn, ledger_seq)
                conn.execute(
                    "UPDATE invoices SET settled_at = ?, received_msat = ? WHERE payment_hash = ?",
                    (now, amount, payment_hash),
                )
            failpoints.hit("incoming_after_record", self.env)
            self._apply(payment_hash)
        return {
            "payment_hash": payment_hash,
            "status": "SETTLED",
            "amount_msat": amount,
            "channel_id": channel["channel_id"],
            "settled_at": int(now),
        }

    @staticmethod
    def _receivable_amount(invoice_msat: int | None, amount_msat: int | None) -> int:
        if invoice_msat is not None:
            if amount_msat is not None:
                raise InvalidInputError(
                    "the invoice already has an amount", code=Code.AMOUNT_NOT_ALLOWED
                )
            return int(invoice_msat)
        if amount_msat is None:
            raise InvalidInputError(
                "the invoice has no amount", code=Code.AMOUNT_REQUIRED, hint="pass --amount SATS"
            )
        return check_amount(amount_msat)


def _sat(msat: int) -> str:
    """An amount of msat in sats as people read it (``1,500.5``)."""
    return f"{msat // 1000:,}" + (f".{msat % 1000:03d}".rstrip("0") if msat % 1000 else "")
