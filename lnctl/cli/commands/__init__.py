"""lnctl's commands, declared once (``lnctl.cli.declare``): one module per top-level command or
group, named after it (``serve-metrics`` in ``serve_metrics.py``), whose ``COMMAND`` is its
declaration and whose actions are its bodies. Here: lnctl itself, its global options, the
options many commands share, and the top-level commands in the order ``lnctl --help`` lists
them.

Invariants: importing a command's module is cheap (no Typer; what an action needs is imported
in the action); a start imports only the module of the command it runs, except where it needs
every declaration (``--help``, completion, an error on the Typer path).
"""

from __future__ import annotations

from lnctl.cli.declare import Command, Param, argument, option, options, params

HELP = (
    "A scriptable Lightning Network wallet. Every command takes --json (after the command, "
    "or before it); exit codes are "
    "documented in the README (0 ok, 1 internal/storage, 2 invalid input, 3 payment failed, "
    "4 failed after retries, 5 duplicate, 6 pending, 130 interrupted)."
)

# the top-level commands: each one's module declares it (and its subcommands); `lnctl --help`
# lists them in this order: receiving and paying first, then what is looked up, then the rest
NAMES = (
    "invoice",
    "pay",
    "decode",
    "lookup",
    "invoices",
    "payments",
    "info",
    "channel",
    "memo",
    "simulate",
    "metrics",
    "serve-metrics",
    "config",
    "demo",
)


# options many commands take, declared once: ``as_json: bool = JSON``
JSON = option("--json", default=False, help="Print exactly one JSON document on stdout.")
AMOUNT_MSAT = option(  # invoice and pay: --amount in msat (one of the two)
    "--amount-msat",
    default=None,
    metavar="MSAT",
    min=1,
    show_default=False,
    help="Amount in msat (instead of --amount).",
)
PAYMENT_HASH = argument(  # lookup, invoice wait, memo show|verify
    metavar="PAYMENT_HASH", help="64 hex characters, or a unique prefix (8 or more)."
)
MEMO_FILE = option(
    "--memo-file",
    default=None,
    show_default=False,
    help="Read the private memo from PATH ('-': stdin), so that it is not on the command "
    "line, where other local users can see it (ps).",
)


def _backends() -> list[str]:
    from lnctl.config import BACKENDS

    return list(BACKENDS)


def _networks() -> list[str]:
    from lnctl.config import NETWORKS

    return list(NETWORKS)


@options
class GlobalOptions:
    """The options before the command: what every command's State is built from."""

    home: str | None = option(
        "--home",
        default=None,
        show_default=False,
        help="Wallet folder (default LNCTL_HOME, else ~/.lnctl).",
    )
    backend: str | None = option(
        "--backend",
        default=None,
        show_default=False,
        complete=_backends,
        help="simulated (default), lnbits or lightspark (default LNCTL_BACKEND, else config.toml).",
    )
    network: str | None = option(
        "--network",
        default=None,
        show_default=False,
        complete=_networks,
        help="The wallet's network (default LNCTL_NETWORK, else config.toml, else regtest; "
        "bitcoin on LNbits).",
    )
    verbose: int = option(
        "--verbose",
        "-v",
        default=0,
        count=True,
        help="More log output on stderr (-v info, -vv debug).",
    )
    quiet: bool = option("--quiet", "-q", default=False, help="Only errors on stderr.")
    log_format: str = option("--log-format", default="text", help="text or json.")
    traceback: bool = option(
        "--traceback",
        default=False,
        help="Show the real traceback of an error (or LNCTL_DEBUG=1).",
    )
    version: bool = option(
        "--version", "-V", default=False, eager=True, help="Print the version and exit."
    )


def declared(name: str) -> Command:
    """The declaration of the top-level command ``name`` (one of NAMES)."""
    if name not in NAMES:
        raise KeyError(name)
    # __import__, not importlib: Python 3.12 does not load importlib at start
    found = __import__(f"{__name__}.{name.replace('-', '_')}", fromlist=["COMMAND"]).COMMAND
    if not isinstance(found, Command) or found.name != name:
        raise TypeError(f"lnctl.cli.commands.{name}: COMMAND is not the declaration of {name}")
    return found


def every() -> list[Command]:
    """Every top-level command, in the order of NAMES (imports every command's module)."""
    return [declared(name) for name in NAMES]


def every_param(names: tuple[str, ...] = NAMES) -> list[Param]:
    """The global options and every parameter of the commands ``names`` (all of them unless
    told) and of their subcommands."""
    found = list(params(GlobalOptions))
    todo = [declared(name) for name in names]
    while todo:
        command = todo.pop()
        found += command.params
        todo += command.subcommands
    return found


def value_flags() -> frozenset[str]:
    """Every option that takes a value: what follows it is its value, even ``--json``."""
    return frozenset(flag for p in every_param() if p.takes_value for flag in p.flags)


def flag_values(names: tuple[str, ...] = NAMES) -> dict[str, str]:
    """Options of the commands ``names`` whose value may be left out, and the value that means
    (``--induce-failure`` alone is ``--induce-failure=1``)."""
    return {flag: p.flag_value for p in every_param(names) if p.flag_value for flag in p.flags}
