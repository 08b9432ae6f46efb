"""``lnctl demo``: the original demo, for real."""

from __future__ import annotations

from lnctl.cli.commands import JSON
from lnctl.cli.declare import command, option, options

TYPE_CHECKING = False  # typing costs start-up time; mypy treats this name as typing's
if TYPE_CHECKING:
    from lnctl.cli.state import State


@options
class DemoOptions:
    explain: bool = option(
        "--explain",
        default=False,
        help="Show each step: the invoice, the payment's preimage and latency, the metrics.",
    )
    as_json: bool = JSON


# left to Typer: a show for people, not a command scripts call
@command("demo", DemoOptions, fast=False)
def demo(state: State, opts: DemoOptions) -> None:
    """Create a 100,000-sat invoice with memo "demo", pay it with one induced temporary
    failure so the retry shows, then print a short summary (--explain: every step, with the
    metrics)."""
    from lnctl.cli import render
    from lnctl.cli.output import deliver
    from lnctl.core.demo import run_demo
    from lnctl.errors import Done

    with state.wallet() as wallet:
        doc = run_demo(wallet)
        warnings = wallet.warnings
    deliver(doc, opts.as_json, lambda d: render.demo(d, opts.explain), warnings)
    if doc["payment"]["status"] != "SUCCEEDED":
        raise Done(3)


COMMAND = demo
