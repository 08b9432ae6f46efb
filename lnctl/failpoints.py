"""Named crash points for tests: ``LNCTL_FAILPOINT=node_after_reserve`` kills the process with
SIGKILL when it reaches that point, so every crash window is tested on purpose."""

from __future__ import annotations

import os

POINTS = (
    # the wallet (lnctl.core)
    "after_claim",  # payment recorded IN_FLIGHT, nothing asked of the node
    "before_send",  # attempt counted in the history, the node not asked yet
    "after_send",  # the node has answered, the history has not recorded it
    # the simulated node (lnctl.backends.simulated)
    "node_after_reserve",  # HTLC reserved in the ledger, attempt not recorded
    "node_after_record",  # attempt recorded and decided, HTLC not yet settled or released
    "node_after_settle",  # HTLC settled in the ledger (the node's last step)
    "incoming_after_reserve",  # simulate pay: inbound HTLC reserved
    "incoming_after_record",  # simulate pay: the network has paid, HTLC not yet settled
    "channel_after_record",  # channel opened or closed, noted by the record, ledger not restamped
    # memo key rotation
    "rotate_after_new_key",  # new primary written, nothing re-encrypted
    "rotate_mid_reencrypt",  # some memos re-encrypted
    "rotate_before_retire",  # all re-encrypted, old keys still in the keyring
)


def hit(name: str, env: dict[str, str]) -> None:
    if env.get("LNCTL_FAILPOINT") == name:
        import signal  # only when a crash is asked for: not on every command's start

        os.kill(os.getpid(), signal.SIGKILL)
