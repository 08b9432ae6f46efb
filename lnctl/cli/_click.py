"""The exceptions of the click that Typer runs on (Typer 0.29 vendors its own copy)."""

from __future__ import annotations


def click_exceptions() -> tuple[type[BaseException], type[BaseException], type[Exception]]:
    from typer import Abort, Exit

    try:
        from typer._click.exceptions import ClickException
    except ImportError:  # a Typer that uses the click package
        from click.exceptions import ClickException  # type: ignore[assignment,unused-ignore]
    return Exit, Abort, ClickException
