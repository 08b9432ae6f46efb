"""What the global options decide, handed to every command through ``ctx.obj``."""

from __future__ import annotations

import os

from lnctl.errors import Code, InvalidInputError

TYPE_CHECKING = False  # typing costs start-up time; mypy treats this name as typing's
if TYPE_CHECKING:
    from lnctl.cli.commands import GlobalOptions
    from lnctl.config import Config
    from lnctl.core.wallet import Wallet
    from lnctl.deadline import Deadline


class State:
    def __init__(self, home: str | None, backend: str | None, network: str | None) -> None:
        self.home = home
        self.backend = backend
        self.network = network
        self._config: Config | None = None

    @classmethod
    def build(cls, given: GlobalOptions) -> State:
        """From the global options (either path builds the same record): logging set up, the
        configuration read when first asked for."""
        from lnctl import log

        if given.log_format not in ("text", "json"):
            raise InvalidInputError("--log-format is text or json", code=Code.USAGE)
        level = os.environ.get("LNCTL_LOG_LEVEL", "warning").lower()
        if level not in log.LEVELS:
            raise InvalidInputError(
                f"LNCTL_LOG_LEVEL {level!r} is not one of {', '.join(log.LEVELS)}", code=Code.USAGE
            )
        if given.quiet:
            level = "error"
        elif given.verbose:
            level = "debug" if given.verbose > 1 else "info"
        log.configure(level, given.log_format)
        return cls(given.home, given.backend, given.network)

    @property
    def config(self) -> Config:
        if self._config is None:
            from lnctl.config import Config

            self._config = Config.from_env(
                home=self.home, backend=self.backend, network=self.network
            )
        return self._config

    def wallet(self, deadline: Deadline | None = None) -> Wallet:
        """The wallet, recovered: every command that opens one first resolves what a crashed
        process left in flight. ``deadline``: the command's (``--timeout``), which every request
        to the node, recovery's included, ends by."""
        from lnctl.core.recovery import recover
        from lnctl.core.wallet import Wallet

        wallet = Wallet(self.config) if deadline is None else Wallet(self.config, deadline)
        try:
            recover(wallet)
            if wallet.warnings:  # recovery's warnings are shown once, whatever the command
                from lnctl.cli.output import warn

                for message in dict.fromkeys(wallet.warnings):
                    warn(message)
                wallet.warnings.clear()
        except BaseException:
            wallet.close()
            raise
        return wallet
