"""``lnctl memo show|verify|rotate-key``."""

from __future__ import annotations

from typing import Annotated, Any

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
    from lnctl.cli.output import deliver
    from lnctl.core.memos import show as core_show

    with ctx.obj.wallet() as wallet:
        doc = core_show(wallet, payment_hash)

    def render(d: dict[str, Any]) -> None:
        from lnctl.cli.output import console, text

        console().print(text(d["memo"]))

    deliver(doc, as_json, render)


@memo_app.command("verify")
def verify(
    ctx: typer.Context,
    payment_hash: Annotated[str, typer.Argument(metavar="PAYMENT_HASH", help="64 hex characters.")],
    text_: Annotated[str, typer.Argument(metavar="TEXT", help="The text to check.")],
    as_json: JsonOption = False,
) -> None:
    """Check TEXT against the private memo (or, without one, the public description). Exits 0
    on a match, 2 (MEMO_MISMATCH) otherwise."""
    from lnctl.cli.output import deliver
    from lnctl.core.memos import memo_verify
    from lnctl.errors import InvalidInputError

    with ctx.obj.wallet() as wallet:
        doc = memo_verify(wallet, payment_hash, text_)
    if not doc["match"]:
        raise InvalidInputError(
            "the text does not match the memo (or the invoice's description)",
            code="MEMO_MISMATCH",
            hint="check for a typo or extra spaces",
            details={
                "description_hash": doc["description_hash"],
                "text_sha256": doc["text_sha256"],
            },
        )

    def render(d: dict[str, Any]) -> None:
        from lnctl.cli.output import console

        console().print("match: the text is what the invoice commits to")

    deliver(doc, as_json, render)


@memo_app.command("rotate-key")
def rotate_key(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """New primary memo key; every memo re-encrypted under it; old keys retired once unused.
    Run again after an interruption to finish."""
    from lnctl.cli.output import deliver
    from lnctl.core.memos import rotate_key as core_rotate

    with ctx.obj.wallet() as wallet:
        doc = core_rotate(wallet)
        warnings = wallet.warnings

    def render(d: dict[str, Any]) -> None:
        from lnctl.cli.output import kv_table, show

        show(
            kv_table(
                [
                    ("primary key", d["primary_key_id"]),
                    ("re-encrypted", d["reencrypted"]),
                    ("retired keys", ", ".join(d["retired_key_ids"]) or None),
                    ("unreadable", d["unreadable"]),
                    ("resumed", "yes" if d["resumed"] else "no"),
                ]
            )
        )

    deliver(doc, as_json, render, warnings)
