"""The history store's schema: forward-only migrations, one per ``PRAGMA user_version``.

A store at version N has had migrations 1..N applied, in order, each in the transaction that sets
its version (``lnctl.storage.sqlite``). A migration is never edited once released: a change is a
new one at the end. Payment and invoice statuses are checked by the schema (``lnctl.storage.rows``
names them)."""

from __future__ import annotations

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

# v2 (lnctl 0.2): the node owns the money and the invoices' preimages; the history records what
# the node said. A meta table keeps the node's identity; payments may need attention.
_V2 = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE payments_v2 (
    id INTEGER PRIMARY KEY,
    payment_hash TEXT NOT NULL UNIQUE,
    bolt11 TEXT NOT NULL,
    payee TEXT NOT NULL,
    description_hash TEXT,
    amount_msat INTEGER NOT NULL CHECK (amount_msat > 0),
    max_fee_msat INTEGER NOT NULL CHECK (max_fee_msat >= 0),
    fee_msat INTEGER,
    status TEXT NOT NULL
        CHECK (status IN ('IN_FLIGHT', 'SUCCEEDED', 'FAILED', 'NEEDS_ATTENTION')),
    attempts INTEGER NOT NULL DEFAULT 0,
    failure_reason TEXT,
    preimage TEXT,
    channel_id TEXT,
    memo TEXT,
    memo_key_id TEXT,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    latency_ms INTEGER,
    attention TEXT,
    last_sent_at REAL
);
INSERT INTO payments_v2 (id, payment_hash, bolt11, payee, description_hash, amount_msat,
    max_fee_msat, fee_msat, status, attempts, failure_reason, preimage, channel_id, memo,
    memo_key_id, created_at, updated_at, latency_ms)
    SELECT id, payment_hash, bolt11, payee, description_hash, amount_msat, max_fee_msat, fee_msat,
    status, attempts, failure_reason, preimage, channel_id, memo, memo_key_id, created_at,
    updated_at, latency_ms FROM payments;
DROP TABLE payments;
ALTER TABLE payments_v2 RENAME TO payments;
CREATE INDEX payments_status ON payments(status);
CREATE INDEX payments_memo_key ON payments(memo_key_id) WHERE memo_key_id IS NOT NULL;
CREATE TABLE invoices_v2 (
    id INTEGER PRIMARY KEY,
    payment_hash TEXT NOT NULL UNIQUE,
    bolt11 TEXT NOT NULL,
    preimage TEXT,
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
INSERT INTO invoices_v2 SELECT id, payment_hash, bolt11, preimage, amount_msat, description,
    description_hash, memo, memo_key_id, created_at, expires_at, status, settled_at, received_msat
    FROM invoices;
DROP TABLE invoices;
ALTER TABLE invoices_v2 RENAME TO invoices;
CREATE INDEX invoices_memo_key ON invoices(memo_key_id) WHERE memo_key_id IS NOT NULL;
CREATE INDEX invoices_open ON invoices(status) WHERE status = 'OPEN'
"""

# v3: row counts kept by triggers in the counters table, so that noticing an older history
# (compared with the node's record at every command) costs the same at any size
_V3 = """
INSERT INTO counters (name, labels, value) SELECT 'rows_invoices', '', count(*) FROM invoices
    WHERE true ON CONFLICT (name, labels) DO UPDATE SET value = excluded.value;
INSERT INTO counters (name, labels, value) SELECT 'rows_payments', '', count(*) FROM payments
    WHERE true ON CONFLICT (name, labels) DO UPDATE SET value = excluded.value;
CREATE TRIGGER invoices_rows_in AFTER INSERT ON invoices BEGIN
    UPDATE counters SET value = value + 1 WHERE name = 'rows_invoices' AND labels = '';
END;
CREATE TRIGGER invoices_rows_out AFTER DELETE ON invoices BEGIN
    UPDATE counters SET value = value - 1 WHERE name = 'rows_invoices' AND labels = '';
END;
CREATE TRIGGER payments_rows_in AFTER INSERT ON payments BEGIN
    UPDATE counters SET value = value + 1 WHERE name = 'rows_payments' AND labels = '';
END;
CREATE TRIGGER payments_rows_out AFTER DELETE ON payments BEGIN
    UPDATE counters SET value = value - 1 WHERE name = 'rows_payments' AND labels = '';
END
"""

# v4: an older history is noticed by the step of the node's record it has seen (meta
# ``node_seq``), not by row counts: the triggers that kept them are dropped
_V4 = """
DROP TRIGGER invoices_rows_in;
DROP TRIGGER invoices_rows_out;
DROP TRIGGER payments_rows_in;
DROP TRIGGER payments_rows_out;
DELETE FROM counters WHERE labels = '' AND name IN ('rows_invoices', 'rows_payments')
"""

# v5 (issue 23): what a payment was made to beyond its invoice (a Lightning Address or LNURL as
# typed, and its metadata's text/plain), and the idempotency key it was paid under: one payment
# per key (a FAILED payment gives its key up to the next: lnctl.storage.history.claim_payment)
_V5 = """
ALTER TABLE payments ADD COLUMN paid_to TEXT;
ALTER TABLE payments ADD COLUMN paid_to_description TEXT;
ALTER TABLE payments ADD COLUMN idempotency_key TEXT;
CREATE UNIQUE INDEX payments_idempotency_key ON payments(idempotency_key)
    WHERE idempotency_key IS NOT NULL
"""

MIGRATIONS: tuple[str, ...] = (_V1, _V2, _V3, _V4, _V5)
SCHEMA_VERSION = len(MIGRATIONS)
