"""The wallet: one object that opens what a command needs, lazily, from one Config."""

from __future__ import annotations

import os

from lnctl.config import Config
from lnctl.errors import InvalidInputError
from lnctl.storage.files import ensure_private_dir

TYPE_CHECKING = False  # typing costs start-up time; mypy treats this name as typing's
if TYPE_CHECKING:
    from lnctl.backends.simulated import LocalInvoice, SimulatedBackend
    from lnctl.memo import Keyring
    from lnctl.storage.history import History
    from lnctl.storage.keys import NodeKey
    from lnctl.storage.ledger import Ledger


class Wallet:
    """Lazily opened pieces of one wallet home. Close it (or use ``with``) when done."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.env = config.env
        ensure_private_dir(config.home)
        self._history: History | None = None
        self._key: NodeKey | None = None
        self._ledger: Ledger | None = None
        self._backend: SimulatedBackend | None = None
        self._keyring: Keyring | None = None
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
    def history(self) -> History:
        if self._history is None:
            from lnctl.storage.history import History

            self._history = History(self.config.path("history.sqlite"))
        return self._history

    @property
    def node_key(self) -> NodeKey:
        if self._key is None:
            from lnctl.storage.keys import load_or_create_key

            self._key = load_or_create_key(self.config.path("secrets", "node.key"))
        return self._key

    @property
    def ledger(self) -> Ledger:
        """The channel ledger; on first use of a simulated wallet, its one default channel."""
        if self._ledger is None:
            from lnctl.storage.ledger import Ledger

            ledger = Ledger(self.home)
            if not ledger.exists():
                self.backend  # noqa: B018 - opening the node creates its first channel
            self._ledger = ledger
        return self._ledger

    def require_simulated(self) -> None:
        """The embedded node is the only backend this version has; refuse the others (exit 2)."""
        if self.config.backend != "simulated":
            raise InvalidInputError(
                f"the {self.config.backend} backend is not available in this version of lnctl",
                code="UNSUPPORTED_BACKEND",
                hint="use LNCTL_BACKEND=simulated",
            )

    @property
    def backend(self) -> SimulatedBackend:
        if self._backend is None:
            self.require_simulated()
            from lnctl.backends.simulated import FIRST_CHANNEL_MSAT, SimSettings, SimulatedBackend

            self._backend = SimulatedBackend(
                self.home,
                self.node_key.node_id,
                self.config.network,
                self._local_invoice,
                SimSettings.from_env(self.env),
            )
            from lnctl.storage.ledger import Ledger

            # the simulated node starts with one channel to its peer, all of it local
            Ledger(self.home).ensure_channel(self._backend.peer_id, FIRST_CHANNEL_MSAT)
        return self._backend

    def _local_invoice(self, payment_hash: str) -> LocalInvoice | None:
        from lnctl.backends.simulated import LocalInvoice

        row = self.history.get_invoice(payment_hash)
        if row is None:
            return None
        return LocalInvoice(
            row["preimage"], row["amount_msat"], row["status"] == "SETTLED", row["expires_at"]
        )

    def keyring(self, *, create: bool) -> Keyring | None:
        if self._keyring is None:
            from lnctl.memo import Keyring

            self._keyring = Keyring.load(
                self.config.path("secrets"), self.config.memo_key_b64, create=create
            )
        return self._keyring

    def reset_keyring(self) -> None:
        self._keyring = None

    def has_activity(self) -> bool:
        """True once this home has a history store (used to skip recovery on a fresh home)."""
        return os.path.exists(self.config.path("history.sqlite"))
