"""``lnctl memo show|verify|rotate-key``."""

from __future__ import annotations

from typing import Annotated

import typer

from lnctl.cli.options import JsonOption

memo_app = typer.Typer(help="Private memos: encrypted at rest (AES-256-GCM).", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(memo_app, name="memo")


@memo_app.command("show")
def show(
    ctx: typer.Context,
    payment_hash: Annotated[str, typer.Argument(metavar="PAYMENT_HASH", help="64 hex characters.")],
    as_json: JsonOption = False,
) -> None:
    """Decrypt and show one memo."""
    from lnctl.cli.actions import memo_show_action

    memo_show_action(ctx.obj, payment_hash, as_json)


@memo_app.command("verify")
def verify(
    ctx: typer.Context,
    payment_hash: Annotated[str, typer.Argument(metavar="PAYMENT_HASH", help="64 hex characters.")],
    text_: Annotated[str, typer.Argument(metavar="TEXT", help="The text to check.")],
    as_json: JsonOption = False,
) -> None:
    """Check TEXT against the private memo (or, without one, the public description). Exits 0
    on a match, 2 (MEMO_MISMATCH) otherwise."""
    from lnctl.cli.actions import memo_verify_action

    memo_verify_action(ctx.obj, payment_hash, text_, as_json)


@memo_app.command("rotate-key")
def rotate_key(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """New primary memo key; every memo re-encrypted under it; old keys retired once unused.
    Run again after an interruption to finish."""
    from lnctl.cli.actions import memo_rotate_key_action

    memo_rotate_key_action(ctx.obj, as_json)
