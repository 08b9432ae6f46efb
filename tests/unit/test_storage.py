"""The history store on disk: schema versions and migrations, refusal of corrupt or unknown
state, and no lost update between processes. (The channel ledger: tests/backends/.)"""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from lnctl.errors import CorruptStateError
from lnctl.storage.history import History


def test_history_schema_version_and_migration(tmp_path: Path) -> None:
    path = str(tmp_path / "history.sqlite")
    with History(path) as h:
        assert h.conn.execute("PRAGMA user_version").fetchone()[0] == 5
        assert h.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 7")
    conn.commit()
    conn.close()
    with pytest.raises(CorruptStateError) as info:
        History(path)
    assert info.value.code == "UNKNOWN_SCHEMA"
    (tmp_path / "junk.sqlite").write_bytes(os.urandom(4096))
    with pytest.raises(CorruptStateError):
        History(str(tmp_path / "junk.sqlite"))


def test_history_of_lnctl_0_1_is_migrated_with_its_records(tmp_path: Path) -> None:
    from lnctl.storage import schema as module

    path = str(tmp_path / "history.sqlite")
    conn = sqlite3.connect(path)
    conn.executescript(module._V1)
    conn.execute(
        "INSERT INTO payments (payment_hash, bolt11, payee, amount_msat, max_fee_msat, status, "
        "created_at, updated_at, fee_msat, preimage) VALUES "
        "('aa', 'lnbcrt1', 'p', 5, 1, 'SUCCEEDED', 1, 1, 1, 'pp')"
    )
    conn.execute(
        "INSERT INTO invoices (payment_hash, bolt11, preimage, created_at, expires_at, status) "
        "VALUES ('bb', 'lnbcrt1', 'cc', 1, 2, 'OPEN')"
    )
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    with History(path) as h:
        row = h.get_payment("aa")
        assert row is not None and (row.status, row.fee_msat, row.preimage) == (
            "SUCCEEDED",
            1,
            "pp",
        )
        assert h.get_invoice("bb") is not None and h.meta("identity") is None
        # the row counts of v3 are gone with their triggers (v4: the node's step instead)
        triggers = h.conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        assert triggers.fetchall() == []
        assert not any(name.startswith("rows_") for name, _ in h.counters())
        assert h.meta("node_seq") is None  # a history from before: read whole once
        # v5: what a payment was made to, and its idempotency key: nothing for an older one
        assert row is not None and (row.paid_to, row.idempotency_key) == (None, None)


def test_one_payment_per_idempotency_key(tmp_path: Path) -> None:
    """v5's unique key: a claim under a key another live payment holds gets that payment
    back; a FAILED payment gives its key up to the next."""
    import sqlite3 as sql

    def new(payment_hash: str, key: str) -> Any:
        return {
            "payment_hash": payment_hash, "bolt11": "x", "payee": "p", "description_hash": None,
            "amount_msat": 5, "max_fee_msat": 1, "memo": None, "memo_key_id": None, "now": 1.0,
            "paid_to": "alice@example.com", "paid_to_description": "Pay alice",
            "idempotency_key": key,
        }  # fmt: skip

    with History(str(tmp_path / "history.sqlite")) as h:
        assert h.claim_payment(new("aa", "k")) is None
        held = h.claim_payment(new("bb", "k"))
        assert held is not None and held.payment_hash == "aa"
        assert h.get_payment("bb") is None
        h.record_failure("aa", "NO_ROUTE")
        assert h.claim_payment(new("bb", "k")) is None
        row = h.payment_by_key("k")
        assert row is not None and row.payment_hash == "bb" and row.paid_to == "alice@example.com"
        assert h.get_payment("aa").idempotency_key is None  # type: ignore[union-attr]
        with pytest.raises(sql.IntegrityError):
            h.conn.execute("UPDATE payments SET idempotency_key = 'k' WHERE payment_hash = 'aa'")


def _insert_many(path: str, worker: int, n: int) -> None:
    with History(path) as h:
        for i in range(n):
            h.add_invoice(
                {
                    "payment_hash": f"{worker:04x}{i:060x}",
                    "bolt11": "x",
                    "amount_msat": 1,
                    "description": "",
                    "description_hash": None,
                    "memo": None,
                    "created_at": 0,
                    "expires_at": 1,
                },
                None,
            )


def test_history_concurrent_writers_keep_every_commit(tmp_path: Path) -> None:
    path = str(tmp_path / "history.sqlite")
    History(path).close()
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_insert_many, args=(path, w, 20)) for w in range(50)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    with History(path) as h:
        assert h.conn.execute("SELECT count(*) FROM invoices").fetchone()[0] == 1000
        assert h.counters()[("invoices_created", "")] == 1000


def test_a_transaction_inside_another_is_a_savepoint_committed_with_it(tmp_path: Path) -> None:
    """What a batch's group commit relies on: each step inside the round's transaction is
    undone alone when it fails, and nothing is durable before the round's one commit."""
    import sqlite3

    from lnctl.storage.sqlite import Transaction

    path = tmp_path / "t.sqlite"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("CREATE TABLE t (x INTEGER UNIQUE)")
    other = sqlite3.connect(path, isolation_level=None)
    with Transaction(conn):
        with Transaction(conn):
            conn.execute("INSERT INTO t VALUES (1)")
        with pytest.raises(sqlite3.IntegrityError), Transaction(conn):
            conn.execute("INSERT INTO t VALUES (2)")
            conn.execute("INSERT INTO t VALUES (1)")  # fails: this step alone is undone
        with Transaction(conn):
            conn.execute("INSERT INTO t VALUES (3)")
        assert other.execute("SELECT count(*) FROM t").fetchone()[0] == 0  # not committed yet
    assert [r[0] for r in other.execute("SELECT x FROM t ORDER BY x")] == [1, 3]
    with pytest.raises(RuntimeError), Transaction(conn):
        conn.execute("INSERT INTO t VALUES (4)")
        with Transaction(conn):
            conn.execute("INSERT INTO t VALUES (5)")
        raise RuntimeError("the round fails: its steps go with it")
    assert [r[0] for r in other.execute("SELECT x FROM t ORDER BY x")] == [1, 3]
    assert not conn.in_transaction
    conn.close()
    other.close()


def test_records_have_a_slot_for_every_column_of_their_table(tmp_path: Path) -> None:
    """PaymentRow and InvoiceRow are read from their tables' columns in slot order: a column
    added by a migration and missing from its record would never be read."""
    from lnctl.storage.rows import InvoiceRow, PaymentRow

    with History(str(tmp_path / "history.sqlite")) as h:
        for table, record in (("payments", PaymentRow), ("invoices", InvoiceRow)):
            columns = {r[1] for r in h.conn.execute(f"PRAGMA table_info({table})")}
            assert columns == set(record.__slots__), table


@pytest.mark.parametrize(
    ("column", "value", "refused"),
    [
        ("amount_msat", "5000 msat", True),
        ("amount_msat", 5.5, True),
        ("attempts", None, True),  # never null: a record without it is not one lnctl wrote
        ("fee_msat", None, False),
        ("fee_msat", "7", True),
        ("latency_ms", None, False),
        ("max_fee_msat", b"\x01", True),
    ],
)
def test_a_payment_record_holding_other_than_an_integer_is_refused(
    column: str, value: object, refused: bool
) -> None:
    from lnctl.errors import CorruptStateError
    from lnctl.storage.rows import PaymentRow

    values: dict[str, object] = {name: None for name in PaymentRow.__slots__}
    values.update(
        payment_hash="ab" * 32, amount_msat=5, max_fee_msat=1, attempts=0, status="IN_FLIGHT"
    )
    values[column] = value
    row = tuple(values[name] for name in PaymentRow.__slots__)
    if not refused:
        assert getattr(PaymentRow(row), column) is None
        return
    with pytest.raises(CorruptStateError) as corrupt:
        PaymentRow(row)
    message = corrupt.value.message
    assert message.startswith(f"the history's record of {'ab' * 32} holds {column} = ")
    assert message.endswith("not an integer") and "\x01" not in message


def test_an_invoice_record_holding_a_text_amount_is_refused() -> None:
    from lnctl.errors import CorruptStateError
    from lnctl.storage.rows import InvoiceRow

    values: dict[str, object] = {name: None for name in InvoiceRow.__slots__}
    values.update(payment_hash="cd" * 32, status="OPEN")
    assert InvoiceRow(tuple(values[n] for n in InvoiceRow.__slots__)).amount_msat is None
    values["received_msat"] = "7 sat"
    with pytest.raises(CorruptStateError, match="holds received_msat = '7 sat'"):
        InvoiceRow(tuple(values[n] for n in InvoiceRow.__slots__))
