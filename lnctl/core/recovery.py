"""Recovery, run first by every command that touches a wallet.

Cheap when nothing is in flight (one indexed query and one small file read, no backend opened),
so it can run at the start of every process. When something is in flight, the payment module
resolves it against the backend's record (see ``lnctl.core.payments.resolve``).
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing costs start-up time; mypy treats this name as typing's
if TYPE_CHECKING:
    from typing import Any

    from lnctl.core.wallet import Wallet


def recover(wallet: Wallet) -> list[dict[str, Any]]:
    """Resolve every in-flight payment and HTLC whose process is gone. Returns what it did."""
    if not wallet.has_activity():
        return []
    from lnctl.storage.ledger import Ledger

    ledger = Ledger(wallet.home)
    htlcs = ledger.htlcs() if ledger.exists() else {}
    in_flight = wallet.history.in_flight_payments()
    if not htlcs and not in_flight:
        return []
    from lnctl.core.payments import resolve

    return resolve(wallet, htlcs, in_flight)
