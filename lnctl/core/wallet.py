"""The wallet: one object that opens what a command needs, lazily, from one Config.

The backend (the node) owns the money; the history records what the node said. The history keeps
the identity of the node it belongs to: a history that meets another node is refused, and a
missing, empty or older history is rebuilt from what the node knows (with a warning), never
silently recreated as if the wallet were new.

On a node that keeps records (the simulated node), the history also keeps the step of the node's
record it has seen (``node_seq``; the record's steps are in ``lnctl.backends.simulated.node``),
advanced in the same transaction as what it records of the node. It never exceeds the record's
step, which never goes back: a record below it is older than the history (restored from an
older backup) and is refused, nothing changed. A history below it is behind the record: what
changed at the node since is read (and only that) and what the history lacks is added.

The note follows the node's step, in the history's next commit: a command killed between the two
leaves the history one step behind (the next command catches up). That one step is the limit of
what the history vouches for: ``simnet/`` put back whole to just before it is not told apart.
"""

from __future__ import annotations

import os

from lnctl.backends import registry
from lnctl.config import Config
from lnctl.deadline import NO_DEADLINE, Deadline
from lnctl.errors import Code, CorruptStateError, UnsupportedError
from lnctl.storage.files import ensure_private_dir

TYPE_CHECKING = False  # typing costs start-up time; mypy treats this name as typing's
if TYPE_CHECKING:
    from lnctl.backends.base import Backend, Capabilities, TestNetwork
    from lnctl.backends.simulated import SimulatedBackend
    from lnctl.memo import Keyring
    from lnctl.storage.history import History


class Wallet:
    """Lazily opened pieces of one wallet home. Close it (or use ``with``) when done."""

    def __init__(self, config: Config, deadline: Deadline = NO_DEADLINE) -> None:
        self.config = config
        self.env = config.env
        ensure_private_dir(config.home)
        self._history: History | None = None
        self._backend: Backend | None = None
        self._keyring: Keyring | None = None
        self._deadline = deadline
        # False while the node's identity cannot be told with the credentials at hand (LNbits
        # with only the invoice key of a wallet without payments): nothing is concluded then
        self.identity_verified = True
        self.warnings: list[str] = []

    def __enter__(self) -> Wallet:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._history is not None:
            self._history.close()
        if self._backend is not None:
            self._backend.close()

    @property
    def home(self) -> str:
        return self.config.home

    @property
    def deadline(self) -> Deadline:
        """The deadline every request to the node ends by: the command's (``--timeout``), or a
        payment's in a batch."""
        return self._deadline

    @deadline.setter
    def deadline(self, deadline: Deadline) -> None:
        self._deadline = deadline
        if self._backend is not None:
            self._backend.deadline = deadline

    @property
    def history(self) -> History:
        if self._history is None:
            from lnctl.storage.history import History

            self._history = History(self.config.path("history.sqlite"))
        return self._history

    # -- the node ----------------------------------------------------------------------------------

    @property
    def backend(self) -> Backend:
        if self._backend is None:
            backend = self._open_backend()
            try:
                self._check_identity(backend)
            except BaseException:
                backend.close()
                raise
            self._backend = backend
        return self._backend

    def _open_backend(self) -> Backend:
        from lnctl.backends.base import backend_class  # with the node (a listing opens none)

        opener = backend_class(self.config.backend)
        return opener.from_config(self.config, self._deadline, self._first_use)

    def _first_use(self) -> bool:
        """Whether this wallet has yet to meet a node: asked only by a node kept in the wallet's
        home, which is made then (the history is read then, not before)."""
        return self.history.meta("identity") is None

    @property
    def simulated(self) -> SimulatedBackend:
        """The embedded simulated node (exit 2 on another backend)."""
        from lnctl.backends.simulated import SimulatedBackend

        self.require("channels", "the simulated node")
        backend = self.backend
        assert isinstance(backend, SimulatedBackend)
        return backend

    @property
    def test_network(self) -> TestNetwork:
        """The backend's test network (``lnctl simulate``; exit 2 where it has none)."""
        self.require("test_network", "lnctl simulate")
        backend: object = self.backend
        assert hasattr(backend, "simulate_incoming")
        return backend  # type: ignore[return-value]

    @property
    def capabilities(self) -> Capabilities:
        """What this wallet's backend can do (known without opening it)."""
        return registry.capabilities(self.config.backend)

    def require(self, capability: str, what: str) -> None:
        """Refuse (exit 2, UNSUPPORTED_BACKEND) what this backend cannot do, before asking it."""
        if not getattr(self.capabilities, capability):
            raise UnsupportedError(
                f"{what} is not available on the {self.config.backend} backend",
                hint="the simulated backend (LNCTL_BACKEND=simulated) has it",
            )

    def node_id(self) -> str | None:
        return self.backend.node_id()

    def _check_identity(self, backend: Backend) -> None:
        history = self.history
        meta = history.metas("identity", "node_seq")  # read before the node's step: see below
        known = meta.get("identity")
        identity = backend.identity()
        if identity is None:  # the backend cannot tell with these credentials: nothing to check
            # and, for a history of a known node, nothing to conclude from what this node says
            self.identity_verified = known is None
            return
        if known is not None and known != identity:
            raise CorruptStateError(
                f"this wallet's history ({history.path}) belongs to another node "
                f"({history.meta('backend') or 'unknown'} backend)",
                code=Code.WALLET_MISMATCH,
                hint="use the LNCTL_HOME (and backend settings) this history was made with, or "
                "another LNCTL_HOME for this node",
            )
        activity = backend.activity() if backend.capabilities.exports_records else None
        if known is None:
            added = (
                _rebuild(history, backend, everything=True)[0]
                if backend.capabilities.exports_records
                else 0
            )
            with history.transaction():
                history.set_meta("identity", identity)
                history.set_meta("backend", backend.name)
                node_id = backend.node_id()
                if node_id:
                    history.set_meta("node_id", node_id)
                if activity is not None:
                    history.advance_node_seq(activity.seq)
            if added:
                self.warnings.append(
                    f"the history store was missing or empty: rebuilt {added} record(s) from "
                    "what the node knows (memos and descriptions are not kept by the node)"
                )
            return
        if activity is None:
            return
        seen = int(meta.get("node_seq", -1))  # -1: a history from before lnctl kept it
        if seen > activity.seq:
            # the history was read first and the record's step never goes back: a record
            # below what the history has seen is older than it
            raise CorruptStateError(
                f"the node's record is older than this wallet's history ({history.path} has "
                f"seen step {seen} of the record, which is at step {activity.seq}): restored "
                "from an older backup? Payments the history knows would be made again",
                hint="put back the newer simnet/ files, or restore history.sqlite and simnet/ "
                "together from one backup; nothing was changed",
            )
        if seen < activity.seq:
            added, corrected = _rebuild(history, backend, since=seen)
            history.advance_node_seq(activity.seq)
            if added or corrected:
                what = f"added {added} record(s) the node knows" if added else ""
                if corrected:
                    what += (" and " if what else "") + (
                        f"corrected {corrected} payment(s) the node has paid since"
                    )
                self.warnings.append(
                    "the history store was older than the node's record (restored from a "
                    f"backup, or a command stopped before recording what the node did): {what}"
                )

    def note_node(self) -> None:
        """Record that the history has seen the node's record as it is now (after recording
        what the node did; inside the caller's transaction when there is one)."""
        backend = self._backend
        if backend is not None and backend.capabilities.exports_records:
            activity = backend.activity()
            if activity is not None:
                self.history.advance_node_seq(activity.seq)

    # -- memo keys ---------------------------------------------------------------------------------

    def keyring(self, *, create: bool) -> Keyring | None:
        """The memo keys. ``create`` makes the keyring on first use, never in place of a lost
        one: with memos in the history, a missing keyring is MEMO_KEY_MISSING (a new key would
        leave them unreadable for good)."""
        if self._keyring is None:
            from lnctl.memo import Keyring

            secrets = self.config.path("secrets")
            if (
                create
                and not self.config.memo_key_b64
                and not os.path.lexists(os.path.join(secrets, "memo.keys"))
                and self.history.has_memos()
            ):
                from lnctl.errors import MemoKeyError

                raise MemoKeyError(
                    f"the memo keyring {os.path.join(secrets, 'memo.keys')} is missing, while "
                    "this wallet's history holds memos encrypted with it",
                    code=Code.MEMO_KEY_MISSING,
                    hint="restore secrets/memo.keys from a backup (or set LNCTL_MEMO_KEY to the "
                    "key the memos were made with); lnctl makes no new keyring in its place",
                )
            self._keyring = Keyring.load(secrets, self.config.memo_key_b64, create=create)
        return self._keyring

    def reset_keyring(self) -> None:
        self._keyring = None


def _rebuild(
    history: History, backend: Backend, *, everything: bool = False, since: int | None = None
) -> tuple[int, int]:
    """``lnctl.core.rebuild.rebuild_history``, imported only when a history needs it (it reads
    invoices with the BOLT 11 codec: no command in step with its node pays for that import)."""
    from lnctl.core.rebuild import rebuild_history

    return rebuild_history(history, backend, everything=everything, since=since)
