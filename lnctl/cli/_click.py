"""The exceptions of the click that Typer runs on (Typer 0.20, pinned: the click package)."""

from __future__ import annotations


def click_exceptions() -> tuple[
    type[BaseException], type[BaseException], type[Exception], type[Exception]
]:
    """(Exit, Abort, ClickException, NoArgsIsHelpError)."""
    from click.exceptions import ClickException, NoArgsIsHelpError
    from typer import Abort, Exit

    return Exit, Abort, ClickException, NoArgsIsHelpError
