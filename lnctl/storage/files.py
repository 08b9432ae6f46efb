"""Safe files: private folders, secrets refused when others can read them, atomic replacement."""

from __future__ import annotations

import errno
import os

from lnctl.errors import Code, StorageError, UnsafePermissionsError


def ensure_private_dir(path: str) -> None:
    """Create ``path`` (and parents) 0700 if missing. An existing folder is left as it is."""
    try:
        os.makedirs(path, mode=0o700, exist_ok=True)
    except OSError as exc:
        raise StorageError(
            f"cannot create {path}: {exc.strerror}", hint="check LNCTL_HOME and its permissions"
        ) from exc


def check_private(path: str, *, is_dir: bool = False) -> None:
    """Refuse a secret (or the folder of secrets) that group or others may read, as ssh does."""
    try:
        st = os.stat(path)
    except OSError as exc:
        raise StorageError(f"cannot read {path}: {exc.strerror}") from exc
    _check_mode(path, st, is_dir)


def read_input(
    path: str,
    limit: int,
    what: str,
    code: str = Code.INVALID_PATH,
    *,
    too_large: str = Code.INPUT_TOO_LARGE,
    regular_only: bool = False,
) -> bytes:
    """The whole of a file the user named (``-``: stdin). Never a part of it: more than
    ``limit`` bytes is refused (exit 2, ``too_large``, naming the limit), and so is a file that
    cannot be read (``code``). With ``regular_only``, anything but a regular file (a FIFO, a
    device) is refused before it is read, without waiting on it."""
    import sys

    from lnctl.errors import InvalidInputError

    if path == "-":
        if sys.stdin is None:
            raise InvalidInputError(f"{what} -: there is no stdin", code=Code.USAGE)
        try:
            raw = sys.stdin.buffer.read(limit + 1)
        except AttributeError:  # a text-only stdin (tests)
            raw = sys.stdin.read(limit + 1).encode("utf-8", "surrogateescape")
    else:
        try:
            fd = os.open(path, os.O_RDONLY | (os.O_NONBLOCK if regular_only else 0))
        except OSError as exc:
            raise InvalidInputError(
                f"cannot read {what} {path}: {exc.strerror}", code=code
            ) from exc
        try:
            if regular_only:
                import stat

                if not stat.S_ISREG(os.fstat(fd).st_mode):
                    raise InvalidInputError(
                        f"{what} {path} is not a regular file", code=code,
                        hint="lnctl reads it only from a plain file",
                    )  # fmt: skip
            with os.fdopen(fd, "rb", closefd=False) as fh:
                raw = fh.read(limit + 1)
        except OSError as exc:
            raise InvalidInputError(
                f"cannot read {what} {path}: {exc.strerror}", code=code
            ) from exc
        finally:
            os.close(fd)
    if len(raw) > limit:
        raise InvalidInputError(
            f"{what} {path} is larger than {size_text(limit)}: refused, not read in part",
            code=too_large,
            hint="split it, or make it smaller",
        )
    return raw


def size_text(size: int) -> str:
    """A byte limit for people: ``64 MiB``, ``1 MiB``, ``64 KiB``."""
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if size >= 1 << shift and size % (1 << shift) == 0:
            return f"{size >> shift} {unit}"
    return f"{size:,} bytes"


def read_private(path: str, limit: int = 1 << 20) -> bytes:
    """Read a secret file: opened with O_NOFOLLOW (a symlink is refused) and checked on the
    opened descriptor (fstat), so nothing can be swapped in between the check and the read."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise UnsafePermissionsError(
                f"{path} is a symbolic link; lnctl reads secrets only from regular files",
                hint=f"replace the link with the file itself: cp --remove-destination "
                f'"$(readlink -f {path})" {path}',
            ) from exc
        raise StorageError(f"cannot read {path}: {exc.strerror}") from exc
    try:
        st = os.fstat(fd)
        _check_mode(path, st)
        chunks = []
        while True:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            chunks.append(chunk)
            if sum(map(len, chunks)) > limit:
                raise StorageError(f"{path} is too large to be a secret of lnctl's")
        return b"".join(chunks)
    finally:
        os.close(fd)


def _check_mode(path: str, st: os.stat_result, is_dir: bool = False) -> None:
    if st.st_mode & 0o077:
        mode = "700" if is_dir else "600"
        raise UnsafePermissionsError(
            f"permissions {st.st_mode & 0o777:04o} for {path} are too open",
            hint=f"it must not be accessible by others: run chmod {mode} {path}",
        )
    if hasattr(os, "getuid") and st.st_uid != os.getuid():
        raise UnsafePermissionsError(
            f"{path} is owned by another user (uid {st.st_uid})",
            hint=f"run chown {os.getuid()} {path}",
        )


def os_storage_error(exc: OSError, what: str) -> StorageError:
    """A storage error named for what it is: a full disk, a read-only file or folder, or
    another failure of the operating system (exit 1 each; never taken for damage)."""
    codes = {
        errno.ENOSPC: Code.DISK_FULL,
        errno.EDQUOT: Code.DISK_FULL,
        errno.EROFS: Code.READ_ONLY,
        errno.EACCES: Code.READ_ONLY,
        errno.EPERM: Code.READ_ONLY,
    }
    code = codes.get(exc.errno or 0, Code.STORAGE_ERROR)
    hint = {
        "DISK_FULL": "free some space, then run the command again",
        "READ_ONLY": "check the permissions of LNCTL_HOME (lnctl needs to write there)",
    }.get(code, "check LNCTL_HOME, the disk and permissions")
    return StorageError(f"cannot write {what}: {exc.strerror or exc}", code=code, hint=hint)


def fsync_dir(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_temp(folder: str, name: str, data: bytes, mode: int) -> str:
    tmp = os.path.join(folder, f".{name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    return tmp


def atomic_write(path: str, data: bytes, *, mode: int = 0o600) -> None:
    """Replace ``path`` with ``data``: temp file in the same folder, fsync, rename, fsync folder."""
    folder, name = os.path.split(path)
    tmp = _write_temp(folder, name, data, mode)
    try:
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
    fsync_dir(folder)


def create_exclusive(path: str, data: bytes, *, mode: int = 0o600) -> bool:
    """Create ``path`` holding ``data`` unless it exists. Readers never see a partial file: the
    content is written to a temp file first and hard-linked into place. True when we created it."""
    folder, name = os.path.split(path)
    tmp = _write_temp(folder, name, data, mode)
    try:
        os.link(tmp, path)
    except FileExistsError:
        return False
    finally:
        os.unlink(tmp)
    fsync_dir(folder)
    return True


def sweep_temp_files(folder: str, name: str) -> int:
    """Remove temp files that a crash left behind for ``name``. Returns how many."""
    removed = 0
    prefix = f".{name}."
    try:
        entries = os.listdir(folder)
    except FileNotFoundError:
        return 0
    for entry in entries:
        if entry.startswith(prefix) and entry.endswith(".tmp"):
            pid = entry[len(prefix) :].split(".", 1)[0]
            if pid.isdigit() and _pid_alive(int(pid)):
                continue
            try:
                os.unlink(os.path.join(folder, entry))
                removed += 1
            except FileNotFoundError:
                pass
    return removed


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
