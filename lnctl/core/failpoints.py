"""Named crash points for tests: ``LNCTL_FAILPOINT=after_reserve`` kills the process with
SIGKILL when it reaches that point, so every crash window is tested on purpose."""

from __future__ import annotations

import os
import signal

POINTS = (
    "after_claim",  # payment recorded IN_FLIGHT, nothing reserved
    "after_reserve",  # HTLC reserved in the ledger, nothing sent
    "before_send",  # attempt counted, not sent
    "after_send",  # the network has the attempt, the wallet has not seen the outcome
    "after_ledger_settle",  # ledger debited, history not yet updated
    "after_ledger_release",  # reservation released, history not yet updated
    "incoming_after_reserve",  # simulate pay: inbound HTLC reserved
    "incoming_after_network",  # simulate pay: the network has paid
    "incoming_after_history",  # simulate pay: invoice SETTLED, ledger not yet credited
    "rotate_after_new_key",  # memo rotation: new primary written, nothing re-encrypted
    "rotate_mid_reencrypt",  # memo rotation: some memos re-encrypted
    "rotate_before_retire",  # memo rotation: all re-encrypted, old keys still in the keyring
)


def hit(name: str, env: dict[str, str]) -> None:
    if env.get("LNCTL_FAILPOINT") == name:
        os.kill(os.getpid(), signal.SIGKILL)
