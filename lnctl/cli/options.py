"""Options shared by commands, defined once."""

from __future__ import annotations

from typing import Annotated

import typer

from lnctl.storage.history import MAX_PAGE

JsonOption = Annotated[
    bool, typer.Option("--json", help="Print exactly one JSON document on stdout.")
]
LimitOption = Annotated[
    int,
    typer.Option(
        "--limit", metavar="N", min=1, max=MAX_PAGE, help=f"At most this many items (1-{MAX_PAGE})."
    ),
]
CursorOption = Annotated[
    int | None,
    typer.Option(
        "--cursor",
        metavar="CURSOR",
        help="Continue a listing from the previous page's next_cursor.",
    ),
]

MemoFileOption = Annotated[
    str | None,
    typer.Option(
        "--memo-file",
        help="Read the private memo from PATH ('-': stdin), so that it is not on the command "
        "line, where other local users can see it (ps).",
        show_default=False,
    ),
]
