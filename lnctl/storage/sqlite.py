"""SQLite done one way for every store: WAL, synchronous=FULL, busy timeout, BEGIN IMMEDIATE,
``PRAGMA user_version`` as the schema version with forward-only migrations."""

from __future__ import annotations

import os
import sqlite3

from lnctl.errors import Code, CorruptStateError, StorageError

TYPE_CHECKING = False  # typing costs start-up time; mypy treats this name as typing's
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

BUSY_TIMEOUT_S = 60.0


def connect(
    path: str,
    migrations: Sequence[str],
    what: str,
    before_migration: Callable[[int], None] | None = None,
) -> sqlite3.Connection:
    """Open (creating and migrating as needed) the store at ``path``. Refuses a file that is
    not a database or has a schema newer than ``migrations`` knows. A new store is created 0600
    (SQLite gives its -wal and -shm files the same mode): it holds preimages of unpaid invoices.
    ``before_migration(version found)`` may refuse a store before anything is written to it."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
    except OSError as exc:
        raise StorageError(f"cannot create {path}: {exc.strerror}") from exc
    try:
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
    except sqlite3.DatabaseError as exc:
        raise diagnose(exc, what, path) from exc
    try:
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        conn.execute("PRAGMA synchronous = FULL")
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version != len(migrations):
            if before_migration is not None:
                before_migration(version)
            _migrate(conn, path, migrations, version, what)
        return conn
    except BaseException as exc:
        conn.close()  # a refused store is not left open (Python 3.13 warns of it)
        if isinstance(exc, sqlite3.DatabaseError):
            raise diagnose(exc, what, path) from exc
        raise


def diagnose(exc: sqlite3.Error, what: str, path: str) -> StorageError:
    """Say what is wrong with a store, with the right hint: a lock, a read-only folder or a full
    disk are not damage, and a backup restore would not help."""
    text = str(exc).lower()
    if "locked" in text or "busy" in text:
        return StorageError(f"{what} {path} is locked: {exc}", code=Code.LOCKED, hint="try again")
    if "readonly" in text or "read-only" in text or "unable to open" in text:
        return StorageError(
            f"{what} {path} cannot be written: the file or its folder is read-only",
            code=Code.READ_ONLY,
            hint="check the permissions of LNCTL_HOME (lnctl needs to write there)",
        )
    if "disk is full" in text or "disk i/o" in text:
        return StorageError(
            f"{what} {path} cannot be written: {exc}",
            code=Code.DISK_FULL if "full" in text else Code.DISK_ERROR,
            hint="free some space (or check the disk), then run the command again",
        )
    if any(word in text for word in ("not a database", "malformed", "corrupt")):
        return CorruptStateError(
            f"{what} {path} is unreadable: {exc}",
            hint="restore it from a backup; lnctl does not overwrite a damaged store",
        )
    return StorageError(f"{what} {path}: {exc}", hint="check LNCTL_HOME, the disk and permissions")


def _migrate(
    conn: sqlite3.Connection, path: str, migrations: Sequence[str], seen: int, what: str
) -> None:
    if seen > len(migrations):
        raise CorruptStateError(
            f"{what} {path} has schema version {seen}; this lnctl knows up to {len(migrations)}",
            code=Code.UNKNOWN_SCHEMA,
            hint="upgrade lnctl; an older lnctl never rewrites a newer store",
        )
    if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        conn.execute("PRAGMA journal_mode = WAL")
    with Transaction(conn):
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        for number in range(version, len(migrations)):
            for statement in _statements(migrations[number]):
                conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {len(migrations)}")


def _statements(script: str) -> list[str]:
    """The statements of a migration, whole (a trigger's body holds semicolons of its own)."""
    out, buffer = [], ""
    for piece in script.split(";"):
        buffer += piece + ";"
        if sqlite3.complete_statement(buffer):
            if buffer.strip(" \n;"):
                out.append(buffer)
            buffer = ""
    if buffer.strip(" \n;"):
        out.append(buffer)
    return out


class Transaction:
    """``with Transaction(conn) as conn:`` is ``BEGIN IMMEDIATE`` ... ``COMMIT`` (``ROLLBACK`` on
    any exception): the write lock is taken before the first read, so concurrent read-then-write
    transactions queue instead of losing updates.

    Inside an open transaction it is a savepoint instead: its work is undone alone on an
    exception, and becomes durable with the enclosing transaction's one commit. This is how a
    batch commits many payments' steps together (group commit: ``lnctl.core.engine``)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.nested = False

    def __enter__(self) -> sqlite3.Connection:
        if self.conn.in_transaction:
            self.nested = True
            self.conn.execute("SAVEPOINT step")
            return self.conn
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:  # a write lock held past the busy timeout: LOCKED
            raise diagnose(exc, "store", _path(self.conn)) from exc
        return self.conn

    def __exit__(self, kind: object, value: object, tb: object) -> None:
        try:
            if not self.nested:
                if kind is None:
                    self.conn.execute("COMMIT")
                elif self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
            elif self.conn.in_transaction:  # else SQLite rolled it all back itself (disk full)
                if kind is not None:
                    self.conn.execute("ROLLBACK TO step")
                self.conn.execute("RELEASE step")
        except sqlite3.Error as exc:
            if kind is None:
                raise diagnose(exc, "store", _path(self.conn)) from exc
            # the transaction's own error is the one to report
        if isinstance(value, sqlite3.OperationalError) or type(value) is sqlite3.DatabaseError:
            # the store failed under a statement (a full disk, a lock, a damaged page): said as
            # a storage error, so that whoever handles lnctl's errors handles it (a constraint
            # that fails is a bug, and stays what it is)
            raise diagnose(value, "store", _path(self.conn)) from value


def _path(conn: sqlite3.Connection) -> str:
    """The file of the store ``conn`` is open on (for messages)."""
    try:
        rows = conn.execute("PRAGMA database_list").fetchall()
    except sqlite3.Error:
        return "in LNCTL_HOME"
    return str(rows[0][2]) if rows and rows[0][2] else "in LNCTL_HOME"


transaction = Transaction
