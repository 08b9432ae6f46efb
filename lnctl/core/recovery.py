"""Recovery, run first by every command that opens a wallet; it never jams.

Each in-flight payment whose process is gone is resolved on its own, under its hash lock, from
fresh state, by asking the node (``lnctl.core.settle.conclude``). One that cannot be resolved (the
node reports something lnctl cannot accept) is marked NEEDS_ATTENTION and reported as one warning
line, and everything else goes on. A node that cannot be reached leaves everything in flight.

A history that is missing, empty or behind the node's record is brought up to what the node
knows when the wallet opens the node (``lnctl.core.wallet``, ``lnctl.core.rebuild``).
"""

from __future__ import annotations

import os

from lnctl import log
from lnctl.storage.rows import IN_FLIGHT, NEEDS_ATTENTION

TYPE_CHECKING = False  # typing costs start-up time; mypy treats this name as typing's
if TYPE_CHECKING:
    from lnctl.core.documents import Recovered
    from lnctl.core.wallet import Wallet


def recover(wallet: Wallet) -> list[Recovered]:
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
    # what resolving needs, imported only when something is in flight (most commands: nothing)
    from lnctl.core.locks import HashLock
    from lnctl.core.settle import conclude
    from lnctl.errors import (
        BackendAuthError,
        BackendUnavailableError,
        CorruptStateError,
        LnctlError,
    )

    done: list[Recovered] = []
    for payment_hash in [r.payment_hash for r in in_flight]:
        lock = HashLock(wallet.home, payment_hash)
        if not lock.try_acquire():
            continue  # alive in another process
        with lock:
            row = wallet.history.get_payment(payment_hash)
            if row is None or row.status != IN_FLIGHT:
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
            if final.status == NEEDS_ATTENTION:
                wallet.warnings.append(
                    f"payment {payment_hash} needs attention: {final.attention} "
                    f"(lnctl payments --status needs_attention)"
                )
            outcome = final.status if final.status != IN_FLIGHT else "STILL_PENDING"
            log.event("info", "recovery", payment_hash=payment_hash, outcome=outcome)
            if final.status != IN_FLIGHT:
                done.append({"payment_hash": payment_hash, "outcome": final.status})
    return done
