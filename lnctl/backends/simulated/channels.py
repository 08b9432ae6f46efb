"""The simulated node's channels (the ``channels`` capability, ``lnctl channel``): listed with
every HTLC whose outcome is known resolved first; opened and closed under the node lock, each a
change of the ledger the record cannot derive, so the record notes the ledger's version (see
``store.py``)."""

from __future__ import annotations

import time

from lnctl import failpoints
from lnctl.backends.base import Balance
from lnctl.backends.channels import CLOSED, OPEN, receivable_msat, spendable_msat
from lnctl.backends.simulated import ledger as L
from lnctl.backends.simulated.payments import PayingNode
from lnctl.errors import Code, InvalidInputError, NotFoundError, check_amount
from lnctl.storage.sqlite import transaction

TYPE_CHECKING = False  # typing costs start-up time; mypy treats this name as typing's
if TYPE_CHECKING:
    from lnctl.backends.channels import Channel
    from lnctl.backends.simulated.ledger import Doc


class NodeChannels(PayingNode):
    """The node's channels and its balance over them."""

    def channels(self) -> list[Channel]:
        return list(self._sweep_if_needed()["channels"])

    def balance(self) -> Balance:
        chans = [ch for ch in self.channels() if ch["state"] == OPEN]
        return Balance(
            spendable_msat=sum(spendable_msat(ch) for ch in chans),
            receivable_msat=sum(receivable_msat(ch) for ch in chans),
            inflight_msat=sum(ch["inflight_msat"] for ch in chans),
        )

    def open_channel(self, peer: str, capacity_msat: int, push_msat: int) -> Channel:
        check_amount(capacity_msat, "the capacity")
        if capacity_msat < L.MIN_CAPACITY_SAT * 1000:
            raise InvalidInputError(
                f"the capacity must be at least {L.MIN_CAPACITY_SAT:,} sat, the smallest channel "
                "the node opens (LND's default minimum)",
                code=Code.INVALID_AMOUNT,
                hint=f"--capacity {L.MIN_CAPACITY_SAT} or more",
            )
        if not 0 <= push_msat <= capacity_msat:
            raise InvalidInputError(
                "push must be between 0 and the capacity", code=Code.INVALID_AMOUNT
            )
        if peer == self.node_id():
            raise InvalidInputError(
                "cannot open a channel to this wallet itself", code=Code.INVALID_PEER
            )
        with self.lock:
            doc = self._settled_ledger()
            ch = L.new_channel(doc, peer, capacity_msat, push_msat)
            self._witnessed_write(doc)
            return ch.copy()

    def _witnessed_write(self, doc: Doc) -> None:
        """A change of the ledger that the record cannot derive (a channel opened or closed):
        the ledger, then the record notes its version (and takes a step), then the ledger again,
        stamped with that step. The record's note refuses an older ledger; the second stamp
        refuses an older record, which would otherwise pass for a crash between the first two
        writes (and a later older ledger would then agree with it: the channel gone unnoticed)."""
        ledger_seq = self._write_ledger(doc)
        with transaction(self.conn) as conn:
            self._note_ledger(conn, ledger_seq)
            conn.execute("UPDATE node_state SET seq = seq + 1")
        failpoints.hit("channel_after_record", self.env)
        self._write_ledger(doc)

    def close_channel(self, channel_id: str) -> Channel:
        with self.lock:
            doc = self._settled_ledger()
            matches = [ch for ch in doc["channels"] if ch["channel_id"] == channel_id]
            if not matches:
                raise NotFoundError(
                    f"no channel {channel_id}",
                    code=Code.CHANNEL_NOT_FOUND,
                    hint="see lnctl channel list",
                )
            ch = matches[0]
            if ch["state"] == CLOSED:
                raise InvalidInputError(
                    f"channel {channel_id} is already closed", code=Code.CHANNEL_CLOSED
                )
            if ch["htlcs"]:
                raise InvalidInputError(
                    f"channel {channel_id} has {len(ch['htlcs'])} HTLC(s) in flight",
                    code=Code.HTLCS_IN_FLIGHT,
                    hint="wait for the payments to resolve (lnctl payments --status in_flight)",
                )
            ch["state"] = CLOSED
            ch["closed_at"] = ch["updated_at"] = int(time.time())
            self._witnessed_write(doc)
            return ch.copy()
