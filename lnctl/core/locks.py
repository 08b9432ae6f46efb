"""Per-payment-hash locks between processes (flock on ``$LNCTL_HOME/locks/<hash>.lock``).

The process paying (or receiving) a hash holds its lock for the whole lifecycle. Recovery takes
the same lock without waiting: if it gets it, the owner is gone (a crash releases flocks), so the
payment can be resolved; if not, the payment is alive in another process and is left alone.
"""

from __future__ import annotations

import fcntl
import os

from lnctl.errors import StorageError
from lnctl.storage.files import ensure_private_dir


class HashLock:
    def __init__(self, home: str, payment_hash: str) -> None:
        folder = os.path.join(home, "locks")
        ensure_private_dir(folder)
        self.path = os.path.join(folder, f"{payment_hash}.lock")
        self.fd = -1

    def try_acquire(self) -> bool:
        """Take the lock without waiting. Guards against a holder that unlinked the file between
        our open and our flock (we would hold a lock on a dead inode): re-check and retry."""
        while True:
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            except OSError as exc:
                raise StorageError(f"cannot open {self.path}: {exc.strerror}") from exc
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                return False
            try:
                same = os.stat(self.path).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if same:
                self.fd = fd
                return True
            os.close(fd)

    def release(self) -> None:
        if self.fd >= 0:
            try:
                os.unlink(self.path)
            except FileNotFoundError:
                pass
            os.close(self.fd)
            self.fd = -1

    def __enter__(self) -> HashLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
