"""The simulated node's JSON channel ledger, ``$LNCTL_HOME/simnet/channels.json``.

Per channel (``lnctl.backends.channels.Channel``): capacity, local, remote, in-flight HTLCs, the
channel reserve (1% of capacity, as BOLT 2's), state and timestamps. On disk at every instant::

    local_msat + remote_msat + inflight_msat == capacity_msat,  nothing negative,
    inflight_msat == sum of the channel's HTLC amounts,
    at most one HTLC per (payment hash, direction) in the whole ledger.

Changes are made by the node while it holds the node lock (``NodeLock``: a sidecar file, never the
file being replaced, waited for at most ``LOCK_WAIT_S``): read, change, check the invariants, write
a temp file in the same folder, fsync, ``os.replace``, fsync the folder. A corrupt file or an
unknown schema version is refused and never overwritten. Readers need no lock.

The ledger opens with three fields that tie it to the node's record (``network.sqlite``; the
protocol is in ``store.py``'s docstring): ``node`` (the node's wallet id), ``seq`` (this file's
write counter: every write is the previous one plus one) and ``record_seq`` (the node record's
step when this version was written). They are written first, one per line, so that opening the
node reads them without parsing the JSON (``header``). A ledger written before they existed
reads as ``(None, 0, 0)``.
"""

from __future__ import annotations

import _thread  # the builtin under threading: no import cost at start-up
import fcntl
import os
import time

from lnctl.backends.channels import CLOSED, IN, OPEN, OUT
from lnctl.errors import Code, CorruptStateError, LockTimeoutError, StorageError
from lnctl.storage.files import atomic_write, os_storage_error, sweep_temp_files

SCHEMA_VERSION = 2
FILENAME = "channels.json"
RESERVE_PPM = 10_000  # 1% of capacity
MIN_CAPACITY_SAT = 20_000  # the smallest channel the node opens (LND's default minimum)
LOCK_WAIT_S = 60.0  # as long as SQLite's busy timeout

TYPE_CHECKING = False  # typing costs start-up time; mypy treats this name as typing's
if TYPE_CHECKING:
    from typing import Any, NotRequired, TypedDict

    from lnctl.backends.channels import Channel, Direction, Htlc

    class Doc(TypedDict):
        """The ledger document as ``Ledger.write`` lays it out (the header fields first)."""

        schema_version: int
        node: NotRequired[str]  # the node's wallet id (absent: written before lnctl kept it)
        seq: NotRequired[int]  # this file's version
        record_seq: NotRequired[int]  # the node record's step when this version was written
        channels: list[Channel]
        updated_at: NotRequired[int]


_CHANNEL_KEYS = (
    "channel_id",
    "peer",
    "capacity_msat",
    "local_msat",
    "remote_msat",
    "inflight_msat",
    "htlcs",
    "reserve_msat",
    "state",
    "opened_at",
    "updated_at",
    "closed_at",
)


def _check_channel(ch: Any, seen: set[tuple[str, str]]) -> None:
    if not isinstance(ch, dict):
        raise ValueError("a channel is not a JSON object")
    missing = [k for k in _CHANNEL_KEYS if k not in ch]
    if missing:
        raise ValueError(f"channel lacks {', '.join(missing)}")
    for key in ("capacity_msat", "local_msat", "remote_msat", "inflight_msat", "reserve_msat"):
        if type(ch[key]) is not int or ch[key] < 0:
            raise ValueError(f"{key} must be a non-negative integer")
    if not isinstance(ch["channel_id"], str) or not isinstance(ch["peer"], str):
        raise ValueError("channel_id and peer must be strings")
    if ch["state"] not in (OPEN, CLOSED):
        raise ValueError(f"unknown channel state {ch['state']!r}")
    if not isinstance(ch["htlcs"], list):
        raise ValueError("htlcs must be a list")
    total = 0
    for h in ch["htlcs"]:
        if (
            not isinstance(h, dict)
            or type(h.get("amount_msat")) is not int
            or h["amount_msat"] <= 0
            or h.get("direction") not in (OUT, IN)
            or not isinstance(h.get("payment_hash"), str)
        ):
            raise ValueError("invalid HTLC")
        pair = (str(h["payment_hash"]), str(h["direction"]))
        if pair in seen:
            raise ValueError("two HTLCs of one payment hash and direction")
        seen.add(pair)
        total += h["amount_msat"]
    if total != ch["inflight_msat"]:
        raise ValueError("inflight_msat differs from the sum of HTLCs")
    if ch["local_msat"] + ch["remote_msat"] + ch["inflight_msat"] != ch["capacity_msat"]:
        raise ValueError("local + remote + inflight != capacity")


# The first lines of a ledger as ``Ledger.write`` lays them out (json.dumps, indent 2, the header
# fields first): what ``header`` reads without parsing the JSON.
_HEAD = b'{\n  "schema_version": 2,\n'
_LEGACY_HEAD = _HEAD + b'  "channels": '


def header(raw: bytes, path: str) -> tuple[str | None, int, int]:
    """``(node, seq, record_seq)`` of a ledger's bytes. The fields are read from the first lines
    where ``Ledger.write`` puts them (``json`` is not imported by commands that never read the
    ledger); a file laid out otherwise is parsed whole and checked (a damaged one is refused)."""
    if raw.startswith(_HEAD):
        lines = raw[len(_HEAD) :].split(b"\n", 3)
        if len(lines) == 4:
            node, seq, record = lines[:3]
            if (
                node.startswith(b'  "node": "')
                and node.endswith(b'",')
                and seq.startswith(b'  "seq": ')
                and record.startswith(b'  "record_seq": ')
            ):
                node_id = node[11:-2]
                numbers = seq[9:-1], record[16:-1]
                if (
                    node_id.isalnum()
                    and seq.endswith(b",")
                    and record.endswith(b",")
                    and all(n.isdigit() and len(n) < 20 for n in numbers)
                ):
                    return node_id.decode(), int(numbers[0]), int(numbers[1])
        elif raw.startswith(_LEGACY_HEAD):
            return None, 0, 0
    doc = parse(raw, path)
    return doc.get("node"), int(doc.get("seq", 0)), int(doc.get("record_seq", 0))


def parse(raw: bytes, path: str) -> Doc:
    """A ledger's bytes as a checked document; a damaged file or an unknown schema is refused."""
    import json  # here, not at the top: most commands never read the ledger

    try:
        return check_document(json.loads(raw))
    except LookupError as exc:
        found = exc.args[0] if exc.args else None
        raise CorruptStateError(
            f"channel ledger {path} has schema version {found!r}; this lnctl knows "
            f"{SCHEMA_VERSION}",
            code=Code.UNKNOWN_SCHEMA,
            hint="upgrade lnctl if the file is newer; the ledger was not changed",
        ) from exc
    except RecursionError as exc:
        raise CorruptStateError(
            f"channel ledger {path} is damaged (nested too deeply)",
            hint="restore it from a backup; lnctl never overwrites a damaged ledger",
        ) from exc
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise CorruptStateError(
            f"channel ledger {path} is damaged: {exc}",
            hint="restore it from a backup; lnctl never overwrites a damaged ledger",
        ) from exc


def check_document(found: Any) -> Doc:
    """``found`` (parsed JSON) if it is a ledger document whose invariants hold; ValueError (or
    LookupError for another schema version) otherwise."""
    checked: Doc = found  # what is returned: a ``Doc`` once every check below has passed
    if not isinstance(found, dict):
        raise ValueError("not a JSON object")
    if found.get("schema_version") != SCHEMA_VERSION:
        raise LookupError(found.get("schema_version"))
    if not isinstance(found.get("node", ""), str):
        raise ValueError("node must be a string")
    for key in ("seq", "record_seq"):
        if type(found.get(key, 0)) is not int or found.get(key, 0) < 0:
            raise ValueError(f"{key} must be a non-negative integer")
    if not isinstance(found.get("channels"), list):
        raise ValueError("channels must be a list")
    ids = set()
    seen: set[tuple[str, str]] = set()
    for ch in found["channels"]:
        _check_channel(ch, seen)
        if ch["channel_id"] in ids:
            raise ValueError("duplicate channel id")
        ids.add(ch["channel_id"])
    return checked


_THREAD_LOCKS: dict[str, _thread.LockType] = {}
_THREAD_LOCKS_GUARD = _thread.allocate_lock()


def _thread_lock(path: str) -> _thread.LockType:
    with _THREAD_LOCKS_GUARD:
        return _THREAD_LOCKS.setdefault(path, _thread.allocate_lock())


class NodeLock:
    """The simulated node's lock between processes (flock on ``channels.json.lock``): every step
    that moves money holds it, so each step is atomic for every other process. Waits at most
    ``LOCK_WAIT_S``. Threads of one process (``pay --file``) queue on a lock of their own first,
    so that only one of them polls the file lock."""

    def __init__(self, folder: str, wait_s: float | None = None) -> None:
        self.path = os.path.join(folder, FILENAME + ".lock")
        self.wait_s = LOCK_WAIT_S if wait_s is None else wait_s
        self.fd = -1
        self.depth = 0
        self.local = _thread_lock(os.path.abspath(self.path))

    def _busy(self) -> LockTimeoutError:
        return LockTimeoutError(
            f"the simulated node is busy: {self.path} stayed locked for {self.wait_s:g} s",
            hint="another lnctl process holds it; nothing was done: try again",
        )

    def __enter__(self) -> NodeLock:
        if self.depth:
            self.depth += 1
            return self
        deadline = time.monotonic() + self.wait_s
        if not self.local.acquire(timeout=self.wait_s):
            raise self._busy()
        try:
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            except OSError as exc:
                raise StorageError(f"cannot open {self.path}: {exc.strerror}") from exc
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError as exc:
                    if time.monotonic() >= deadline:
                        os.close(fd)
                        raise self._busy() from exc
                    time.sleep(0.002)
        except BaseException:
            self.local.release()
            raise
        self.fd = fd
        self.depth = 1
        return self

    def __exit__(self, *exc: object) -> None:
        self.depth -= 1
        if self.depth == 0:
            os.close(self.fd)  # closing releases the lock
            self.fd = -1
            self.local.release()


class Ledger:
    def __init__(self, folder: str) -> None:
        self.folder = folder
        self.path = os.path.join(folder, FILENAME)

    def exists(self) -> bool:
        return os.path.exists(self.path)

    def may_hold_htlcs(self) -> bool:
        """Whether the ledger may hold an HTLC, told without parsing it (``json`` is not
        imported by commands that never read the ledger): every HTLC, and nothing else in the
        file, has a "direction" key. A yes is checked by reading the ledger; any step that uses
        the ledger reads it whole (and refuses a damaged one) anyway."""
        try:
            with open(self.path, "rb") as fh:
                return b'"direction"' in fh.read()
        except OSError:
            return True

    def probe(self) -> tuple[tuple[str | None, int, int] | None, bool]:
        """From one read of the file and without parsing it where it can: its ``header``
        (None when there is no ledger) and whether it may hold an HTLC (``may_hold_htlcs``)."""
        try:
            with open(self.path, "rb") as fh:
                raw = fh.read()
        except FileNotFoundError:
            return None, False
        except OSError as exc:
            raise StorageError(
                f"cannot read {self.path}: {exc.strerror}", hint="check the file's permissions"
            ) from exc
        return header(raw, self.path), b'"direction"' in raw

    def read(self) -> Doc:
        """The ledger as it is on disk (files are replaced atomically: no lock needed). A missing
        file reads as no channels; the node decides whether that is allowed."""
        try:
            with open(self.path, "rb") as fh:
                raw = fh.read()
        except FileNotFoundError:
            return {"schema_version": SCHEMA_VERSION, "channels": []}
        except OSError as exc:
            raise StorageError(
                f"cannot read {self.path}: {exc.strerror}", hint="check the file's permissions"
            ) from exc
        return parse(raw, self.path)

    def write(self, doc: Doc, node: str, record_seq: int) -> int:
        """Replace the ledger with ``doc`` (the caller holds the node lock), as the next version
        after the one on disk (``doc["seq"]`` + 1), written at step ``record_seq`` of the node
        ``node``'s record. Returns the new version's ``seq``."""
        seq = int(doc.get("seq", 0)) + 1
        laid_out: Doc = {  # in this order: see ``header``
            "schema_version": SCHEMA_VERSION,
            "node": node,
            "seq": seq,
            "record_seq": record_seq,
            "channels": doc["channels"],
            "updated_at": int(time.time()),
        }
        try:
            check_document(laid_out)
        except (ValueError, LookupError) as exc:  # a bug, never written to disk
            raise StorageError(f"refusing to write an inconsistent ledger: {exc}") from exc
        doc.update(laid_out)  # the caller's document is the version written (its channels too)
        sweep_temp_files(self.folder, FILENAME)
        import json

        data = (json.dumps(laid_out, indent=2) + "\n").encode()
        try:
            atomic_write(self.path, data)
        except OSError as exc:
            raise os_storage_error(exc, f"channel ledger {self.path}") from exc
        return seq


def capacity_for(room_msat: int) -> int:
    """The smallest channel, in sats, whose one side, wholly filled, leaves ``room_msat`` above
    the channel reserve (a channel opened with ``--push`` equal to its capacity gives that much
    inbound liquidity; one opened without, that much to spend)."""
    sats = max(MIN_CAPACITY_SAT, -(-room_msat * 1_000_000 // (1_000_000 - RESERVE_PPM)) // 1000)
    while sats * 1000 - sats * 1000 * RESERVE_PPM // 1_000_000 < room_msat:
        sats += 1
    return sats


# -- changes to a document (pure: the node writes the result) ------------------------------------


def new_channel(doc: Doc, peer: str, capacity_msat: int, push_msat: int) -> Channel:
    now = int(time.time())
    block = 800_000 + len(doc["channels"])
    ch: Channel = {
        "channel_id": f"{block}x1x0",
        "peer": peer,
        "capacity_msat": capacity_msat,
        "local_msat": capacity_msat - push_msat,
        "remote_msat": push_msat,
        "inflight_msat": 0,
        "htlcs": [],
        "reserve_msat": capacity_msat * RESERVE_PPM // 1_000_000,
        "state": OPEN,
        "opened_at": now,
        "updated_at": now,
        "closed_at": None,
    }
    doc["channels"].append(ch)
    return ch


def find_htlc(doc: Doc, payment_hash: str, direction: Direction) -> tuple[Channel, Htlc] | None:
    for ch in doc["channels"]:
        for h in ch["htlcs"]:
            if h["payment_hash"] == payment_hash and h["direction"] == direction:
                return ch, h
    return None


def all_htlcs(doc: Doc) -> list[tuple[Channel, Htlc]]:
    return [(ch, h) for ch in doc["channels"] for h in ch["htlcs"]]


def reserve(
    ch: Channel, payment_hash: str, amount_msat: int, direction: Direction, attempt: int
) -> Htlc:
    """Add an HTLC: an outgoing one leaves local, an incoming one leaves remote."""
    if (ch["local_msat"] if direction == OUT else ch["remote_msat"]) < amount_msat:
        raise StorageError("reserving more than the channel holds")
    if direction == OUT:
        ch["local_msat"] -= amount_msat
    else:
        ch["remote_msat"] -= amount_msat
    ch["inflight_msat"] += amount_msat
    htlc: Htlc = {
        "payment_hash": payment_hash,
        "direction": direction,
        "amount_msat": amount_msat,
        "attempt": attempt,
        "created_at": int(time.time()),
    }
    ch["htlcs"].append(htlc)
    ch["updated_at"] = int(time.time())
    return htlc


def settle(ch: Channel, htlc: Htlc, spent_msat: int = 0, returned_msat: int = 0) -> None:
    """Resolve an HTLC as paid. Outgoing: ``spent_msat`` (amount + fee) goes to remote, the rest
    of the reservation back to local, and ``returned_msat`` (a self-payment coming back) from
    remote to local. Incoming: the whole HTLC goes to local."""
    amount = htlc["amount_msat"]
    if htlc["direction"] == IN:
        ch["local_msat"] += amount
    else:
        if not 0 <= spent_msat <= amount or returned_msat > spent_msat:
            raise StorageError(f"settling {spent_msat} msat of a {amount} msat reservation")
        ch["local_msat"] += amount - spent_msat + returned_msat
        ch["remote_msat"] += spent_msat - returned_msat
    _remove(ch, htlc)


def release(ch: Channel, htlc: Htlc) -> None:
    """Resolve an HTLC as failed: the reservation goes back where it came from."""
    if htlc["direction"] == OUT:
        ch["local_msat"] += htlc["amount_msat"]
    else:
        ch["remote_msat"] += htlc["amount_msat"]
    _remove(ch, htlc)


def _remove(ch: Channel, htlc: Htlc) -> None:
    ch["htlcs"].remove(htlc)
    ch["inflight_msat"] -= htlc["amount_msat"]
    ch["updated_at"] = int(time.time())


def migrate_v1(raw: bytes) -> Doc:
    """A schema 1 ledger (lnctl 0.1, ``$LNCTL_HOME/channels.json``: HTLCs keyed by payment hash)
    as schema 2."""
    import json

    doc: Any = json.loads(raw)
    if not isinstance(doc, dict) or doc.get("schema_version") != 1:
        raise ValueError("not a schema 1 ledger")
    for ch in doc["channels"]:
        ch["htlcs"] = [{"payment_hash": h, "attempt": 0, **v} for h, v in dict(ch["htlcs"]).items()]
    doc["schema_version"] = SCHEMA_VERSION
    return check_document(doc)
