"""The history store: invoices, payments and the durable metric counters, in one SQLite file.

WAL, ``synchronous=FULL``, ``BEGIN IMMEDIATE`` for every read-then-write (so concurrent writers
queue instead of losing updates), a busy timeout, and ``PRAGMA user_version`` as the schema
version with forward-only migrations. Counters are updated in the same transaction as the event
they count, so metrics can never disagree with the history.
"""

from __future__ import annotations

import time

from lnctl.errors import Code, InvalidInputError, NotFoundError
from lnctl.storage.rows import (
    FAILED,
    IN_FLIGHT,
    INVOICE_COLUMNS,
    NEEDS_ATTENTION,
    OPEN,
    PAYMENT_COLUMNS,
    PAYMENT_STATUSES,
    SETTLED,
    SUCCEEDED,
    InvoiceRow,
    PaymentRow,
)
from lnctl.storage.schema import MIGRATIONS
from lnctl.storage.sqlite import Transaction, connect

TYPE_CHECKING = False  # typing costs start-up time; mypy treats this name as typing's
if TYPE_CHECKING:
    import sqlite3
    from typing import Any

    from lnctl.storage.rows import ImportedInvoice, ImportedPayment, NewInvoice, NewPayment

MAX_PAGE = 1000

# Histogram buckets of ln_payment_latency_seconds, in milliseconds (kept as integers).
LATENCY_BUCKETS_MS = (100, 500, 1000, 1500, 2000, 5000)


class History:
    """The wallet's history store. Use as a context manager or call ``close``."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.conn = connect(path, MIGRATIONS, "history store")
        self.conn.row_factory = None  # plain tuples: records are PaymentRow and InvoiceRow

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> History:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def transaction(self) -> Transaction:
        return Transaction(self.conn)

    # -- meta: which node this history belongs to ------------------------------------------------

    def meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    def metas(self, *keys: str) -> dict[str, str]:
        """The meta values of ``keys`` that are set, in one query."""
        marks = ",".join("?" * len(keys))
        rows = self.conn.execute(
            f"SELECT key, value FROM meta WHERE key IN ({marks})", keys
        ).fetchall()
        return {str(r[0]): str(r[1]) for r in rows}

    def advance_node_seq(self, seq: int) -> None:
        """Note that this history has seen the node's record up to step ``seq`` (``node_seq``
        never goes back: a record below it is older than this history)."""
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO meta (key, value) VALUES ('node_seq', ?) ON CONFLICT (key) DO "
                "UPDATE SET value = excluded.value "
                "WHERE CAST(excluded.value AS INTEGER) > CAST(meta.value AS INTEGER)",
                (str(seq),),
            )

    # -- counters (durable metrics) ----------------------------------------------------------------

    @staticmethod
    def bump(conn: sqlite3.Connection, name: str, labels: str = "", delta: int = 1) -> None:
        conn.execute(
            "INSERT INTO counters (name, labels, value) VALUES (?, ?, ?) "
            "ON CONFLICT (name, labels) DO UPDATE SET value = value + excluded.value",
            (name, labels, delta),
        )

    @staticmethod
    def record_max(conn: sqlite3.Connection, name: str, value: int, labels: str = "") -> None:
        """Keep the largest value seen (a timestamp that must never go back)."""
        conn.execute(
            "INSERT INTO counters (name, labels, value) VALUES (?, ?, ?) "
            "ON CONFLICT (name, labels) DO UPDATE SET value = max(value, excluded.value)",
            (name, labels, value),
        )

    def counters(self) -> dict[tuple[str, str], int]:
        rows = self.conn.execute("SELECT name, labels, value FROM counters").fetchall()
        return {(r[0], r[1]): r[2] for r in rows}

    @staticmethod
    def count_memo_encryption(conn: sqlite3.Connection, key_id: str | None, n: int = 1) -> None:
        if key_id:
            conn.execute(
                "INSERT INTO memo_key_usage (key_id, encryptions) VALUES (?, ?) ON CONFLICT "
                "(key_id) DO UPDATE SET encryptions = encryptions + excluded.encryptions",
                (key_id, n),
            )

    def memo_key_usage(self, key_id: str) -> int:
        row = self.conn.execute(
            "SELECT encryptions FROM memo_key_usage WHERE key_id = ?", (key_id,)
        ).fetchone()
        return int(row[0]) if row else 0

    # -- invoices ----------------------------------------------------------------------------------

    def add_invoice(self, record: NewInvoice, memo_key_id: str | None) -> None:
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO invoices (payment_hash, bolt11, amount_msat, description, "
                "description_hash, memo, memo_key_id, created_at, expires_at, status) "
                "VALUES (:payment_hash, :bolt11, :amount_msat, :description, "
                f":description_hash, :memo, :memo_key_id, :created_at, :expires_at, '{OPEN}') "
                # a concurrent repair may have added it from the node's record: ours is whole
                "ON CONFLICT (payment_hash) DO UPDATE SET memo = excluded.memo, "
                "memo_key_id = excluded.memo_key_id, description = excluded.description",
                {**record, "memo_key_id": memo_key_id},
            )
            self.count_memo_encryption(conn, memo_key_id)
            self.bump(conn, "invoices_created")

    def hashes_with_prefix(self, prefix: str, limit: int) -> list[str]:
        """The payment hashes of invoices and payments that begin with ``prefix`` (lowercase
        hex), in order, at most ``limit``: a range over the hashes' unique indexes (every
        string that begins with the prefix lies between it and the prefix followed by "g", the
        first character after the hex digits), not a scan."""
        rows = self.conn.execute(
            "SELECT payment_hash FROM invoices WHERE payment_hash >= :lo AND payment_hash < :hi "
            "UNION SELECT payment_hash FROM payments WHERE payment_hash >= :lo "
            "AND payment_hash < :hi ORDER BY 1 LIMIT :limit",
            {"lo": prefix, "hi": prefix + "g", "limit": limit},
        ).fetchall()
        return [str(r[0]) for r in rows]

    def get_invoice(self, payment_hash: str) -> InvoiceRow | None:
        row = self.conn.execute(
            f"SELECT {INVOICE_COLUMNS} FROM invoices WHERE payment_hash = ?", (payment_hash,)
        ).fetchone()
        return None if row is None else InvoiceRow(row)

    def settle_invoice(
        self,
        payment_hash: str,
        received_msat: int,
        settled_at: int | None = None,
        preimage: str | None = None,
    ) -> bool:
        """Record that the node settled an OPEN invoice (counted once). False if it was not
        OPEN."""
        with self.transaction() as conn:
            cur = conn.execute(
                f"UPDATE invoices SET status = '{SETTLED}', settled_at = ?, received_msat = ?, "
                f"preimage = ? WHERE payment_hash = ? AND status = '{OPEN}'",
                (int(settled_at or time.time()), received_msat, preimage, payment_hash),
            )
            if cur.rowcount:
                self.bump(conn, "invoices_settled")
                self.bump(conn, "invoices_received_msat", delta=received_msat)
                return True
        return False

    def open_invoice_hashes(self, payment_hashes: list[str]) -> list[str]:
        """Those of ``payment_hashes`` whose invoice this history still has OPEN."""
        if not payment_hashes:
            return []
        marks = ",".join("?" * len(payment_hashes))
        rows = self.conn.execute(
            f"SELECT payment_hash FROM invoices WHERE status = '{OPEN}' "
            f"AND payment_hash IN ({marks})",
            payment_hashes,
        ).fetchall()
        return [r[0] for r in rows]

    def has_invoice(self, payment_hash: str) -> bool:
        return (
            self.conn.execute(
                "SELECT 1 FROM invoices WHERE payment_hash = ?", (payment_hash,)
            ).fetchone()
            is not None
        )

    def import_invoice(self, record: ImportedInvoice) -> bool:
        """Add an invoice the node has and this history lacks (a rebuild). True if added."""
        with self.transaction() as conn:
            cur = conn.execute(
                "INSERT OR IGNORE INTO invoices (payment_hash, bolt11, amount_msat, description, "
                "description_hash, created_at, expires_at, status, settled_at, received_msat) "
                "VALUES (:payment_hash, :bolt11, :amount_msat, :description, :description_hash, "
                ":created_at, :expires_at, :status, :settled_at, :received_msat)",
                record,
            )
            return bool(cur.rowcount)

    def import_payment(self, record: ImportedPayment) -> bool:
        """Add a payment the node has and this history lacks (a rebuild). True if added."""
        with self.transaction() as conn:
            cur = conn.execute(
                "INSERT OR IGNORE INTO payments (payment_hash, bolt11, payee, description_hash, "
                "amount_msat, max_fee_msat, fee_msat, status, attempts, failure_reason, preimage, "
                "created_at, updated_at) VALUES (:payment_hash, :bolt11, :payee, "
                ":description_hash, :amount_msat, :max_fee_msat, :fee_msat, :status, :attempts, "
                ":failure_reason, :preimage, :created_at, :created_at)",
                record,
            )
            return bool(cur.rowcount)

    def list_invoices(
        self, status: str | None, limit: int, cursor: int | None
    ) -> tuple[list[InvoiceRow], int | None]:
        """One page of invoices, newest first, and the cursor of the next page (or None)."""
        now = int(time.time())
        where = {
            "open": (f"status = '{OPEN}' AND expires_at > ?", (now,)),
            "expired": (f"status = '{OPEN}' AND expires_at <= ?", (now,)),
            "settled": (f"status = '{SETTLED}'", ()),
        }.get(status or "", None)
        rows, cursor = self._page("invoices", INVOICE_COLUMNS, where, limit, cursor)
        return [InvoiceRow(r) for r in rows], cursor

    # -- payments ----------------------------------------------------------------------------------

    def get_payment(self, payment_hash: str) -> PaymentRow | None:
        row = self.conn.execute(
            f"SELECT {PAYMENT_COLUMNS} FROM payments WHERE payment_hash = ?", (payment_hash,)
        ).fetchone()
        return None if row is None else PaymentRow(row)

    def payment_by_key(self, idempotency_key: str) -> PaymentRow | None:
        """The payment made under ``--idempotency-key`` (at most one: a unique index)."""
        row = self.conn.execute(
            f"SELECT {PAYMENT_COLUMNS} FROM payments WHERE idempotency_key = ?",
            (idempotency_key,),
        ).fetchone()
        return None if row is None else PaymentRow(row)

    def claim_payment(self, values: NewPayment) -> PaymentRow | None:
        """Record a payment IN_FLIGHT (the caller holds the hash lock), in one transaction with
        the memo key's use. Returns the stored row instead, unchanged, when the hash is already
        SUCCEEDED, IN_FLIGHT or NEEDS_ATTENTION, or when another payment of that state holds
        its idempotency key; a FAILED one is paid again as a fresh payment (and gives its key
        up)."""
        with self.transaction() as conn:
            row = self.get_payment(values["payment_hash"])
            if row is not None and row.status != FAILED:
                return row
            key = values["idempotency_key"]
            if key is not None:  # one payment per key: a FAILED one gives it up, others keep it
                holder = self.payment_by_key(key)
                if holder is not None and holder.payment_hash != values["payment_hash"]:
                    if holder.status != FAILED:
                        return holder
                    conn.execute(
                        "UPDATE payments SET idempotency_key = NULL WHERE payment_hash = ?",
                        (holder.payment_hash,),
                    )
            if row is None:
                conn.execute(
                    "INSERT INTO payments (payment_hash, bolt11, payee, description_hash, "
                    "amount_msat, max_fee_msat, memo, memo_key_id, created_at, updated_at, status, "
                    "paid_to, paid_to_description, idempotency_key) "
                    "VALUES (:payment_hash, :bolt11, :payee, :description_hash, :amount_msat, "
                    f":max_fee_msat, :memo, :memo_key_id, :now, :now, '{IN_FLIGHT}', "
                    ":paid_to, :paid_to_description, :idempotency_key)",
                    values,
                )
            else:
                conn.execute(
                    "UPDATE payments SET bolt11 = :bolt11, payee = :payee, "
                    "description_hash = :description_hash, amount_msat = :amount_msat, "
                    "max_fee_msat = :max_fee_msat, memo = coalesce(:memo, memo), "
                    "memo_key_id = coalesce(:memo_key_id, memo_key_id), created_at = :now, "
                    f"updated_at = :now, status = '{IN_FLIGHT}', attempts = 0, fee_msat = NULL, "
                    "failure_reason = NULL, preimage = NULL, latency_ms = NULL, "
                    "channel_id = NULL, attention = NULL, last_sent_at = NULL, "
                    "paid_to = :paid_to, paid_to_description = :paid_to_description, "
                    "idempotency_key = :idempotency_key WHERE payment_hash = :payment_hash",
                    values,
                )
            self.count_memo_encryption(conn, values["memo_key_id"])
        return None

    def abandon_claim(self, payment_hash: str, previous: PaymentRow | None) -> None:
        """Undo a claim whose one request never reached the node (or was refused outright): the
        payment goes back to what it was (nothing, or its earlier FAILED record). Nothing is
        recorded as failed. The attempt stays counted in the metrics: a Prometheus counter never
        decreases (a decrease reads as a reset), and the attempt was started."""
        with self.transaction() as conn:
            row = self.get_payment(payment_hash)
            if row is None or row.status != IN_FLIGHT:
                return
            if previous is None:
                conn.execute("DELETE FROM payments WHERE payment_hash = ?", (payment_hash,))
            else:
                conn.execute(
                    f"UPDATE payments SET status = '{FAILED}', failure_reason = ?, attempts = ?, "
                    "latency_ms = ?, created_at = ?, updated_at = ?, last_sent_at = ?, "
                    "paid_to = ?, paid_to_description = ?, idempotency_key = NULL "
                    "WHERE payment_hash = ?",
                    (
                        previous.failure_reason,
                        previous.attempts,
                        previous.latency_ms,
                        previous.created_at,
                        previous.updated_at,
                        previous.last_sent_at,
                        previous.paid_to,
                        previous.paid_to_description,
                        payment_hash,
                    ),
                )

    def count_attempt(self, payment_hash: str) -> int:
        """Mark that an attempt is about to be sent (from here on, the node may have it)."""
        now = time.time()
        with self.transaction() as conn:
            conn.execute(
                "UPDATE payments SET attempts = attempts + 1, updated_at = ?, last_sent_at = ? "
                "WHERE payment_hash = ?",
                (now, now, payment_hash),
            )
            attempts = int(
                conn.execute(
                    "SELECT attempts FROM payments WHERE payment_hash = ?", (payment_hash,)
                ).fetchone()[0]
            )
            self.bump(conn, "payment_attempts")
            if attempts > 1:
                self.bump(conn, "payment_retries")
        return attempts

    def record_success(
        self,
        payment_hash: str,
        preimage: str,
        fee_msat: int,
        *,
        ours: bool = True,
        channel_id: str | None = None,
    ) -> PaymentRow:
        """IN_FLIGHT -> SUCCEEDED with the node's proof and fee (counted once). ``ours`` False:
        a payment this wallet learned of (the node refused to send it again: another process's
        or another home's on the same server wallet), recorded with its proof but not counted as
        this wallet's success, amount sent, fee or latency (``payments_already_paid``)."""
        now = time.time()
        with self.transaction() as conn:
            row = self._require_payment(payment_hash)
            if row.status == IN_FLIGHT:
                latency_ms = max(0, int((now - row.created_at) * 1000))
                conn.execute(
                    f"UPDATE payments SET status = '{SUCCEEDED}', preimage = ?, fee_msat = ?, "
                    "channel_id = ?, failure_reason = NULL, latency_ms = ?, updated_at = ? "
                    "WHERE payment_hash = ?",
                    (preimage, fee_msat, channel_id, latency_ms, now, payment_hash),
                )
                if not ours:
                    self.bump(conn, "payments_already_paid")
                else:
                    self.bump(conn, "payments_succeeded")
                    self.bump(conn, "payments_sent_msat", delta=row.amount_msat)
                    self.bump(conn, "payment_fees_msat", delta=fee_msat)
                    self.record_max(conn, "last_success_timestamp", int(now))
                    self._observe_latency(conn, latency_ms)
            return self._require_payment(payment_hash)

    def uncount_attempt(self, payment_hash: str) -> PaymentRow:
        """The node refused this wallet's last attempt because the hash is paid or in flight
        already: it was no attempt of this wallet's (the record's count goes back; the metric,
        a counter, does not). A record with no attempt that ends SUCCEEDED is not counted as
        this wallet's success."""
        with self.transaction() as conn:
            conn.execute(
                "UPDATE payments SET attempts = max(0, attempts - 1) WHERE payment_hash = ? "
                f"AND status = '{IN_FLIGHT}'",
                (payment_hash,),
            )
            return self._require_payment(payment_hash)

    def record_failure(self, payment_hash: str, reason: str) -> PaymentRow:
        """IN_FLIGHT -> FAILED with the node's reason (counted once)."""
        now = time.time()
        with self.transaction() as conn:
            row = self._require_payment(payment_hash)
            if row.status == IN_FLIGHT:
                latency_ms = max(0, int((now - row.created_at) * 1000))
                conn.execute(
                    f"UPDATE payments SET status = '{FAILED}', failure_reason = ?, latency_ms = ?, "
                    "updated_at = ? WHERE payment_hash = ?",
                    (reason, latency_ms, now, payment_hash),
                )
                self.bump(conn, "payments_failed", reason)
                self._observe_latency(conn, latency_ms)
            return self._require_payment(payment_hash)

    def correct_to_success(
        self, payment_hash: str, preimage: str, fee_msat: int, attempts: int
    ) -> bool:
        """A FAILED record of a payment the node has since paid (a history restored from an
        older backup): SUCCEEDED with the node's proof and fee. Counters are not changed: they
        are not the node's to give back. True if it was corrected."""
        with self.transaction() as conn:
            cur = conn.execute(
                f"UPDATE payments SET status = '{SUCCEEDED}', preimage = ?, fee_msat = ?, "
                "failure_reason = NULL, attempts = max(attempts, ?), updated_at = ? "
                f"WHERE payment_hash = ? AND status = '{FAILED}'",
                (preimage, fee_msat, attempts, time.time(), payment_hash),
            )
            return bool(cur.rowcount)

    def mark_attention(self, payment_hash: str, reason: str) -> PaymentRow:
        """IN_FLIGHT -> NEEDS_ATTENTION: what the node said cannot be accepted as it is."""
        with self.transaction() as conn:
            conn.execute(
                f"UPDATE payments SET status = '{NEEDS_ATTENTION}', attention = ?, updated_at = ? "
                f"WHERE payment_hash = ? AND status = '{IN_FLIGHT}'",
                (reason, time.time(), payment_hash),
            )
            return self._require_payment(payment_hash)

    def _require_payment(self, payment_hash: str) -> PaymentRow:
        row = self.get_payment(payment_hash)
        if row is None:
            raise NotFoundError(f"no payment with payment hash {payment_hash}")
        return row

    @classmethod
    def _observe_latency(cls, conn: sqlite3.Connection, latency_ms: int) -> None:
        for bucket in LATENCY_BUCKETS_MS:
            if latency_ms <= bucket:
                cls.bump(conn, "payment_latency_bucket", str(bucket))
        cls.bump(conn, "payment_latency_count")
        cls.bump(conn, "payment_latency_sum_ms", delta=latency_ms)

    def in_flight_payments(self) -> list[PaymentRow]:
        rows = self.conn.execute(
            f"SELECT {PAYMENT_COLUMNS} FROM payments WHERE status = '{IN_FLIGHT}'"
        ).fetchall()
        return [PaymentRow(r) for r in rows]

    def list_payments(
        self, status: str | None, limit: int, cursor: int | None
    ) -> tuple[list[PaymentRow], int | None]:
        """One page of payments, newest first, and the cursor of the next page (or None)."""
        if status is not None and status.upper() not in PAYMENT_STATUSES:
            raise InvalidInputError(
                f"unknown payment status {status!r}",
                code=Code.INVALID_STATUS,
                hint=f"one of: {', '.join(s.lower() for s in PAYMENT_STATUSES)}",
            )
        where = ("status = ?", (status.upper(),)) if status else None
        rows, cursor = self._page("payments", PAYMENT_COLUMNS, where, limit, cursor)
        return [PaymentRow(r) for r in rows], cursor

    def _page(
        self,
        table: str,
        columns: str,
        where: tuple[str, tuple[object, ...]] | None,
        limit: int,
        cursor: int | None,
    ) -> tuple[list[tuple[Any, ...]], int | None]:
        """One page of ``columns`` (the last is ``id``), newest first, and the next cursor."""
        if not 1 <= limit <= MAX_PAGE:
            raise InvalidInputError(
                f"--limit must be between 1 and {MAX_PAGE}", code=Code.INVALID_LIMIT
            )
        clauses, args = ([where[0]], list(where[1])) if where else ([], [])
        if cursor is not None and not 0 < cursor < 1 << 63:
            raise InvalidInputError(
                "--cursor is not a cursor lnctl gave", code=Code.INVALID_CURSOR,
                hint="use the next_cursor of the previous page",
            )  # fmt: skip
        if cursor is not None:
            clauses.append("id < ?")
            args.append(cursor)
        sql = f"SELECT {columns} FROM {table}"
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        rows = self.conn.execute(f"{sql} ORDER BY id DESC LIMIT ?", [*args, limit + 1]).fetchall()
        if len(rows) > limit:  # one more than asked: there is a next page
            return rows[:limit], int(rows[limit - 1][-1])
        return rows, None

    def rows_with_memos(
        self, table: str, not_key: str, limit: int
    ) -> list[tuple[int, str, str, str]]:
        """(id, payment_hash, memo, memo_key_id) of the memos not under key ``not_key``."""
        assert table in ("invoices", "payments")
        return self.conn.execute(
            f"SELECT id, payment_hash, memo, memo_key_id FROM {table} "
            "WHERE memo IS NOT NULL AND memo_key_id != ? ORDER BY id LIMIT ?",
            (not_key, limit),
        ).fetchall()

    def has_memos(self) -> bool:
        """Does any invoice or payment hold a memo (read from the memo-key indexes)?"""
        row = self.conn.execute(
            "SELECT EXISTS (SELECT 1 FROM invoices WHERE memo_key_id IS NOT NULL) "
            "OR EXISTS (SELECT 1 FROM payments WHERE memo_key_id IS NOT NULL)"
        ).fetchone()
        return bool(row[0])

    def memo_key_ids_in_use(self) -> set[str]:
        rows = self.conn.execute(
            "SELECT DISTINCT memo_key_id FROM invoices WHERE memo_key_id IS NOT NULL UNION "
            "SELECT DISTINCT memo_key_id FROM payments WHERE memo_key_id IS NOT NULL"
        ).fetchall()
        return {r[0] for r in rows}


def read_only_snapshot(path: str) -> tuple[dict[tuple[str, str], int], dict[str, str]]:
    """The counters and the meta values of the history at ``path``, opened read-only (nothing
    is created; a missing store reads as empty)."""
    import os
    import sqlite3
    from urllib.parse import quote

    from lnctl.storage.sqlite import diagnose

    if not os.path.exists(path):
        return {}, {}
    try:
        conn = sqlite3.connect(f"file:{quote(path)}?mode=ro", uri=True, timeout=10)
    except sqlite3.Error as exc:
        raise diagnose(exc, "history store", path) from exc
    try:
        counters = {
            (r[0], r[1]): int(r[2])
            for r in conn.execute("SELECT name, labels, value FROM counters").fetchall()
        }
        try:
            meta = {str(r[0]): str(r[1]) for r in conn.execute("SELECT key, value FROM meta")}
        except sqlite3.OperationalError:  # a store of lnctl 0.1, not yet migrated
            meta = {}
        return counters, meta
    except sqlite3.DatabaseError as exc:
        # a read-only home, a lock, a full disk are named as such: only damage is CORRUPT_STATE
        raise diagnose(exc, "history store", path) from exc
    finally:
        conn.close()
