"""The console entry point and the one place exceptions become exit codes.

``lnctl --version`` is answered before anything is imported. A command line the fast path
understands (``lnctl.cli.fast``) runs without Typer; every other goes through the Typer app.
Errors of both are turned into the documented exit codes here, with the real traceback
available through ``--traceback`` or ``LNCTL_DEBUG=1``.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # typing costs start-up time; mypy treats this name as typing's
if TYPE_CHECKING:
    from collections.abc import Set

    from lnctl.cli.fast import Call
    from lnctl.errors import LnctlError


def _wants_traceback(argv: list[str]) -> bool:
    return "--traceback" in argv or os.environ.get("LNCTL_DEBUG", "") not in ("", "0")


def _hold_closed_std_fds() -> None:
    """A standard stream closed when lnctl started (``lnctl ... >&-``: Python then sets it to
    None) leaves its descriptor free, and the next file lnctl opens would get it: a write meant
    for stdout could land in a lock file or the ledger's temp file. /dev/null holds it instead
    (as SQLite does for its own files); the stream stays None, so output to it still fails."""
    for fd, stream in ((0, sys.stdin), (1, sys.stdout), (2, sys.stderr)):
        if stream is None:
            try:
                os.fstat(fd)
            except OSError:
                held = os.open(os.devnull, os.O_RDWR)
                if held != fd:  # a lower one was free too: it gets its own in its turn
                    os.dup2(held, fd)
                    os.close(held)


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if sys.stdout is None or sys.stderr is None or sys.stdin is None:
        _hold_closed_std_fds()
    if "lnctl.cli.output" in sys.modules:  # an earlier main() in this process (tests)
        sys.modules["lnctl.cli.output"]._Written.document = False
    if args in (["--version"], ["-V"]):
        from lnctl import __version__

        return _version(f"lnctl {__version__}\n")
    call: Call | None = None
    if "--json" in args:
        args = global_json(args)
    try:
        if os.environ.get("LNCTL_FAST_PATH", "1") != "0":
            from lnctl.cli import fast

            call = fast.parse(args)
            if call is not None:
                return fast.run(call)
        return _run(args)
    except KeyboardInterrupt:
        from lnctl.errors import Interrupted

        waiting = _waits(args)  # invoice wait: nothing was in flight, only a wait
        return _fail(
            Interrupted(
                "interrupted",
                hint="nothing changed: lnctl invoice wait PAYMENT_HASH waits again"
                if waiting
                else "anything in flight is resolved by the next lnctl command",
            ),
            _json_requested(args, call),
            args,
        )
    except Exception as exc:
        from lnctl.cli.output import PipeClosed
        from lnctl.errors import Code, Done, LnctlError, StorageError

        if isinstance(exc, Done):
            return exc.code
        if isinstance(exc, (PipeClosed, BrokenPipeError)):
            # the reader went away (lnctl ... | head): not an error of ours
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            return 0

        as_json = _json_requested(args, call)
        if isinstance(exc, LnctlError):
            return _fail(exc, as_json, args)
        if _wants_traceback(args):
            _print_traceback(exc)  # as Python would, without the secrets
            return 1
        import sqlite3

        if isinstance(exc, sqlite3.Error):
            from lnctl.storage.sqlite import diagnose

            return _fail(diagnose(exc, "the store", "in LNCTL_HOME"), as_json, args)
        if isinstance(exc, OSError):
            import errno

            code = {
                errno.ENOSPC: Code.DISK_FULL,
                errno.EROFS: Code.READ_ONLY,
                errno.EACCES: Code.READ_ONLY,
            }
            return _fail(
                StorageError(
                    f"storage error: {exc.strerror or exc}"
                    + (f": {exc.filename}" if exc.filename else ""),
                    code=code.get(exc.errno or 0, Code.STORAGE_ERROR),
                    hint="check LNCTL_HOME, the disk and permissions; --traceback shows details",
                ),
                as_json,
                args,
            )
        return _fail(
            LnctlError(
                f"internal error: {type(exc).__name__}: {_redacted(str(exc))}",
                hint="run again with --traceback and report it",
            ),
            as_json,
            args,
        )


def _waits(args: list[str]) -> bool:
    """Is this ``lnctl invoice wait``?"""
    words = [a for a in args if not a.startswith("-")]
    return any(words[i : i + 2] == ["invoice", "wait"] for i in range(len(words)))


def global_json(args: list[str]) -> list[str]:
    """``lnctl --json info`` as ``lnctl info --json``: --json among the global options (before
    the command) means what it means after it. Only a command line that names a command is
    changed."""
    from lnctl.cli.commands import NAMES

    i, taking = _command_at(args)
    if i >= len(args) or args[i] not in NAMES or "--json" not in args[:i]:
        return args
    before = [
        a for j, a in enumerate(args[:i]) if not (a == "--json" and args[j - 1] not in taking)
    ]
    if len(before) == i:  # every --json there was an option's value (--home --json)
        return args
    rest = args[i:]
    end = rest.index("--") if "--" in rest else len(rest)
    return before + rest[:end] + ["--json"] + rest[end:]


def _version(line: str) -> int:
    """``lnctl --version``: before anything else is imported, and a stdout that cannot be
    written is one line on stderr (exit 1), as for every command."""
    out = sys.stdout
    if out is not None:
        try:
            out.write(line)
            out.flush()
            return 0
        except BrokenPipeError:
            return 0
        except OSError as exc:
            from lnctl.cli.output import output_failed

            return _fail(output_failed(exc), False, [])
    from lnctl.cli.output import stdout_closed

    return _fail(stdout_closed(), False, [])


def _fail(exc: LnctlError, as_json: bool, args: list[str]) -> int:
    from lnctl.cli.output import PipeClosed, print_error

    if not exc.hint:  # every error says what to do: "hint" is never empty
        exc.hint = default_hint(int(exc.exit_code), args, exc.code)

    if _wants_traceback(args) and exc.__cause__ is not None:
        _print_traceback(exc)
    from lnctl.errors import Code
    from lnctl.errors import LnctlError as Error

    try:
        # stdout itself failed: the one line goes to stderr, whatever --json asked
        print_error(exc, as_json and exc.code != Code.OUTPUT_FAILED)
    except (PipeClosed, OSError, Error):  # stdout is gone too: say it on stderr, once
        from lnctl.cli.output import write_err
        from lnctl.sanitize import sanitize

        write_err(f"lnctl: error: {sanitize(exc.message)}\n")
    return int(exc.exit_code)


# what to do about an error whose raiser said nothing more, by its exit code (2: the help of
# the command that was run)
HINTS = {
    1: "run again with --traceback (or LNCTL_DEBUG=1) for the details",
    3: "the node refused the payment: nothing was paid; fix the cause before paying again",
    4: "nothing was paid: try again later, or raise --retries / --timeout",
    5: "lnctl lookup PAYMENT_HASH shows the payment already made or in flight",
    6: "do not pay again: lnctl lookup PAYMENT_HASH later",
    130: "anything in flight is resolved by the next lnctl command",
}


CODE_HINTS = {
    "NOT_FOUND": "lnctl invoices and lnctl payments list the payment hashes this wallet knows",
    "NO_MEMO": "only an invoice or payment made with --memo (or --memo-file) has a memo",
    "INVALID_PATH": "check the path: it must name a file lnctl can read or write",
}


def default_hint(exit_code: int, args: list[str], code: str = "") -> str:
    """A hint for an error raised without one."""
    if code in CODE_HINTS:
        return CODE_HINTS[code]
    if exit_code in HINTS:
        return HINTS[exit_code]
    return f"see {command_path(args)} --help"


def _command_at(args: list[str]) -> tuple[int, set[str]]:
    """Where the command is in ``args`` (the index after the global options), and the global
    options that take a value."""
    from lnctl.cli.commands import GlobalOptions
    from lnctl.cli.declare import params

    taking = {f for p in params(GlobalOptions) if p.takes_value for f in p.flags}
    i = 0
    while i < len(args) and args[i].startswith("-") and args[i] != "--":
        i += 2 if args[i] in taking else 1
    return i, taking


def command_path(args: list[str]) -> str:
    """``lnctl pay`` or ``lnctl channel open``: the command ``args`` run, as far as it is one
    (``lnctl`` alone else)."""
    from lnctl.cli.commands import NAMES, declared

    i = _command_at(args)[0]
    if i >= len(args) or args[i] not in NAMES:
        return "lnctl"
    words = ["lnctl", args[i]]
    if i + 1 < len(args) and declared(args[i]).subcommand(args[i + 1]) is not None:
        words.append(args[i + 1])
    return " ".join(words)


def _redacted(text: str) -> str:
    """``text`` without the secrets read (``lnctl.sanitize.remember_secret``) nor those of
    the environment (``LNCTL_*`` variables named as secrets are: ``LNCTL_MEMO_KEY``)."""
    from lnctl.config import looks_secret
    from lnctl.sanitize import redact_secrets

    env = [v.strip() for k, v in os.environ.items() if k.startswith("LNCTL_") and looks_secret(k)]
    return redact_secrets(text, env)


def _print_traceback(exc: BaseException) -> None:
    """The traceback behind an error, with its causes (``--traceback``), secrets redacted."""
    import traceback

    if sys.stderr is not None:
        sys.stderr.write(_redacted("".join(traceback.format_exception(exc))))
        sys.stderr.flush()


def _json_requested(args: list[str], call: Call | None) -> bool:
    """Did the command line ask for ``--json``? A call the fast path understood has only its
    own command's options; any other is read with every option declared (imports them all)."""
    from lnctl.cli.commands import GlobalOptions, value_flags
    from lnctl.cli.declare import params

    if call is not None:
        taking = [*params(GlobalOptions), *call.command.params]
        return json_requested(args, {f for p in taking if p.takes_value for f in p.flags})
    return json_requested(args, value_flags())


def json_requested(args: list[str], value_flags: Set[str]) -> bool:
    """Is ``--json`` among the options (not the value of an option in ``value_flags``:
    ``--memo --json``; not after ``--``)?"""
    skip = False
    for arg in args:
        if skip:
            skip = False
            continue
        if arg == "--":
            return False
        if arg == "--json":
            return True
        if arg in value_flags:
            skip = True
    return False


def _run(args: list[str]) -> int:
    """The Typer application runs the command line."""
    from lnctl.cli._click import click_exceptions
    from lnctl.cli.app import get_command, needed
    from lnctl.cli.completion import requested
    from lnctl.errors import Code, ExitCode, InvalidInputError

    completion = requested(args)
    if completion is not None:
        from lnctl.cli.completion import run

        return run(*completion)
    args = _optional_values(args, needed(args))
    command = get_command(args)
    Exit, Abort, ClickException, NoArgsIsHelp = click_exceptions()
    try:
        result = command.main(args=args, prog_name="lnctl", standalone_mode=False)
    except Exit as exc:
        return int(getattr(exc, "exit_code", 0))
    except SystemExit as exc:  # Typer's completion options exit the interpreter themselves
        if exc.code in (0, None):
            result = 0
        else:
            raise
    except OSError as exc:
        if _written_by_click(exc):  # help or completion on a stdout that fails: OUTPUT_FAILED
            from lnctl.cli.output import output_failed

            raise output_failed(exc) from exc
        raise
    except Abort:
        raise KeyboardInterrupt from None
    except NoArgsIsHelp as exc:  # `lnctl` or `lnctl channel` alone: the usage, as it is
        from lnctl.cli.output import write_err

        write_err(str(exc.format_message()).rstrip() + "\n")  # type: ignore[attr-defined]
        return ExitCode.INVALID
    except ClickException as exc:
        ctx = getattr(exc, "ctx", None)  # the command whose option or argument it was
        where = ctx.command_path if ctx is not None else "lnctl"
        raise InvalidInputError(
            usage_message(exc), code=Code.USAGE, hint=f"see {where} --help"
        ) from exc
    if result == ExitCode.INTERRUPTED:  # Typer turns Ctrl-C into a return value of 130
        raise KeyboardInterrupt
    if not result and sys.stdout is None and HELP_WORDS.intersection(args):
        # click writes help to a closed stdout without a word: said as for every command
        from lnctl.cli.output import stdout_closed

        raise stdout_closed()
    return int(result or 0)


HELP_WORDS = frozenset({"--help", "-h", "--show-completion"})


def usage_message(exc: Exception) -> str:
    """click's message for a usage error, but a number out of its range or not a number at all
    says which option takes what (click: "'abc' is not a valid integer range.")."""
    import re

    message = str(exc.format_message())  # type: ignore[attr-defined]
    param = getattr(exc, "param", None)
    kind = getattr(getattr(param, "type", None), "name", "")
    found = re.search(r": '(.*)' is not a valid \w+ range\.$|: (.*) is not in the range ", message)
    if param is None or kind not in ("integer range", "float range") or found is None:
        return message
    value = found.group(1) if found.group(1) is not None else found.group(2)
    bounds = param.type  # click's IntRange / FloatRange: min, max and whether they are open
    least = None if bounds.min is None else f"{bounds.min:g}"
    most = None if bounds.max is None else f"{bounds.max:g}"
    if least is not None and most is not None:
        within = f" from {least} to {most}"
    elif least is not None:
        within = f" {'more than' if bounds.min_open else 'of at least'} {least}"
    elif most is not None:
        within = f" {'less than' if bounds.max_open else 'of at most'} {most}"
    else:
        within = ""
    what = "a whole number" if kind == "integer range" else "a number"
    flag = max(param.opts, key=len) if param.opts else param.human_readable_name
    shown = value if re.fullmatch(r"-?[0-9.]+", value) else repr(value)
    return f"{flag} takes {what}{within}, not {shown}"


def _written_by_click(exc: OSError) -> bool:
    """Was ``exc`` raised by click writing a stream (help, completion), not by the wallet's
    storage (whose errors say what they are)?"""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is None:
        return False
    code = tb.tb_frame.f_code
    return code.co_name == "echo" and code.co_filename.endswith(os.path.join("click", "utils.py"))


def _optional_values(args: list[str], names: tuple[str, ...] | None = None) -> list[str]:
    """Give an option whose value may be left out (``--induce-failure``) the value that means
    when no integer follows it (the parser wants one). ``names``: the commands whose options
    are read (all unless told: reading one imports its module, which costs start-up time)."""
    from lnctl.cli.commands import NAMES, flag_values

    optional = flag_values(NAMES if names is None else names)
    out: list[str] = []
    for i, arg in enumerate(args):
        if arg == "--":
            return out + args[i:]
        default = optional.get(arg)
        following = args[i + 1] if i + 1 < len(args) else ""
        number = following[1:] if following.startswith("-") else following
        if default is not None and not (number.isdigit() and number.isascii()):
            arg = f"{arg}={default}"
        out.append(arg)
    return out
