"""The embedded simulated node: our node plus a simulated network with one peer, no network I/O.

Real keys, real invoices, real preimages. The node owns its state, all of it under
``$LNCTL_HOME/simnet/``:

- ``channels.json``: the JSON channel ledger (``ledger.py``): balances and in-flight HTLCs;
- ``network.sqlite``: the node's record: its identity, its own invoices (with their preimages),
  every payment it was asked to make and each attempt's outcome, the peer's invoices, what the
  network paid to us;
- ``peer.key``: the simulated peer's key.

Every step that moves money holds the node lock, and is ordered so that a crash at any instant
leaves a state the node resolves by itself: an HTLC is reserved in the ledger *before* its attempt
is recorded (an HTLC without an attempt was never sent: released), and settled or released only
once its attempt's outcome is visible (an attempt without its HTLC has been applied). An attempt's
outcome is decided when it is sent and visible once its latency (``LNCTL_SIM_LATENCY_MS``) has
passed, so a wallet that stops waiting sees PENDING and a later lookup sees the outcome.

Routing fee rule: 1 sat + 100 ppm of the amount (floored to the msat), for every route, the
self-payment's circular route included.

**The two files vouch for each other**, so that a file put back from an older backup is refused
(``CORRUPT_STATE``, nothing changed) while every crash window still resolves by itself:

- ``network.sqlite`` keeps a step counter, ``node_state.seq``, that triggers advance in the same
  transaction as every change to the node's invoices, payments and attempts, to what the network
  paid us and to the peer's record of its paid invoices (its ``remote_invoices``); and
  ``node_state.ledger_seq``, the ledger version the record has seen.
- ``channels.json`` counts its own versions (``seq``: each write is the previous one plus one)
  and says at which step of the record it was written (``record_seq``) and whose it is
  (``node``).

Every step that moves money writes, under the node lock, in this order: the ledger (an HTLC
reserved; a channel opened or closed), then the record (the attempt and its outcome, or what the
network paid us; with ``ledger_seq`` set to the ledger version just written), then, for an HTLC
whose outcome is known, the ledger again (settled or released: derived from the record). So, at
every instant, after a ``kill -9`` at any point included::

    ledger.record_seq <= record.seq    (the ledger read the record's step before it was written)
    record.ledger_seq <= ledger.seq    (the record names a ledger version already on disk)

A crash leaves one file at most one step ahead of the other, which both allow: a ledger ahead of
the record (an HTLC reserved whose attempt was never recorded: released) or a record ahead of the
ledger (an outcome recorded whose HTLC is not yet resolved: resolved from the record; a ledger
put back to the version of the last reserve is that same state). A file restored from an older
backup falls strictly below what the other has seen: a record older than the ledger
(``record.seq < ledger.record_seq``: it would pay again what it forgot) or a ledger older than
the record (``ledger.seq < record.ledger_seq``: sats spent would be spendable again). Either is
refused when the node opens (a read of both, without their lock; a mismatch is read again under
the lock before it is refused) and at the start of every step that moves money. The wallet's
history keeps the record's step it has seen, and is held to it the same way
(``lnctl.core.wallet``). A ledger without its record (deleted, or an empty ``network.sqlite``) is
refused too, unless it is exactly what the node's first use writes before its record (then the
first use is finished).
"""

from __future__ import annotations

import os
import sqlite3
import time

from lnctl import failpoints
from lnctl.backends.base import (
    FEE_LIMIT_EXCEEDED,
    INCORRECT_PAYMENT_DETAILS,
    INSUFFICIENT_BALANCE,
    INVOICE_EXPIRED,
    NO_ROUTE,
    TEMPORARY_CHANNEL_FAILURE,
    Activity,
    Balance,
    Capabilities,
    InvoiceRecord,
    InvoiceState,
    InvoiceStatus,
    NewInvoice,
    PaymentRecord,
    PaymentState,
    PaymentStatus,
    Quote,
)
from lnctl.backends.simulated import ledger as L
from lnctl.deadline import NO_DEADLINE
from lnctl.errors import (
    CorruptStateError,
    DuplicatePaymentError,
    InvalidInputError,
    InvalidInvoiceError,
    LockTimeoutError,
    NotFoundError,
    PaymentFailedError,
    StorageError,
    check_amount,
)
from lnctl.records import record, replace
from lnctl.storage.files import ensure_private_dir
from lnctl.storage.keys import NodeKey, load_or_create_key, read_key
from lnctl.storage.sqlite import connect, transaction

TYPE_CHECKING = False  # typing costs start-up time; mypy treats this name as typing's
if TYPE_CHECKING:
    from typing import Any

    from lnctl.backends.base import Backend
    from lnctl.backends.outcome import Answer
    from lnctl.bolt11 import Invoice
    from lnctl.deadline import Deadline

FEE_BASE_MSAT = 1_000
FEE_PPM = 100
FIRST_CHANNEL_MSAT = 1_000_000 * 1000  # the node's first channel to its peer, all of it local
FOLDER = "simnet"

_V1 = """
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
"""
_V2 = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE invoices (
    id INTEGER PRIMARY KEY,
    payment_hash TEXT NOT NULL UNIQUE,
    bolt11 TEXT NOT NULL,
    preimage TEXT NOT NULL,
    amount_msat INTEGER,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    settled_at REAL,
    received_msat INTEGER
);
CREATE TABLE payments (
    id INTEGER PRIMARY KEY,
    payment_hash TEXT NOT NULL UNIQUE,
    bolt11 TEXT,
    amount_msat INTEGER NOT NULL,
    max_fee_msat INTEGER NOT NULL,
    created_at REAL NOT NULL
);
INSERT INTO payments (payment_hash, amount_msat, max_fee_msat, created_at)
    SELECT payment_hash, max(amount_msat), 0, min(started_at) FROM attempts GROUP BY payment_hash;
ALTER TABLE attempts ADD COLUMN route_fee_msat INTEGER NOT NULL DEFAULT 0;
ALTER TABLE attempts ADD COLUMN self_payment INTEGER NOT NULL DEFAULT 0
"""
# v3: the step counter that ties the record to the ledger (see the module's docstring); invoices
# and payments carry the step of their last change, so a history that is behind reads only what
# changed since (a payment changes only with an attempt, recorded in the same transaction: the
# attempt's trigger stamps it)
_V3 = """
CREATE TABLE node_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL,
    ledger_seq INTEGER NOT NULL
);
INSERT INTO node_state (id, seq, ledger_seq) VALUES (1, 0, 0);
ALTER TABLE invoices ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE payments ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
CREATE INDEX invoices_seq ON invoices(seq);
CREATE INDEX payments_seq ON payments(seq);
CREATE TRIGGER invoices_made AFTER INSERT ON invoices BEGIN
    UPDATE node_state SET seq = seq + 1;
    UPDATE invoices SET seq = (SELECT seq FROM node_state) WHERE id = NEW.id;
END;
CREATE TRIGGER invoices_settled AFTER UPDATE OF settled_at, received_msat ON invoices BEGIN
    UPDATE node_state SET seq = seq + 1;
    UPDATE invoices SET seq = (SELECT seq FROM node_state) WHERE id = NEW.id;
END;
CREATE TRIGGER attempts_made AFTER INSERT ON attempts BEGIN
    UPDATE node_state SET seq = seq + 1;
    UPDATE payments SET seq = (SELECT seq FROM node_state) WHERE payment_hash = NEW.payment_hash;
END;
CREATE TRIGGER incoming_made AFTER INSERT ON incoming BEGIN
    UPDATE node_state SET seq = seq + 1;
END;
CREATE TRIGGER peer_paid AFTER UPDATE OF status ON remote_invoices BEGIN
    UPDATE node_state SET seq = seq + 1;
END
"""
MIGRATIONS = (_V1, _V2, _V3)


def routing_fee_msat(amount_msat: int) -> int:
    return FEE_BASE_MSAT + amount_msat * FEE_PPM // 1_000_000


@record(frozen=True, slots=True)
class SimSettings:
    latency_ms: int = 0
    failure_rate: float = 0.0
    seed: str | None = None
    env: dict[str, str] | None = None  # for LNCTL_FAILPOINT

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
        if not 0 <= latency <= 3_600_000 or not 0.0 <= rate <= 1.0:
            raise InvalidInputError(
                "LNCTL_SIM_LATENCY_MS must be within 0..3600000 and LNCTL_SIM_FAILURE_RATE "
                "within 0..1",
                code="INVALID_SETTING",
            )
        return cls(latency, rate, env.get("LNCTL_SIM_SEED") or None, env)


def node_exists(home: str) -> bool:
    return os.path.exists(os.path.join(home, FOLDER, "network.sqlite"))


def read_node_id(home: str) -> str | None:
    """The node id kept as data in the node's record, read only (no key loaded, nothing
    created): for the metrics scrape."""
    path = os.path.join(home, FOLDER, "network.sqlite")
    if not os.path.exists(path):
        return None
    from urllib.parse import quote

    conn = sqlite3.connect(f"file:{quote(path)}?mode=ro", uri=True, timeout=5)
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = 'node_id'").fetchone()
    except sqlite3.Error:
        return None
    finally:
        conn.close()
    return str(row[0]) if row else None


def _empty_file(path: str) -> bool:
    """A store that is missing or holds no byte (never written, or emptied)."""
    try:
        return os.path.getsize(path) == 0
    except FileNotFoundError:
        return True


def read_channels(home: str) -> list[dict[str, Any]]:
    """The ledger's channels as they are on disk (read only, no lock): for the metrics scrape."""
    return list(L.Ledger(os.path.join(home, FOLDER)).read()["channels"])


class SimulatedBackend:
    """Our node and its simulated network."""

    name = "simulated"
    deadline = NO_DEADLINE  # the wallet sets the command's (a payment waits for its outcome)
    capabilities = Capabilities(
        channels=True,
        fault_injection=True,
        amountless_invoices=True,
        fee_quote=True,
        simulated_incoming=True,
        retries_itself=False,
        embedded=True,
        exports_records=True,
    )

    def __init__(
        self,
        home: str,
        node_key_path: str,
        network: str,
        settings: SimSettings,
        *,
        create: bool,
    ) -> None:
        self.home = home
        self.folder = os.path.join(home, FOLDER)
        self.network = network
        self.settings = settings
        self.env = settings.env or {}
        self._key_path = node_key_path
        self._key: NodeKey | None = None
        self._peer: NodeKey | None = None
        db = os.path.join(self.folder, "network.sqlite")
        self.db = db
        self._create = create
        if not os.path.exists(db) and not create:
            raise CorruptStateError(
                f"the simulated node's state ({self.folder}) is missing, while this wallet's "
                "history shows it was used",
                hint=f"restore {self.folder} from a backup; lnctl never starts a new node in its "
                "place",
            )
        ensure_private_dir(self.folder)
        self.ledger = L.Ledger(self.folder)
        self.lock = L.NodeLock(self.folder)
        head, htlcs = self.ledger.probe()
        if self._used(head) and _empty_file(db):
            raise self._empty_record()  # refused before anything is written to it
        self.conn = connect(db, MIGRATIONS, "simulated node record", self._before_migration)
        try:
            self._meta = self._load_meta()
            self._check_files(head)
            if htlcs:  # what a stopped process left is resolved now
                self._sweep_if_needed()
        except BaseException:
            self.conn.close()
            raise

    def close(self) -> None:
        self.conn.close()

    # -- the record and the ledger vouch for each other (see the module's docstring) --------------

    def _used(self, head: tuple[str | None, int, int] | None) -> bool:
        """Is there evidence that this node was used: the wallet's history knows it, or a ledger
        exists that is not exactly what the node's first use writes before its record."""
        if not self._create:
            return True
        return head is not None and not (head[0] is not None and head[1:] == (1, 0))

    def _empty_record(self) -> CorruptStateError:
        return CorruptStateError(
            f"the simulated node's record {self.db} is missing or empty, while this wallet's "
            "history or "
            f"its channel ledger ({self.ledger.path}) shows the node was used",
            hint=f"restore {self.db} (with its -wal and -shm files) from a backup; lnctl never "
            "starts a new node on an old ledger",
        )

    def _before_migration(self, version: int) -> None:
        """Refuses, before writing anything: a new (empty) record for a node that was used, and
        a record of an lnctl older than the ledger (restored from an older backup)."""
        head, _ = self.ledger.probe()
        if version == 0 and self._used(head):
            raise self._empty_record()
        if 0 < version < len(MIGRATIONS) and head is not None and head[1] > 0:
            raise self._older_record(0, head[2])

    def _state(self) -> tuple[int, int]:
        """(the record's step, the ledger version it has seen)."""
        [(seq, ledger_seq)] = self.conn.execute("SELECT seq, ledger_seq FROM node_state").fetchall()
        return int(seq), int(ledger_seq)

    def _mismatch(self, head: tuple[str | None, int, int] | None) -> CorruptStateError | None:
        """What is wrong between the ledger's ``head`` and the record, if anything."""
        if head is None:
            return None  # a missing ledger is refused by _load_meta
        node, ledger_seq_on_disk, record_seq = head
        if node is not None and node != self._meta["wallet_id"]:
            return CorruptStateError(
                f"the channel ledger {self.ledger.path} belongs to another node than its record "
                f"{self.db}",
                hint="restore simnet/ (channels.json and network.sqlite) from one backup; "
                "nothing was changed",
            )
        seq, ledger_seq = self._state()
        if record_seq > seq:
            return self._older_record(seq, record_seq)
        if ledger_seq > ledger_seq_on_disk:
            return CorruptStateError(
                f"the channel ledger {self.ledger.path} is older than the node's record (it is "
                f"version {ledger_seq_on_disk}, the record has seen version {ledger_seq}): "
                "restored from an older backup? Payments the record knows would be spent again",
                hint="put back the newer channels.json, or restore simnet/ and history.sqlite "
                "together from one backup; nothing was changed",
            )
        return None

    def _older_record(self, seq: int, record_seq: int) -> CorruptStateError:
        return CorruptStateError(
            f"the simulated node's record {self.db} is older than its channel ledger (it is at "
            f"step {seq}, the ledger was written at step {record_seq}): restored from an older "
            "backup? Invoices it forgot would be paid again",
            hint="put back the newer network.sqlite (with its -wal and -shm files), or restore "
            "simnet/ and history.sqlite together from one backup; nothing was changed",
        )

    def _check_files(self, head: tuple[str | None, int, int] | None) -> None:
        """The ledger and the record vouch for each other (read without the lock: a mismatch is
        read again under the lock, where no step is half done, before it is refused)."""
        if self._mismatch(head) is None:
            return
        with self.lock:
            head, _ = self.ledger.probe()
            problem = self._mismatch(head)
        if problem is not None:
            raise problem

    def _write_ledger(self, doc: dict[str, Any], node: str | None = None) -> int:
        """Write the next version of the ledger (the caller holds the node lock), stamped with
        the record's step; its version (``ledger_seq`` for the record)."""
        return self.ledger.write(doc, node or self._meta["wallet_id"], self._state()[0])

    def _note_ledger(self, conn: sqlite3.Connection, ledger_seq: int) -> None:
        """In the record's transaction: the ledger version just written (never goes back)."""
        conn.execute("UPDATE node_state SET ledger_seq = max(ledger_seq, ?)", (ledger_seq,))

    # -- identity and first use --------------------------------------------------------------------

    def _load_meta(self) -> dict[str, str]:
        meta = {r[0]: r[1] for r in self.conn.execute("SELECT key, value FROM meta")}
        if "wallet_id" not in meta:
            with self.lock:
                meta = {r[0]: r[1] for r in self.conn.execute("SELECT key, value FROM meta")}
                if "wallet_id" not in meta:
                    if self._used(self.ledger.probe()[0]):
                        raise self._empty_record()
                    meta = self._first_use()
        if meta.get("network", self.network) != self.network:
            raise InvalidInputError(
                f"this wallet's node is on {meta['network']}, not {self.network}",
                code="WRONG_NETWORK",
                hint=f"set LNCTL_NETWORK={meta['network']} (or --network), or use another "
                "LNCTL_HOME for a wallet on another network",
            )
        if not self.ledger.exists():
            raise CorruptStateError(
                f"the channel ledger {self.ledger.path} is missing, while the node's record "
                "shows channels",
                hint="restore it from a backup; lnctl never opens a fresh channel in its place",
            )
        return meta

    def _first_use(self) -> dict[str, str]:
        """The node's identity, its peer and its first channel (1,000,000 sat, all local). Runs
        once, under the node lock: the ledger is written first, then the record. A first use that
        stopped in between left a ledger that says whose it is: it is finished with that
        identity. A ledger left by lnctl 0.1 is carried over."""
        key = self._node_key(create=True)
        peer = load_or_create_key(os.path.join(self.folder, "peer.key"))
        head, _ = self.ledger.probe()
        if head is not None and head[0] is not None:
            wallet_id, ledger_seq = head[0], head[1]  # what a stopped first use wrote
        else:
            wallet_id = os.urandom(16).hex()
            old = os.path.join(self.home, L.FILENAME)
            if os.path.exists(old):  # lnctl 0.1 kept the ledger in the wallet's folder
                with open(old, "rb") as fh:
                    raw = fh.read()
                try:
                    doc = L.migrate_v1(raw)
                except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
                    raise CorruptStateError(
                        f"channel ledger {old} (lnctl 0.1) cannot be carried over: {exc}",
                        hint="restore it from a backup",
                    ) from None
            else:
                doc = {"schema_version": L.SCHEMA_VERSION, "channels": []}
                L.new_channel(doc, peer.node_id, FIRST_CHANNEL_MSAT, 0)
            ledger_seq = self.ledger.write(doc, wallet_id, self._state()[0])
            if os.path.exists(old):
                os.replace(old, old + ".migrated")
        meta = {
            "wallet_id": wallet_id,
            "node_id": key.node_id,
            "key_digest": key.digest(),
            "peer_id": peer.node_id,
            "network": self.network,
            "created_at": str(int(time.time())),
        }
        with transaction(self.conn) as conn:
            conn.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", list(meta.items()))
            self._note_ledger(conn, ledger_seq)
        return meta

    @property
    def peer(self) -> NodeKey:
        """The simulated peer's key, loaded (and checked against the node's record) when it
        signs: loading a key loads libsecp256k1, which most commands never need."""
        if self._peer is None:
            peer = read_key(os.path.join(self.folder, "peer.key"))
            if peer.node_id != self._meta["peer_id"]:
                raise CorruptStateError(
                    f"{self.folder}/peer.key is not the key of this node's peer",
                    hint="restore it from the backup of this wallet's simnet folder",
                )
            self._peer = peer
        return self._peer

    def _node_key(self, *, create: bool = False) -> NodeKey:
        """The node key: made on the node's first use only. Once the node exists a missing key
        is refused (NODE_KEY_MISSING): a new one would sign as another node."""
        if self._key is None:
            if create:
                self._key = load_or_create_key(self._key_path)
            else:
                self._require_key_file()
                self._key = read_key(self._key_path)
        return self._key

    def _require_key_file(self) -> None:
        if not os.path.lexists(self._key_path):
            raise StorageError(
                f"the node key {self._key_path} is missing, while this wallet's node exists",
                code="NODE_KEY_MISSING",
                hint="restore secrets/node.key from this wallet's backup; lnctl never makes a new "
                "key for an existing node (it would be another node)",
            )

    def identity(self) -> str:
        return self._meta["wallet_id"]

    def node_id(self) -> str:
        return self._meta["node_id"]

    def label(self) -> str | None:
        return None

    @property
    def peer_id(self) -> str:
        return self._meta["peer_id"]

    def check_key(self) -> None:
        """The node key on disk is this node's key (a swapped key file is refused): by the
        digest recorded at first use, or, for a node made before lnctl recorded it, by deriving
        the public key."""
        self._require_key_file()
        key = read_key(self._key_path)
        digest = self._meta.get("key_digest")
        if digest is not None:
            import hmac

            same = hmac.compare_digest(key.digest(), digest)
        else:
            same = key.node_id == self.node_id()
        if not same:
            raise CorruptStateError(
                f"{self._key_path} is not the key of this wallet's node",
                hint="restore the node key from this wallet's backup",
            )

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

    def _sign(
        self,
        key: NodeKey,
        amount_msat: int | None,
        description: str | None,
        description_hash: bytes | None,
        expiry: int,
        now: int,
    ) -> tuple[str, bytes, bytes]:
        """(invoice, preimage, payment hash) of a fresh invoice signed with ``key``."""
        preimage = os.urandom(32)  # the OS's CSPRNG, as secrets.token_bytes
        from hashlib import sha256  # only when signing an invoice: not on every command's start

        from lnctl import bolt11

        payment_hash = sha256(preimage).digest()
        text = bolt11.encode(
            network=self.network,
            amount_msat=amount_msat,
            payment_hash=payment_hash,
            payment_secret=os.urandom(32),
            description=description,
            description_hash=description_hash,
            expiry=expiry,
            sign=key.sign_recoverable,
            timestamp=now,
        )
        return text, preimage, payment_hash

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

    # -- paying out --------------------------------------------------------------------------------

    def quote(self, invoice: Invoice, amount_msat: int) -> Quote:
        if invoice.payee not in (self.node_id(), self.peer_id):
            raise PaymentFailedError(
                f"no route to node {invoice.payee}",
                code=NO_ROUTE,
                hint="the simulated network reaches only this wallet and its peer",
                details={"failure_reason": NO_ROUTE},
            )
        return Quote(routing_fee_msat(amount_msat), invoice.payee == self.node_id())

    def _transient_failure(self, payment_hash: str, attempt: int) -> bool:
        if self.settings.failure_rate <= 0:
            return False
        import random  # only for random faults: not on every command's start

        if self.settings.seed is not None:
            rng: random.Random = random.Random(f"{self.settings.seed}:{payment_hash}:{attempt}")
        else:
            rng = random.SystemRandom()
        return rng.random() < self.settings.failure_rate

    def _decide(
        self,
        invoice: Invoice,
        amount_msat: int,
        attempt: int,
        induce_failure: bool,
        now: float,
        doc: dict[str, Any],
    ) -> tuple[str, str | None, str | None]:
        """(outcome, failure reason, preimage) of one attempt at the payee (the caller holds the
        node lock, passes the ledger as it stands, and applies the effects of a success)."""
        if induce_failure or self._transient_failure(invoice.payment_hash, attempt):
            return "FAILED", TEMPORARY_CHANNEL_FAILURE, None
        if invoice.payee == self.node_id():
            row = self.conn.execute(
                "SELECT preimage, amount_msat, expires_at, settled_at FROM invoices "
                "WHERE payment_hash = ?",
                (invoice.payment_hash,),
            ).fetchone()
            receiving = L.find_htlc(doc, invoice.payment_hash, L.IN) is not None
        else:
            row = self.conn.execute(
                "SELECT preimage, amount_msat, status FROM remote_invoices WHERE payment_hash = ?",
                (invoice.payment_hash,),
            ).fetchone()
            receiving = row is not None and row["status"] != "OPEN"
        if (
            row is None
            or receiving
            or (invoice.payee == self.node_id() and row["settled_at"] is not None)
            or (row["amount_msat"] is not None and amount_msat < row["amount_msat"])
        ):
            return "FAILED", INCORRECT_PAYMENT_DETAILS, None
        if invoice.is_expired(now):
            return "FAILED", INVOICE_EXPIRED, None
        return "SUCCEEDED", None, str(row["preimage"])

    def ready_to_pay(self) -> None:
        pass  # the node's key is loaded when it signs; nothing else is needed to pay

    def send(
        self,
        invoice: Invoice,
        amount_msat: int,
        max_fee_msat: int,
        *,
        deadline: Deadline,
        induce_failure: bool = False,
    ) -> Answer:
        [(status, resolve_at)] = self.send_many(
            [(invoice, amount_msat, max_fee_msat, induce_failure)]
        )
        return answer_of(status, resolve_at)

    def send_many(
        self, requests: list[tuple[Invoice, int, int, bool]]
    ) -> list[tuple[PaymentStatus, float]]:
        """Send one attempt for each ``(invoice, amount, fee cap, induce a failure)``, all under
        one hold of the node lock and with the node's durable writes shared: every HTLC is
        reserved in one ledger write, then every attempt is recorded in one transaction, then
        what is already decided is settled or released in one ledger write. The order a crash
        depends on is the same as for one payment (see the module's docstring).

        Returns, for each request, its status right after sending and the time at which its
        outcome becomes visible (PENDING until then). A hash that is paid or in flight at the
        node is not sent again: its status comes back with ``duplicate`` set."""
        out: list[tuple[PaymentStatus, float] | None] = []
        records: list[tuple[Any, ...]] = []
        reserved: list[tuple[int, Invoice, int, int, int, int, bool, bool]] = []
        seen: set[str] = set()
        with self.lock:
            doc = self._settled_ledger()
            now = time.time()
            for invoice, amount_msat, max_fee_msat, induce_failure in requests:
                payment_hash = invoice.payment_hash
                if payment_hash in seen:  # one attempt per hash at a time, even in one call
                    out.append((PaymentStatus(PaymentState.PENDING, duplicate=True), now))
                    continue
                seen.add(payment_hash)
                prior = self._payment_status(payment_hash)
                if prior.state in (PaymentState.SUCCEEDED, PaymentState.PENDING):
                    out.append((replace(prior, duplicate=True), now))
                    continue
                last = self._last_attempt(payment_hash)
                number = 1 if last is None else int(last["attempt"]) + 1
                self_payment = invoice.payee == self.node_id()
                fee = routing_fee_msat(amount_msat)
                immediate: str | None = None
                channel: dict[str, Any] | None = None
                if invoice.payee not in (self.node_id(), self.peer_id):
                    immediate = NO_ROUTE
                elif fee > max_fee_msat:
                    immediate = FEE_LIMIT_EXCEEDED
                else:
                    channel = L.best_channel(doc, L.OUT)
                    if channel is None or L.spendable_msat(channel) < amount_msat + fee:
                        immediate = INSUFFICIENT_BALANCE
                if immediate is not None:  # refused at our node: nothing reserved, nothing sent
                    records.append((
                        invoice, number, amount_msat, max_fee_msat, fee, now, now,
                        ("FAILED", immediate, None), self_payment,
                    ))  # fmt: skip
                    out.append(None)
                    continue
                assert channel is not None
                L.reserve(channel, payment_hash, amount_msat + fee, L.OUT, number)
                reserved.append((
                    len(out), invoice, amount_msat, max_fee_msat, fee, number, self_payment,
                    induce_failure,
                ))  # fmt: skip
                out.append(None)
            ledger_seq = 0
            if reserved:
                ledger_seq = self._write_ledger(doc)
                failpoints.hit("node_after_reserve", self.env)
            resolve_at = now + self.settings.latency_ms / 1000
            for (
                _,
                invoice,
                amount_msat,
                max_fee_msat,
                fee,
                number,
                self_payment,
                induce,
            ) in reserved:
                outcome = self._decide(invoice, amount_msat, number, induce, now, doc)
                records.append((
                    invoice, number, amount_msat, max_fee_msat, fee, now, resolve_at, outcome,
                    self_payment,
                ))  # fmt: skip
            if records:
                with transaction(self.conn) as conn:
                    for values in records:
                        self._record_attempt(*values)
                    if ledger_seq:
                        self._note_ledger(conn, ledger_seq)
            if reserved:
                failpoints.hit("node_after_record", self.env)
                if resolve_at <= now and self._apply_to(doc, {r[1].payment_hash for r in reserved}):
                    self._write_ledger(doc)
                    failpoints.hit("node_after_settle", self.env)
            statuses = [
                (done if done is not None else (self._payment_status(r[0].payment_hash), 0.0))
                for done, r in zip(out, requests, strict=True)
            ]
        for i, *_ in reserved:
            statuses[i] = (statuses[i][0], resolve_at)
        return statuses

    def settle_many(self, payment_hashes: list[str]) -> list[PaymentStatus]:
        """The status of each hash, after settling or releasing (in one ledger write, under one
        hold of the lock) every HTLC whose outcome is known: a batch's polling step."""
        with self.lock:
            self._settled_ledger()
            return [self._payment_status(h) for h in payment_hashes]

    def _record_attempt(
        self,
        invoice: Invoice,
        number: int,
        amount_msat: int,
        max_fee_msat: int,
        fee: int,
        now: float,
        resolve_at: float,
        outcome: tuple[str, str | None, str | None],
        self_payment: bool,
    ) -> None:
        result, reason, preimage = outcome
        with transaction(self.conn) as conn:
            conn.execute(
                "INSERT INTO payments (payment_hash, bolt11, amount_msat, max_fee_msat, "
                "created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (payment_hash) DO UPDATE SET "
                "amount_msat = excluded.amount_msat, max_fee_msat = excluded.max_fee_msat, "
                "bolt11 = excluded.bolt11",
                (invoice.payment_hash, invoice.bolt11, amount_msat, max_fee_msat, now),
            )
            conn.execute(
                "INSERT INTO attempts (payment_hash, attempt, amount_msat, started_at, resolve_at, "
                "outcome, failure_reason, fee_msat, preimage, route_fee_msat, self_payment) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    invoice.payment_hash,
                    number,
                    amount_msat,
                    now,
                    resolve_at,
                    result,
                    reason,
                    fee if result == "SUCCEEDED" else None,
                    preimage,
                    fee,
                    int(self_payment),
                ),
            )
            if result != "SUCCEEDED":
                return
            if self_payment:
                conn.execute(
                    "UPDATE invoices SET settled_at = ?, received_msat = ? WHERE payment_hash = ?",
                    (resolve_at, amount_msat, invoice.payment_hash),
                )
            else:
                conn.execute(
                    "UPDATE remote_invoices SET status = 'SETTLED' WHERE payment_hash = ?",
                    (invoice.payment_hash,),
                )

    def _last_attempt(self, payment_hash: str) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self.conn.execute(
            "SELECT * FROM attempts WHERE payment_hash = ? ORDER BY attempt DESC LIMIT 1",
            (payment_hash,),
        ).fetchone()
        return row

    def payment_status(self, payment_hash: str) -> PaymentStatus:
        self._apply_if_needed(payment_hash)
        return self._payment_status(payment_hash)

    def _payment_status(self, payment_hash: str) -> PaymentStatus:
        last = self._last_attempt(payment_hash)
        if last is None:
            return PaymentStatus(PaymentState.UNKNOWN)
        if last["resolve_at"] > time.time():
            return PaymentStatus(PaymentState.PENDING)
        if last["outcome"] == "SUCCEEDED":
            return PaymentStatus(
                PaymentState.SUCCEEDED, preimage=last["preimage"], fee_msat=last["fee_msat"]
            )
        return PaymentStatus(PaymentState.FAILED, failure_reason=last["failure_reason"])

    # -- applying outcomes to the ledger (the node's own recovery) ---------------------------------

    def _apply_if_needed(self, payment_hash: str) -> None:
        """Settle or release this hash's HTLCs whose outcome is known (takes the lock only when
        there is one)."""
        if not self.ledger.may_hold_htlcs():
            return
        doc = self.ledger.read()
        if any(h["payment_hash"] == payment_hash for _, h in L.all_htlcs(doc)):
            try:
                with self.lock:
                    self._apply(payment_hash)
            except LockTimeoutError:
                pass  # the record tells the outcome; the next step that moves money applies it

    def _sweep_if_needed(self) -> dict[str, Any]:
        """Resolve every HTLC whose outcome is known; the ledger as it is then (takes the lock
        only when there is an HTLC)."""
        doc = self.ledger.read()
        if not L.all_htlcs(doc):
            return doc
        with self.lock:
            return self._settled_ledger()

    def _settled_ledger(self) -> dict[str, Any]:
        """Under the node lock: the ledger, every HTLC whose outcome is known resolved (and
        written) first. Every step that moves money starts from it, so an outcome that nobody
        has looked at yet never holds funds back; a command that moves nothing does not read
        the ledger at all."""
        doc = self.ledger.read()
        problem = self._mismatch((doc.get("node"), doc.get("seq", 0), doc.get("record_seq", 0)))
        if problem is not None:
            raise problem
        if self._apply_to(doc, {h["payment_hash"] for _, h in L.all_htlcs(doc)}):
            self._write_ledger(doc)
            failpoints.hit("node_after_settle", self.env)
        return doc

    def _apply(self, payment_hash: str) -> None:
        """Under the node lock: resolve the HTLCs of ``payment_hash`` whose outcome is known."""
        doc = self.ledger.read()
        if self._apply_to(doc, {payment_hash}):
            self._write_ledger(doc)
            failpoints.hit("node_after_settle", self.env)

    def _apply_to(self, doc: dict[str, Any], payment_hashes: set[str]) -> bool:
        """Under the node lock: resolve, in the ledger ``doc`` (the caller writes it), the HTLCs
        of ``payment_hashes`` whose outcome is known. An HTLC whose attempt was never recorded
        was never sent (its process died in between, as only a holder of the lock can be
        between the two): released. True when ``doc`` changed."""
        changed = False
        now = time.time()
        for ch in doc["channels"]:
            for htlc in list(ch["htlcs"]):
                payment_hash = htlc["payment_hash"]
                if payment_hash not in payment_hashes:
                    continue
                if htlc["direction"] == L.OUT:
                    changed |= self._apply_out(ch, htlc, now)
                else:
                    paid = self.conn.execute(
                        "SELECT 1 FROM incoming WHERE payment_hash = ?", (payment_hash,)
                    ).fetchone()
                    (L.settle if paid else L.release)(ch, htlc)
                    changed = True
        return changed

    def _apply_out(self, ch: dict[str, Any], htlc: dict[str, Any], now: float) -> bool:
        payment_hash = htlc["payment_hash"]
        attempt = htlc.get("attempt", 0)
        if attempt:
            row = self.conn.execute(
                "SELECT * FROM attempts WHERE payment_hash = ? AND attempt = ?",
                (payment_hash, attempt),
            ).fetchone()
        else:  # an HTLC carried over from lnctl 0.1: its last attempt
            row = self._last_attempt(payment_hash)
        if row is None:
            L.release(ch, htlc)
            return True
        if row["resolve_at"] > now:
            return False
        if row["outcome"] == "SUCCEEDED":
            # the HTLC holds amount + the route's fee: all of it is spent
            back = int(row["amount_msat"]) if row["self_payment"] else 0
            L.settle(ch, htlc, htlc["amount_msat"], back)
        else:
            L.release(ch, htlc)
        return True

    # -- balances and channels ---------------------------------------------------------------------

    def channels(self) -> list[dict[str, Any]]:
        return list(self._sweep_if_needed()["channels"])

    def balance(self) -> Balance:
        chans = [ch for ch in self.channels() if ch["state"] == L.OPEN]
        return Balance(
            spendable_msat=sum(L.spendable_msat(ch) for ch in chans),
            receivable_msat=sum(L.receivable_msat(ch) for ch in chans),
            inflight_msat=sum(ch["inflight_msat"] for ch in chans),
        )

    def open_channel(self, peer: str, capacity_msat: int, push_msat: int) -> dict[str, Any]:
        check_amount(capacity_msat, "the capacity")
        if not 0 <= push_msat <= capacity_msat:
            raise InvalidInputError(
                "push must be between 0 and the capacity", code="INVALID_AMOUNT"
            )
        if peer == self.node_id():
            raise InvalidInputError(
                "cannot open a channel to this wallet itself", code="INVALID_PEER"
            )
        with self.lock:
            doc = self._settled_ledger()
            ch = L.new_channel(doc, peer, capacity_msat, push_msat)
            self._witnessed_write(doc)
            return dict(ch)

    def _witnessed_write(self, doc: dict[str, Any]) -> None:
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

    def close_channel(self, channel_id: str) -> dict[str, Any]:
        with self.lock:
            doc = self._settled_ledger()
            matches = [ch for ch in doc["channels"] if ch["channel_id"] == channel_id]
            if not matches:
                raise NotFoundError(
                    f"no channel {channel_id}",
                    code="CHANNEL_NOT_FOUND",
                    hint="see lnctl channel list",
                )
            ch = matches[0]
            if ch["state"] == L.CLOSED:
                raise InvalidInputError(
                    f"channel {channel_id} is already closed", code="CHANNEL_CLOSED"
                )
            if ch["htlcs"]:
                raise InvalidInputError(
                    f"channel {channel_id} has {len(ch['htlcs'])} HTLC(s) in flight",
                    code="HTLCS_IN_FLIGHT",
                    hint="wait for the payments to resolve (lnctl payments --status in_flight)",
                )
            ch["state"] = L.CLOSED
            ch["closed_at"] = ch["updated_at"] = int(time.time())
            self._witnessed_write(doc)
            return dict(ch)

    # -- the simulated network's side --------------------------------------------------------------

    def create_remote_invoices(
        self, amount_msat: int | None, description: str, expiry: int, count: int
    ) -> list[NewInvoice]:
        made: list[NewInvoice] = []
        rows = []
        now = int(time.time())
        payee = self.peer_id
        for _ in range(count):
            text, preimage, payment_hash = self._sign(
                self.peer, amount_msat, description, None, expiry, now
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
                "that invoice was not issued by this wallet", code="NOT_OUR_INVOICE"
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
                    "this node has no record of that invoice", code="UNKNOWN_INVOICE"
                )
            if row["settled_at"] is not None:
                raise DuplicatePaymentError("that invoice is already settled", code="ALREADY_PAID")
            if self._payment_status(payment_hash).state is PaymentState.PENDING:
                raise DuplicatePaymentError(
                    "this wallet is paying that invoice itself", code="ALREADY_IN_FLIGHT"
                )
            now = time.time()
            if row["expires_at"] <= now:
                raise InvalidInvoiceError("that invoice has expired", code="INVOICE_EXPIRED")
            amount = self._receivable_amount(row["amount_msat"], amount_msat)
            channel = L.best_channel(doc, L.IN)
            if channel is None or L.receivable_msat(channel) < amount:
                have = L.receivable_msat(channel) if channel else 0
                raise PaymentFailedError(
                    f"not enough inbound liquidity: need {amount // 1000:,} sat, have "
                    f"{have // 1000:,} sat",
                    code=INSUFFICIENT_BALANCE,
                    hint="open a channel with --push, or pay something first",
                )
            L.reserve(channel, payment_hash, amount, L.IN, 1)
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
                    "the invoice already has an amount", code="AMOUNT_NOT_ALLOWED"
                )
            return int(invoice_msat)
        if amount_msat is None:
            raise InvalidInputError(
                "the invoice has no amount", code="AMOUNT_REQUIRED", hint="pass --amount SATS"
            )
        return check_amount(amount_msat)

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


def answer_of(status: PaymentStatus, resolve_at: float) -> Answer:
    """What the node's record says of an attempt just sent, as an Answer (the node refuses a
    hash it has paid or has in flight: ``duplicate``)."""
    # imported when a payment is sent, not when the node opens for a listing
    from lnctl.backends.outcome import (
        FAILURE,
        IN_FLIGHT_ALREADY,
        PAID_ALREADY,
        PENDING,
        SUCCESS,
        Answer,
    )

    if status.duplicate:
        paid = status.state is PaymentState.SUCCEEDED
        return Answer(PAID_ALREADY if paid else IN_FLIGHT_ALREADY)
    if status.state is PaymentState.SUCCEEDED:
        return Answer(SUCCESS, preimage=status.preimage, fee_msat=status.fee_msat)
    if status.state is PaymentState.FAILED:
        return Answer(FAILURE, failure_reason=status.failure_reason)
    return Answer(PENDING, due_s=max(0.0, resolve_at - time.time()))


def _conforms_to_the_contract(backend: SimulatedBackend) -> Backend:
    return backend  # mypy checks that the simulated node implements lnctl.backends.base.Backend
