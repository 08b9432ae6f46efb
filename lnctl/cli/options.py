"""Options shared by commands, declared once (``lnctl.cli.declare``): a field takes one as its
declaration, ``as_json: bool = JSON``."""

from __future__ import annotations

from lnctl.cli.declare import option

JSON = option("--json", default=False, help="Print exactly one JSON document on stdout.")
MEMO_FILE = option(
    "--memo-file",
    default=None,
    show_default=False,
    help="Read the private memo from PATH ('-': stdin), so that it is not on the command "
    "line, where other local users can see it (ps).",
)
