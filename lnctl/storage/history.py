"""The history store: invoices, payments and the durable metric counters, in one SQLite file.

WAL, ``synchronous=FULL``, ``BEGIN IMMEDIATE`` for every read-then-write (so concurrent writers
queue instead of losing updates), a busy timeout, and ``PRAGMA user_version`` as the schema
version with forward-only migrations. Counters are updated in the same transaction as the event
they count, so metrics can never disagree with the history.
"""

from __future__ import annotations

import time

from lnctl.errors import InvalidInputError, NotFoundError
from lnctl.storage.sqlite import Transaction, connect

TYPE_CHECKING = False  # typing costs start-up time; mypy treats this name as typing's
if TYPE_CHECKING:
    import sqlite3
MAX_PAGE = 1000

# Histogram buckets of ln_payment_latency_seconds, in milliseconds (kept as integers).
LATENCY_BUCKETS_MS = (100, 500, 1000, 1500, 2000, 5000)

_V1 = """
CREATE TABLE invoices (
    id INTEGER PRIMARY KEY,
    payment_hash TEXT NOT NULL UNIQUE,
    bolt11 TEXT NOT NULL,
    preimage TEXT NOT NULL,
    amount_msat INTEGER CHECK (amount_msat IS NULL OR amount_msat > 0),
    description TEXT,
    description_hash TEXT,
    memo TEXT,
    memo_key_id TEXT,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('OPEN', 'SETTLED')),
    settled_at INTEGER,
    received_msat INTEGER
);
CREATE INDEX invoices_memo_key ON invoices(memo_key_id) WHERE memo_key_id IS NOT NULL;
CREATE TABLE payments (
    id INTEGER PRIMARY KEY,
    payment_hash TEXT NOT NULL UNIQUE,
    bolt11 TEXT NOT NULL,
    payee TEXT NOT NULL,
    description_hash TEXT,
    amount_msat INTEGER NOT NULL CHECK (amount_msat > 0),
    max_fee_msat INTEGER NOT NULL CHECK (max_fee_msat >= 0),
    fee_msat INTEGER,
    status TEXT NOT NULL CHECK (status IN ('IN_FLIGHT', 'SUCCEEDED', 'FAILED')),
    attempts INTEGER NOT NULL DEFAULT 0,
    failure_reason TEXT,
    preimage TEXT,
    channel_id TEXT,
    memo TEXT,
    memo_key_id TEXT,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    latency_ms INTEGER
);
CREATE INDEX payments_status ON payments(status);
CREATE INDEX payments_memo_key ON payments(memo_key_id) WHERE memo_key_id IS NOT NULL;
CREATE TABLE counters (
    name TEXT NOT NULL,
    labels TEXT NOT NULL DEFAULT '',
    value INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (name, labels)
) WITHOUT ROWID;
CREATE TABLE memo_key_usage (
    key_id TEXT PRIMARY KEY,
    encryptions INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
"""

MIGRATIONS: tuple[str, ...] = (_V1,)
SCHEMA_VERSION = len(MIGRATIONS)

INVOICE_COLUMNS = (
    "payment_hash, bolt11, preimage, amount_msat, description, description_hash, memo, "
    "memo_key_id, created_at, expires_at, status, settled_at, received_msat, id"
)
PAYMENT_COLUMNS = (
    "payment_hash, bolt11, payee, description_hash, amount_msat, max_fee_msat, fee_msat, status, "
    "attempts, failure_reason, preimage, channel_id, memo, memo_key_id, created_at, updated_at, "
    "latency_ms, id"
)


class History:
    """The wallet's history store. Use as a context manager or call ``close``."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.conn = connect(path, MIGRATIONS, "history store")

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> History:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def transaction(self) -> Transaction:
        return Transaction(self.conn)

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

    def add_invoice(self, record: dict[str, object], memo_key_id: str | None) -> None:
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO invoices (payment_hash, bolt11, preimage, amount_msat, description, "
                "description_hash, memo, memo_key_id, created_at, expires_at, status) "
                "VALUES (:payment_hash, :bolt11, :preimage, :amount_msat, :description, "
                ":description_hash, :memo, :memo_key_id, :created_at, :expires_at, 'OPEN')",
                {**record, "memo_key_id": memo_key_id},
            )
            self.count_memo_encryption(conn, memo_key_id)
            self.bump(conn, "invoices_created")

    def get_invoice(self, payment_hash: str) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self.conn.execute(
            f"SELECT {INVOICE_COLUMNS} FROM invoices WHERE payment_hash = ?", (payment_hash,)
        ).fetchone()
        return row

    def require_invoice(self, payment_hash: str) -> sqlite3.Row:
        row = self.get_invoice(payment_hash)
        if row is None:
            raise NotFoundError(f"no invoice with payment hash {payment_hash}")
        return row

    def settle_invoice(
        self, conn: sqlite3.Connection, payment_hash: str, received_msat: int
    ) -> bool:
        """Mark an OPEN invoice SETTLED inside ``conn``'s transaction. False if it was not OPEN."""
        now = int(time.time())
        cur = conn.execute(
            "UPDATE invoices SET status = 'SETTLED', settled_at = ?, received_msat = ? "
            "WHERE payment_hash = ? AND status = 'OPEN'",
            (now, received_msat, payment_hash),
        )
        if cur.rowcount:
            self.bump(conn, "invoices_settled")
            self.bump(conn, "invoices_received_msat", delta=received_msat)
            return True
        return False

    def list_invoices(
        self, status: str | None, limit: int, cursor: int | None
    ) -> tuple[list[sqlite3.Row], int | None]:
        """One page of invoices, newest first, and the cursor of the next page (or None)."""
        now = int(time.time())
        where = {
            "open": ("status = 'OPEN' AND expires_at > ?", (now,)),
            "expired": ("status = 'OPEN' AND expires_at <= ?", (now,)),
            "settled": ("status = 'SETTLED'", ()),
        }.get(status or "", None)
        return self._page("invoices", INVOICE_COLUMNS, where, limit, cursor)

    # -- payments ----------------------------------------------------------------------------------

    def get_payment(self, payment_hash: str) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self.conn.execute(
            f"SELECT {PAYMENT_COLUMNS} FROM payments WHERE payment_hash = ?", (payment_hash,)
        ).fetchone()
        return row

    def in_flight_payments(self) -> list[sqlite3.Row]:
        return self.conn.execute(
            f"SELECT {PAYMENT_COLUMNS} FROM payments WHERE status = 'IN_FLIGHT'"
        ).fetchall()

    def list_payments(
        self, status: str | None, limit: int, cursor: int | None
    ) -> tuple[list[sqlite3.Row], int | None]:
        """One page of payments, newest first, and the cursor of the next page (or None)."""
        where = ("status = ?", (status.upper(),)) if status else None
        return self._page("payments", PAYMENT_COLUMNS, where, limit, cursor)

    def _page(
        self,
        table: str,
        columns: str,
        where: tuple[str, tuple[object, ...]] | None,
        limit: int,
        cursor: int | None,
    ) -> tuple[list[sqlite3.Row], int | None]:
        if not 1 <= limit <= MAX_PAGE:
            raise InvalidInputError(
                f"--limit must be between 1 and {MAX_PAGE}", code="INVALID_LIMIT"
            )
        clauses, args = ([where[0]], list(where[1])) if where else ([], [])
        if cursor is not None:
            clauses.append("id < ?")
            args.append(cursor)
        sql = f"SELECT {columns} FROM {table}"
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        rows = self.conn.execute(f"{sql} ORDER BY id DESC LIMIT ?", [*args, limit + 1]).fetchall()
        if len(rows) > limit:  # one more than asked: there is a next page
            return rows[:limit], int(rows[limit - 1]["id"])
        return rows, None

    def rows_with_memos(self, table: str, not_key: str, limit: int) -> list[sqlite3.Row]:
        assert table in ("invoices", "payments")
        return self.conn.execute(
            f"SELECT id, payment_hash, memo, memo_key_id FROM {table} "
            "WHERE memo IS NOT NULL AND memo_key_id != ? ORDER BY id LIMIT ?",
            (not_key, limit),
        ).fetchall()

    def memo_key_ids_in_use(self) -> set[str]:
        rows = self.conn.execute(
            "SELECT DISTINCT memo_key_id FROM invoices WHERE memo_key_id IS NOT NULL UNION "
            "SELECT DISTINCT memo_key_id FROM payments WHERE memo_key_id IS NOT NULL"
        ).fetchall()
        return {r[0] for r in rows}
