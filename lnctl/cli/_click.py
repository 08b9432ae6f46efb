"""The exceptions of the click that Typer runs on (Typer 0.29 vendors its own copy)."""

from __future__ import annotations


def click_exceptions() -> tuple[
    type[BaseException], type[BaseException], type[Exception], type[Exception]
]:
    """(Exit, Abort, ClickException, NoArgsIsHelpError)."""
    from typer import Abort, Exit

    try:
        from typer._click.exceptions import ClickException, NoArgsIsHelpError
    except ImportError:  # a Typer that uses the click package
        from click.exceptions import (  # type: ignore[assignment,unused-ignore]
            ClickException,
            NoArgsIsHelpError,
        )
    return Exit, Abort, ClickException, NoArgsIsHelpError
