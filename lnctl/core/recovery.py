"""Recovery, run first by every command that opens a wallet; it never jams.

Each in-flight payment whose process is gone is resolved on its own, under its hash lock, from
fresh state, by asking the node (``lnctl.core.settle.conclude``). One that cannot be resolved (the
node reports something lnctl cannot accept) is marked NEEDS_ATTENTION and reported as one warning
line, and everything else goes on. A node that cannot be reached leaves everything in flight.

A history that is missing, empty or behind the node's record is brought up to what the node
knows (``rebuild_history``).
"""

from __future__ import annotations

import os

from lnctl import log

TYPE_CHECKING = False  # typing costs start-up time; mypy treats this name as typing's
if TYPE_CHECKING:
    from typing import Any

    from lnctl.backends.base import Backend
    from lnctl.core.wallet import Wallet


def recover(wallet: Wallet) -> list[dict[str, Any]]:
    """Resolve every in-flight payment whose process is gone. Returns what it did."""
    history_exists = os.path.exists(wallet.config.path("history.sqlite"))
    if wallet.capabilities.embedded and (
        history_exists or os.path.exists(wallet.config.path("simnet", "network.sqlite"))
    ):
        # an embedded node is cheap to open: another node, a missing node and a lost or older
        # history are all noticed here (Wallet.backend), before the command reads anything
        wallet.backend  # noqa: B018
    if not history_exists:
        return []  # a new wallet, or a history just rebuilt: nothing of ours was in flight
    in_flight = wallet.history.in_flight_payments()
    if not in_flight:
        return []
    from lnctl.core.locks import HashLock
    from lnctl.core.settle import conclude
    from lnctl.errors import (
        BackendAuthError,
        BackendUnavailableError,
        CorruptStateError,
        LnctlError,
    )

    done = []
    for payment_hash in [r["payment_hash"] for r in in_flight]:
        lock = HashLock(wallet.home, payment_hash)
        if not lock.try_acquire():
            continue  # alive in another process
        with lock:
            row = wallet.history.get_payment(payment_hash)
            if row is None or row["status"] != "IN_FLIGHT":
                continue
            try:
                backend = wallet.backend  # another node's history is refused here (exit 1)
                if not wallet.identity_verified:
                    # the node cannot say with these credentials whether it is this history's:
                    # what it says of a payment (or its silence) proves nothing here
                    wallet.warnings.append(
                        f"{len(in_flight)} payment(s) stay in flight: the {backend.name} "
                        "credentials cannot show that the node is this wallet's (an LNbits "
                        "invoice key of a wallet without payments); nothing is concluded"
                    )
                    break
                status = backend.payment_status(payment_hash)
            except CorruptStateError:
                raise
            except (BackendUnavailableError, BackendAuthError) as exc:
                # the node could not be asked: nothing is known, nothing changes
                wallet.warnings.append(f"{len(in_flight)} payment(s) stay in flight: {exc.message}")
                break
            except LnctlError as exc:
                # the node's answer about this one could not be read: unknown is not failed
                wallet.warnings.append(f"payment {payment_hash} stays in flight: {exc.message}")
                continue
            final = conclude(wallet, row, status)
            if final["status"] == "NEEDS_ATTENTION":
                wallet.warnings.append(
                    f"payment {payment_hash} needs attention: {final['attention']} "
                    f"(lnctl payments --status needs_attention)"
                )
            outcome = final["status"] if final["status"] != "IN_FLIGHT" else "STILL_PENDING"
            log.event("info", "recovery", payment_hash=payment_hash, outcome=outcome)
            if final["status"] != "IN_FLIGHT":
                done.append({"payment_hash": payment_hash, "outcome": final["status"]})
    return done


# An invoice the node made this recently may still be on its way into the history (another
# process between asking the node and recording): an older history is repaired without it.
RECENT_S = 60


def rebuild_history(
    wallet: Wallet, backend: Backend, *, everything: bool = False, since: int | None = None
) -> tuple[int, int]:
    """Bring the history up to what the node knows: add every invoice and payment the node has
    and the history lacks (with ``everything`` false, not the invoices made in the last
    ``RECENT_S`` seconds), settle the invoices the node has settled, and correct a payment the
    history has FAILED that the node has since paid (with its proof). With ``since``, only what
    changed at the node after that step of its record. Returns (added, corrected). Memos and
    counters are not the node's to give back."""
    import time

    from lnctl import bolt11
    from lnctl.backends.base import InvoiceState, PaymentState
    from lnctl.core.settle import success_problem
    from lnctl.errors import InvalidInvoiceError

    history = wallet.history
    added = corrected = 0
    recent = time.time() - RECENT_S
    for inv in backend.export_invoices(since):
        settled = inv.status.state is InvoiceState.SETTLED
        row = history.get_invoice(inv.payment_hash)
        if row is not None:
            if settled and row["status"] == "OPEN":
                history.settle_invoice(
                    inv.payment_hash,
                    inv.status.received_msat or 0,
                    inv.status.settled_at,
                    inv.status.preimage,
                )
            continue
        if not everything and inv.created_at > recent:
            continue
        try:
            decoded = bolt11.decode(inv.bolt11)
        except InvalidInvoiceError:
            continue
        added += history.import_invoice(
            {
                "payment_hash": inv.payment_hash,
                "bolt11": inv.bolt11,
                "amount_msat": decoded.amount_msat,
                "description": decoded.description,
                "description_hash": decoded.description_hash,
                "created_at": inv.created_at,
                "expires_at": inv.expires_at,
                "status": "SETTLED" if settled else "OPEN",
                "settled_at": inv.status.settled_at if settled else None,
                "received_msat": inv.status.received_msat if settled else None,
            }
        )
    states = {
        PaymentState.SUCCEEDED: "SUCCEEDED",
        PaymentState.FAILED: "FAILED",
        PaymentState.PENDING: "IN_FLIGHT",
        PaymentState.UNKNOWN: "IN_FLIGHT",
    }
    for pay in backend.export_payments(since):
        status = pay.status
        row = history.get_payment(pay.payment_hash)
        if row is not None:
            # a FAILED record of a payment the node has paid since: only a history older than
            # the node's record has one (a payment is claimed IN_FLIGHT before it is sent)
            if (
                row["status"] == "FAILED"
                and status.state is PaymentState.SUCCEEDED
                and success_problem(row, status) is None
            ):
                assert status.preimage is not None and status.fee_msat is not None
                corrected += history.correct_to_success(
                    pay.payment_hash, status.preimage, status.fee_msat, pay.attempts
                )
            continue
        if not pay.bolt11:
            continue
        try:
            decoded = bolt11.decode(pay.bolt11)
        except InvalidInvoiceError:
            continue
        added += history.import_payment(
            {
                "payment_hash": pay.payment_hash,
                "bolt11": pay.bolt11,
                "payee": decoded.payee,
                "description_hash": decoded.description_hash,
                "amount_msat": pay.amount_msat,
                "max_fee_msat": pay.max_fee_msat,
                "fee_msat": status.fee_msat,
                "status": states[status.state],
                "attempts": max(pay.attempts, 1),
                "failure_reason": status.failure_reason,
                "preimage": status.preimage,
                "created_at": pay.created_at,
            }
        )
    if added or corrected:
        log.event("info", "history_rebuilt", added=added + corrected)
    return added, corrected
