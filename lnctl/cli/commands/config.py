"""``lnctl config show``: the effective settings and where each came from."""

from __future__ import annotations

from lnctl.cli.commands import JSON
from lnctl.cli.declare import command, group, options

TYPE_CHECKING = False  # typing costs start-up time; mypy treats this name as typing's
if TYPE_CHECKING:
    from lnctl.cli.state import State


@options
class ShowOptions:
    as_json: bool = JSON


@command("show", ShowOptions)
def show(state: State, opts: ShowOptions) -> None:
    """Print the effective settings and where each came from (never a secret)."""
    from lnctl.cli import render
    from lnctl.cli.output import deliver
    from lnctl.core.queries import settings_document

    deliver(settings_document(state.config), opts.as_json, render.settings)


COMMAND = group(
    "config",
    help="Settings: options, then environment, then $LNCTL_HOME/config.toml, then defaults.",
    subcommands=(show,),
)
