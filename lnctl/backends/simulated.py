"""The embedded simulated node: our node plus a simulated network with one peer, no network I/O.

Real keys, real invoices, real preimages. The network keeps its own record in
``$LNCTL_HOME/simnet/network.sqlite`` (what it was sent and how each attempt ended, the peer's
invoices and preimages, what it paid to us), so after a crash the wallet asks it what happened,
as a real wallet asks its node.

Each attempt's outcome is decided by the network when the attempt is sent and revealed once the
attempt's latency (``LNCTL_SIM_LATENCY_MS``) has passed: a wallet that stops waiting earlier sees
PENDING, and a later status lookup sees the outcome.

Routing fee rule: 1 sat + 100 ppm of the amount (floored to the msat), for every route, the
self-payment's circular route included.
"""

from __future__ import annotations

import hashlib
import os
import random
import secrets
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass

from lnctl import bolt11
from lnctl.backends.base import (
    INCORRECT_PAYMENT_DETAILS,
    INVOICE_EXPIRED,
    NO_ROUTE,
    TEMPORARY_CHANNEL_FAILURE,
    Backend,
    Route,
    SendResult,
    SendState,
)
from lnctl.bolt11 import Invoice
from lnctl.errors import InvalidInputError, PaymentFailedError
from lnctl.storage.files import ensure_private_dir
from lnctl.storage.keys import load_or_create_key
from lnctl.storage.sqlite import connect, transaction

FEE_BASE_MSAT = 1_000
FEE_PPM = 100
FIRST_CHANNEL_MSAT = 1_000_000 * 1000  # the node's first channel to its peer, all of it local

_SCHEMA = (
    """
    CREATE TABLE remote_invoices (
        payment_hash TEXT PRIMARY KEY,
        bolt11 TEXT NOT NULL,
        preimage TEXT NOT NULL,
        amount_msat INTEGER,
        status TEXT NOT NULL CHECK (status IN ('OPEN', 'SETTLED')),
        created_at INTEGER NOT NULL
    );
    CREATE TABLE attempts (
        payment_hash TEXT NOT NULL,
        attempt INTEGER NOT NULL,
        amount_msat INTEGER NOT NULL,
        started_at REAL NOT NULL,
        resolve_at REAL NOT NULL,
        outcome TEXT NOT NULL CHECK (outcome IN ('SUCCEEDED', 'FAILED')),
        failure_reason TEXT,
        fee_msat INTEGER,
        preimage TEXT,
        PRIMARY KEY (payment_hash, attempt)
    );
    CREATE TABLE incoming (
        payment_hash TEXT PRIMARY KEY,
        amount_msat INTEGER NOT NULL,
        paid_at REAL NOT NULL
    )
    """,
)


def routing_fee_msat(amount_msat: int) -> int:
    return FEE_BASE_MSAT + amount_msat * FEE_PPM // 1_000_000


@dataclass(frozen=True, slots=True)
class SimSettings:
    latency_ms: int = 0
    failure_rate: float = 0.0
    seed: str | None = None

    @classmethod
    def from_env(cls, env: dict[str, str]) -> SimSettings:
        try:
            latency = int(env.get("LNCTL_SIM_LATENCY_MS", "0") or 0)
            rate = float(env.get("LNCTL_SIM_FAILURE_RATE", "0") or 0)
        except ValueError:
            raise InvalidInputError(
                "LNCTL_SIM_LATENCY_MS must be an integer and LNCTL_SIM_FAILURE_RATE a number",
                code="INVALID_SETTING",
            ) from None
        if latency < 0 or not 0.0 <= rate <= 1.0:
            raise InvalidInputError(
                "LNCTL_SIM_LATENCY_MS must be >= 0 and LNCTL_SIM_FAILURE_RATE within 0..1",
                code="INVALID_SETTING",
            )
        return cls(latency, rate, env.get("LNCTL_SIM_SEED") or None)


@dataclass(frozen=True, slots=True)
class LocalInvoice:
    """What our node knows of one of its own invoices (looked up in the wallet's store)."""

    preimage: str
    amount_msat: int | None
    settled: bool
    expires_at: int


class SimulatedBackend:
    """Our node and its simulated network. ``local_invoice`` looks up our own invoices (the
    embedded node shares the wallet's invoice store)."""

    name = "simulated"

    def __init__(
        self,
        home: str,
        our_node_id: str,
        network: str,
        local_invoice: Callable[[str], LocalInvoice | None],
        settings: SimSettings,
    ) -> None:
        self.folder = os.path.join(home, "simnet")
        ensure_private_dir(self.folder)
        self.peer = load_or_create_key(os.path.join(self.folder, "peer.key"))
        self.peer_id = self.peer.node_id
        self.our_node_id = our_node_id
        self.network = network
        self.local_invoice = local_invoice
        self.settings = settings
        self.conn = connect(
            os.path.join(self.folder, "network.sqlite"), _SCHEMA, "simulated network"
        )

    def close(self) -> None:
        self.conn.close()

    # -- the peer's invoices -----------------------------------------------------------------------

    def create_remote_invoices(
        self, amount_msat: int | None, description: str, expiry: int, count: int
    ) -> list[str]:
        made = []
        rows = []
        now = int(time.time())
        for _ in range(count):
            preimage = secrets.token_bytes(32)
            payment_hash = hashlib.sha256(preimage).digest()
            invoice = bolt11.encode(
                network=self.network,
                amount_msat=amount_msat,
                payment_hash=payment_hash,
                payment_secret=secrets.token_bytes(32),
                description=description,
                expiry=expiry,
                sign=self.peer.sign_recoverable,
                timestamp=now,
            )
            made.append(invoice)
            rows.append((payment_hash.hex(), invoice, preimage.hex(), amount_msat, now))
        with transaction(self.conn) as conn:
            conn.executemany(
                "INSERT INTO remote_invoices (payment_hash, bolt11, preimage, amount_msat, status, "
                "created_at) VALUES (?, ?, ?, ?, 'OPEN', ?)",
                rows,
            )
        return made

    # -- paying out --------------------------------------------------------------------------------

    def quote(self, invoice: Invoice, amount_msat: int) -> Route:
        if invoice.payee not in (self.our_node_id, self.peer_id):
            raise PaymentFailedError(
                f"no route to node {invoice.payee}",
                code=NO_ROUTE,
                hint="the simulated network reaches only this wallet and its peer",
                details={"failure_reason": NO_ROUTE},
            )
        return Route(
            fee_msat=routing_fee_msat(amount_msat), self_payment=invoice.payee == self.our_node_id
        )

    def _transient_failure(self, payment_hash: str, attempt: int) -> bool:
        if self.settings.failure_rate <= 0:
            return False
        if self.settings.seed is not None:
            rng: random.Random = random.Random(f"{self.settings.seed}:{payment_hash}:{attempt}")
        else:
            rng = random.SystemRandom()
        return rng.random() < self.settings.failure_rate

    def _decide(
        self, invoice: Invoice, amount_msat: int, attempt: int, induce_failure: bool
    ) -> tuple[str, str | None, str | None]:
        """(outcome, failure reason, preimage) of one attempt, applying its effects on the
        network's side. Runs inside the attempt's transaction."""
        if induce_failure or self._transient_failure(invoice.payment_hash, attempt):
            return "FAILED", TEMPORARY_CHANNEL_FAILURE, None
        if invoice.payee == self.our_node_id:
            local = self.local_invoice(invoice.payment_hash)
            if (
                local is None
                or local.settled
                or (local.amount_msat is not None and amount_msat < local.amount_msat)
            ):
                return "FAILED", INCORRECT_PAYMENT_DETAILS, None
            if local.expires_at <= time.time():
                return "FAILED", INVOICE_EXPIRED, None
            return "SUCCEEDED", None, local.preimage
        if invoice.payee != self.peer_id:
            return "FAILED", NO_ROUTE, None
        row = self.conn.execute(
            "SELECT preimage, amount_msat, status FROM remote_invoices WHERE payment_hash = ?",
            (invoice.payment_hash,),
        ).fetchone()
        if (
            row is None
            or row["status"] != "OPEN"
            or (row["amount_msat"] is not None and amount_msat < row["amount_msat"])
        ):
            return "FAILED", INCORRECT_PAYMENT_DETAILS, None
        if invoice.is_expired():
            return "FAILED", INVOICE_EXPIRED, None
        self.conn.execute(
            "UPDATE remote_invoices SET status = 'SETTLED' WHERE payment_hash = ?",
            (invoice.payment_hash,),
        )
        return "SUCCEEDED", None, str(row["preimage"])

    def send(
        self,
        invoice: Invoice,
        amount_msat: int,
        max_fee_msat: int,
        attempt: int,
        *,
        wait_s: float,
        induce_failure: bool = False,
    ) -> SendResult:
        route = self.quote(invoice, amount_msat)
        now = time.time()
        with transaction(self.conn) as conn:
            last = self._last_attempt(invoice.payment_hash)
            if last is not None and (last["outcome"] == "SUCCEEDED" or last["resolve_at"] > now):
                raise RuntimeError("send called while an earlier attempt succeeded or is pending")
            sequence = 1 if last is None else int(last["attempt"]) + 1
            outcome, reason, preimage = self._decide(invoice, amount_msat, sequence, induce_failure)
            conn.execute(
                "INSERT INTO attempts (payment_hash, attempt, amount_msat, started_at, resolve_at, "
                "outcome, failure_reason, fee_msat, preimage) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    invoice.payment_hash,
                    sequence,
                    amount_msat,
                    now,
                    now + self.settings.latency_ms / 1000,
                    outcome,
                    reason,
                    route.fee_msat if outcome == "SUCCEEDED" else None,
                    preimage,
                ),
            )
        resolve_at = now + self.settings.latency_ms / 1000
        wait = min(resolve_at, now + max(wait_s, 0.0)) - time.time()
        if wait > 0:
            time.sleep(wait)
        return self.status(invoice.payment_hash)

    def _last_attempt(self, payment_hash: str) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self.conn.execute(
            "SELECT * FROM attempts WHERE payment_hash = ? ORDER BY attempt DESC LIMIT 1",
            (payment_hash,),
        ).fetchone()
        return row

    def status(self, payment_hash: str) -> SendResult:
        last = self._last_attempt(payment_hash)
        if last is None:
            return SendResult(SendState.UNKNOWN)
        if last["resolve_at"] > time.time():
            return SendResult(SendState.PENDING)
        if last["outcome"] == "SUCCEEDED":
            return SendResult(
                SendState.SUCCEEDED, preimage=last["preimage"], fee_msat=last["fee_msat"]
            )
        return SendResult(SendState.FAILED, failure_reason=last["failure_reason"])

    # -- paying in ---------------------------------------------------------------------------------

    def pay_to_us(self, payment_hash: str, amount_msat: int) -> None:
        """The network pays one of our invoices (recorded once; the HTLC is already reserved)."""
        with transaction(self.conn) as conn:
            conn.execute(
                "INSERT OR IGNORE INTO incoming (payment_hash, amount_msat, paid_at) "
                "VALUES (?, ?, ?)",
                (payment_hash, amount_msat, time.time()),
            )

    def paid_to_us(self, payment_hash: str) -> bool:
        row = self.conn.execute(
            "SELECT 1 FROM incoming WHERE payment_hash = ?", (payment_hash,)
        ).fetchone()
        return row is not None


def _conforms_to_the_contract(backend: SimulatedBackend) -> Backend:
    return backend  # mypy checks that the simulated node implements lnctl.backends.base.Backend
