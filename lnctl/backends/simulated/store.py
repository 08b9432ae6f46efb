"""The simulated node's record store and its first use: ``$LNCTL_HOME/simnet/network.sqlite``
(the node's identity, its own invoices with their preimages, every payment it was asked to make
and each attempt's outcome, the peer's invoices, what the network paid to us), the node's keys,
and how the record and the channel ledger (``ledger.py``) keep each other honest.

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
whose outcome is known, the ledger again (settled or released: derived from the record), and for
a channel opened or closed, the ledger again stamped with the record's new step (``channels.py``).
So, at every instant, after a ``kill -9`` at any point included::

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

from lnctl.backends.simulated import ledger as L
from lnctl.errors import Code, CorruptStateError, InvalidInputError, StorageError
from lnctl.records import record
from lnctl.storage.files import ensure_private_dir
from lnctl.storage.keys import NodeKey, load_or_create_key, read_key
from lnctl.storage.sqlite import connect, transaction

TYPE_CHECKING = False  # typing costs start-up time; mypy treats this name as typing's
if TYPE_CHECKING:
    from lnctl.backends.simulated.ledger import Doc

# The node's first use opens two channels with its peer: one of 1,000,000 sat all local (to
# send), and one of 1,000,000 sat all on the peer's side (to receive: inbound liquidity, as a
# Lightning service provider gives a new wallet)
FIRST_CHANNEL_MSAT = 1_000_000 * 1000
FIRST_INBOUND_MSAT = 1_000_000 * 1000
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
# v4: the channel each attempt's HTLC was reserved in (a payment's ``channel_id``)
_V4 = """
ALTER TABLE attempts ADD COLUMN channel_id TEXT
"""
MIGRATIONS = (_V1, _V2, _V3, _V4)
STEP_COUNTER_VERSION = 3  # the first record with ``node_state`` (the step counter)


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
        except ValueError as exc:
            raise InvalidInputError(
                "LNCTL_SIM_LATENCY_MS must be an integer and LNCTL_SIM_FAILURE_RATE a number",
                code=Code.INVALID_SETTING,
                hint="e.g. LNCTL_SIM_LATENCY_MS=100 LNCTL_SIM_FAILURE_RATE=0.2, or unset them",
            ) from exc
        for name, value, top in (
            ("LNCTL_SIM_LATENCY_MS", latency, 3_600_000),
            ("LNCTL_SIM_FAILURE_RATE", rate, 1),
        ):  # the one out of bounds is named, alone
            if not 0 <= value <= top:
                raise InvalidInputError(
                    f"{name} must be within 0..{top}, not {value:g}",
                    code=Code.INVALID_SETTING,
                    hint=f"set {name} within 0..{top}, or unset it",
                )
        return cls(latency, rate, env.get("LNCTL_SIM_SEED") or None, env)


def _empty_file(path: str) -> bool:
    """A store that is missing or holds no byte (never written, or emptied)."""
    try:
        return os.path.getsize(path) == 0
    except FileNotFoundError:
        return True


class NodeStore:
    """The node's record and ledger, opened and held to each other; its identity and keys. The
    steps that move money are the settling node's (``payments.py``), built on this."""

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
                self._resolve_left_over()
        except BaseException:
            self.conn.close()
            raise

    def close(self) -> None:
        self.conn.close()

    def _resolve_left_over(self) -> None:
        """Resolve the HTLCs a stopped process left in the ledger (when the node opens on a
        ledger holding any): the settling node's (``payments.py``); the store moves no money."""
        raise NotImplementedError

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
        if 0 < version < STEP_COUNTER_VERSION and head is not None and head[1] > 0:
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

    def _write_ledger(self, doc: Doc, node: str | None = None) -> int:
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
                code=Code.WRONG_NETWORK,
                hint=f"a wallet on {self.network} lives in its own folder: use another "
                f"LNCTL_HOME (or --home); this one stays on {meta['network']}",
            )
        if not self.ledger.exists():
            raise CorruptStateError(
                f"the channel ledger {self.ledger.path} is missing, while the node's record "
                "shows channels",
                hint="restore it from a backup; lnctl never opens a fresh channel in its place",
            )
        return meta

    def _first_use(self) -> dict[str, str]:
        """The node's identity, its peer and its first channels (1,000,000 sat all local, and
        1,000,000 sat all the peer's: ``FIRST_INBOUND_MSAT``). Runs
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
                    ) from exc
            else:
                doc = {"schema_version": L.SCHEMA_VERSION, "channels": []}
                L.new_channel(doc, peer.node_id, FIRST_CHANNEL_MSAT, 0)
                L.new_channel(doc, peer.node_id, FIRST_INBOUND_MSAT, FIRST_INBOUND_MSAT)
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
                code=Code.NODE_KEY_MISSING,
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
