"""The embedded simulated node: our node plus a simulated network with one peer, no network I/O.

Real keys, real invoices, real preimages. The node owns its state, all of it under
``$LNCTL_HOME/simnet/``:

- ``channels.json``: the JSON channel ledger (``ledger.py``): balances and in-flight HTLCs;
- ``network.sqlite``: the node's record (``store.py``): its identity, its own invoices (with
  their preimages), every payment it was asked to make and each attempt's outcome, the peer's
  invoices, what the network paid to us;
- ``peer.key``: the simulated peer's key.

One room per job, each built on the one before: ``store.py`` opens the record and the ledger and
holds them to each other (the protocol that refuses a file restored from an older backup, while
every crash window resolves by itself, is in its docstring); ``payments.py`` sends and settles
(the order of writes that survives ``kill -9``; the routing fee rule); ``channels.py`` keeps the
channels; ``network.py`` is the simulated network's side. ``SimulatedBackend`` is all of them,
with the node's own invoices and what it exports for a lost or older history.
"""

from __future__ import annotations

import os
import sqlite3
import time

from lnctl.backends import registry
from lnctl.backends.base import (
    Activity,
    InvoiceRecord,
    InvoiceState,
    InvoiceStatus,
    NewInvoice,
    PaymentRecord,
)
from lnctl.backends.simulated import ledger as L
from lnctl.backends.simulated.channels import NodeChannels
from lnctl.backends.simulated.network import NodeNetwork
from lnctl.backends.simulated.payments import answer_of as answer_of  # lnctl.core.engine's
from lnctl.backends.simulated.store import FOLDER, SimSettings
from lnctl.deadline import NO_DEADLINE
from lnctl.storage.sqlite import transaction

TYPE_CHECKING = False  # typing costs start-up time; mypy treats this name as typing's
if TYPE_CHECKING:
    from collections.abc import Callable

    from lnctl.backends.base import Backend, BackendClass, BatchNode, ChannelNode, TestNetwork
    from lnctl.backends.channels import Channel
    from lnctl.config import Config
    from lnctl.deadline import Deadline


class SimulatedBackend(NodeChannels, NodeNetwork):
    """Our node and its simulated network."""

    name = "simulated"
    capabilities = registry.capabilities(name)
    deadline = NO_DEADLINE  # the wallet sets the command's (a payment waits for its outcome)

    @classmethod
    def from_config(
        cls, config: Config, deadline: Deadline, first_use: Callable[[], bool]
    ) -> SimulatedBackend:
        """The node in ``config``'s home: made only on the wallet's ``first_use``, refused as
        missing otherwise (its settings are read first: a bad one is refused before anything
        is opened)."""
        settings = SimSettings.from_env(config.env)
        node = cls(
            config.home,
            config.path("secrets", "node.key"),
            config.network,
            settings,
            create=first_use(),
        )
        node.deadline = deadline
        return node

    @classmethod
    def read_channels(cls, config: Config) -> list[Channel]:
        """The ledger's channels as they are on disk (read only, no lock): for a scrape."""
        return list(L.Ledger(os.path.join(config.home, FOLDER)).read()["channels"])

    # -- invoices of our node ----------------------------------------------------------------------

    def create_invoice(
        self,
        amount_msat: int | None,
        *,
        description: str | None,
        description_hash: bytes | None,
        expiry: int,
    ) -> NewInvoice:
        key = self._node_key()
        if key.node_id != self.node_id():
            self.check_key()
        now = int(time.time())
        text, preimage, payment_hash = self._sign(
            key, amount_msat, description, description_hash, expiry, now
        )
        with transaction(self.conn) as conn:
            conn.execute(
                "INSERT INTO invoices (payment_hash, bolt11, preimage, amount_msat, created_at, "
                "expires_at) VALUES (?, ?, ?, ?, ?, ?)",
                (payment_hash.hex(), text, preimage.hex(), amount_msat, now, now + expiry),
            )
        return NewInvoice(text, payment_hash.hex(), now, now + expiry)

    def invoice_status(self, payment_hash: str) -> InvoiceStatus | None:
        self._apply_if_needed(payment_hash)
        row = self.conn.execute(
            "SELECT expires_at, settled_at, received_msat, preimage FROM invoices "
            "WHERE payment_hash = ?",
            (payment_hash,),
        ).fetchone()
        if row is None:
            return None
        return self._invoice_status(row, time.time())

    @staticmethod
    def _invoice_status(row: sqlite3.Row, now: float) -> InvoiceStatus:
        if row["settled_at"] is not None and row["settled_at"] <= now:
            return InvoiceStatus(
                InvoiceState.SETTLED,
                int(row["received_msat"]),
                int(row["settled_at"]),
                str(row["preimage"]),
            )
        if row["expires_at"] <= now:
            return InvoiceStatus(InvoiceState.EXPIRED)
        return InvoiceStatus(InvoiceState.OPEN)

    # -- what the node has, for a lost or older history --------------------------------------------

    def activity(self) -> Activity:
        return Activity(self._state()[0])

    def export_invoices(self, since: int | None = None) -> list[InvoiceRecord]:
        now = time.time()
        rows = self.conn.execute(
            "SELECT * FROM invoices WHERE seq > ? ORDER BY id", (-1 if since is None else since,)
        ).fetchall()
        return [
            InvoiceRecord(
                r["bolt11"],
                r["payment_hash"],
                int(r["created_at"]),
                int(r["expires_at"]),
                self._invoice_status(r, now),
            )
            for r in rows
        ]

    def export_payments(self, since: int | None = None) -> list[PaymentRecord]:
        out = []
        rows = self.conn.execute(
            "SELECT * FROM payments WHERE seq > ? ORDER BY id", (-1 if since is None else since,)
        ).fetchall()
        for r in rows:
            attempts = self.conn.execute(
                "SELECT count(*) FROM attempts WHERE payment_hash = ?", (r["payment_hash"],)
            ).fetchone()[0]
            out.append(
                PaymentRecord(
                    r["bolt11"] or "",
                    r["payment_hash"],
                    int(r["amount_msat"]),
                    int(r["max_fee_msat"]),
                    int(attempts),
                    float(r["created_at"]),
                    self.payment_status(r["payment_hash"]),
                )
            )
        return out


def _conforms_to_the_contract(
    backend: SimulatedBackend,
) -> tuple[Backend, ChannelNode, BatchNode, TestNetwork]:
    # mypy checks that the simulated node implements lnctl.backends.base's protocols: the
    # contract, and those its capabilities promise (channels, batch_send, test_network)
    return backend, backend, backend, backend


def _class_conforms_to_the_contract() -> BackendClass:
    return SimulatedBackend  # mypy checks it against lnctl.backends.base.BackendClass
