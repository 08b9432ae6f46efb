"""Everything lnctl prints: one JSON document on stdout with ``--json``, Rich for people, errors
as one line on stderr. Text that comes from an invoice is untrusted: control characters,
escape sequences and bidi overrides are removed, and Rich markup is never interpreted."""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # typing costs start-up time; mypy treats this name as typing's
if TYPE_CHECKING:
    from typing import Any

    from rich.console import Console

    from lnctl.errors import LnctlError, StorageError

from lnctl.sanitize import sanitize as sanitize  # noqa: E402 - re-exported for the commands


class _Escapes(dict[int, str]):
    """``str.translate``'s table for a JSON string in ASCII (what ``json.dumps`` writes): the
    printable ASCII characters stand for themselves, ``"`` and ``\\`` and the control characters
    have their escapes, anything else becomes ``\\uXXXX`` (a surrogate pair above U+FFFF),
    computed the first time it is met. Not ``_json`` (a private module of CPython) nor ``json``
    (with the ``re`` and ``enum`` it imports, 13 ms of start-up: ``python -S -X importtime``)."""

    def __missing__(self, code: int) -> str:
        if code > 0xFFFF:
            high, low = divmod(code - 0x10000, 0x400)
            text = f"\\u{0xD800 | high:04x}\\u{0xDC00 | low:04x}"
        else:
            text = f"\\u{code:04x}"
        self[code] = text
        return text


_ESCAPES = _Escapes({c: chr(c) for c in range(0x20, 0x7F)})
_ESCAPES.update({0x22: '\\"', 0x5C: "\\\\", 0x0A: "\\n", 0x0D: "\\r", 0x09: "\\t"})
_ESCAPES.update({0x08: "\\b", 0x0C: "\\f"})


def _quote(text: str) -> str:
    return '"' + text.translate(_ESCAPES) + '"'


def to_json(value: Any, level: int = 0) -> str:
    """``json.dumps(value, indent=2)`` (ASCII only), without importing ``json``: the json package
    imports ``re``, a large part of the start-up time of ``lnctl decode --json``. The tests check
    it against ``json.dumps`` on arbitrary documents."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return _quote(value)
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError("NaN and infinity are not JSON")
        return float.__repr__(value)
    inner = "\n" + "  " * (level + 1)
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = []
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"JSON keys are strings, not {type(key).__name__}")
            items.append(inner + _quote(key) + ": " + to_json(item, level + 1))
        return "{" + ",".join(items) + "\n" + "  " * level + "}"
    if isinstance(value, list | tuple):
        if not value:
            return "[]"
        return (
            "[" + ",".join(inner + to_json(v, level + 1) for v in value) + "\n" + "  " * level + "]"
        )
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


class PipeClosed(Exception):
    """The reader of stdout went away (``lnctl invoices | head -2``): not an error of ours. Not
    an OSError, so that the command-line parser does not turn it into exit 1."""


class _Written:
    """What this process has written to stdout: a whole JSON document (then an error found
    after it goes to stderr, so that stdout holds exactly one document)."""

    document = False


def stdout_closed() -> StorageError:
    """The error for a stdout that was closed when lnctl started (``lnctl ... >&-``)."""
    from lnctl.errors import Code, StorageError

    return StorageError(
        "cannot write the output: stdout is closed",
        code=Code.OUTPUT_FAILED,
        hint="what was done is recorded: lnctl payments / lnctl invoices show it",
    )


def write_out(text: str) -> None:
    """Write to stdout and flush. A reader that went away raises PipeClosed; any other failure
    (a full disk, a closed stdout) is an OutputError: one line on stderr, exit 1."""
    stream = sys.stdout
    if stream is None:
        raise stdout_closed()
    try:
        stream.write(text)
        stream.flush()
    except BrokenPipeError:
        raise PipeClosed from None
    except OSError as exc:
        raise output_failed(exc) from exc


def write_err(text: str) -> None:
    """Write to stderr: a stderr that is closed or cannot be written loses the text, and
    nothing else (there is nowhere left to say it; the exit code still tells the outcome)."""
    stream = sys.stderr
    if stream is None:
        return
    try:
        stream.write(text)
        stream.flush()
    except (OSError, ValueError):  # ValueError: a stream closed under us
        pass


def output_failed(exc: OSError) -> StorageError:
    """The error for stdout that cannot be written (stdout is pointed at /dev/null first, so
    that the interpreter's last flush cannot fail again)."""
    from lnctl.errors import Code, StorageError

    silence_stdout()
    return StorageError(
        f"cannot write the output: {exc.strerror or exc}",
        code=Code.OUTPUT_FAILED,
        hint="what was done is recorded: lnctl payments / lnctl invoices show it",
    )


def silence_stdout() -> None:
    """Point stdout at /dev/null, so that the interpreter's last flush cannot fail again."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.close(devnull)
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - lives until the process ends
    except OSError:
        pass


def to_json_line(value: Any) -> str:
    """One JSON document on one line (JSON Lines)."""
    import json

    return json.dumps(value, ensure_ascii=True, separators=(",", ":"))


def emit_json(doc: Any) -> None:
    """The command's one JSON document on stdout, written whole: a Ctrl-C that comes while it
    is written takes effect once it is out (lnctl exits 130 then, and writes no second
    document)."""
    text = to_json(doc) + "\n"
    with _Uninterrupted():
        write_out(text)
        _Written.document = True  # before a held Ctrl-C is raised: no second document then


def write_whole(text: str) -> None:
    """``write_out``, never cut by a Ctrl-C: one that comes meanwhile takes effect after."""
    with _Uninterrupted():
        write_out(text)


class _Uninterrupted:
    """Holds SIGINT back while a document is written (in the main thread, where Python runs
    signal handlers), then raises the KeyboardInterrupt it held, if any."""

    def __init__(self) -> None:
        self.held = False
        self.previous: Any = None

    def _hold(self, *_: object) -> None:
        self.held = True

    def __enter__(self) -> None:
        if TYPE_CHECKING:
            import signal as _signal
        else:
            import _signal  # the builtin under signal: signal.py imports enum (start-up time)
        try:
            self.previous = _signal.signal(_signal.SIGINT, self._hold)
        except ValueError:  # not the main thread: no handler runs here anyway
            self.previous = None

    def __exit__(self, kind: object, *_: object) -> None:
        if self.previous is None:
            return
        if TYPE_CHECKING:
            import signal as _signal
        else:
            import _signal
        _signal.signal(_signal.SIGINT, self.previous)
        if self.held and kind is None:
            raise KeyboardInterrupt


_consoles: dict[str, Console] = {}


def console(stderr: bool = False) -> Console:
    key = "err" if stderr else "out"
    if key not in _consoles:
        stream = sys.stderr if stderr else sys.stdout
        if stream is None and not stderr:
            raise stdout_closed()  # Rich would write nothing, and say nothing of it
        # Piped output is read by programs: wide enough that hashes and invoices never wrap.
        width = None if stream is not None and stream.isatty() else 240
        _consoles[key] = _console_class()(
            stderr=stderr, highlight=False, soft_wrap=False, width=width
        )
    return _consoles[key]


def _console_class() -> type[Console]:
    """Rich's Console, but a reader that goes away is PipeClosed (exit 0, as for every
    command) rather than Rich's own exit 1."""
    from rich.console import Console

    class Lnctl(Console):
        def on_broken_pipe(self) -> None:
            self.quiet = True
            silence_stdout()
            raise PipeClosed

    return Lnctl


def say(line: str) -> None:
    """One line of lnctl's own words (no untrusted text) after a table."""
    if piped():
        write_out(line + "\n")
    else:
        console().print(line)


def say_untrusted(value: object) -> None:
    """A line of untrusted text (a memo), sanitized and never read as markup."""
    if piped():
        write_out(sanitize(value) + "\n")
    else:
        console().print(text(value))


def plain_line(text: str) -> None:
    """A line that must reach stdout unwrapped (an invoice that another program will read)."""
    write_out(text + "\n")


def warn(message: str) -> None:
    write_err(f"lnctl: warning: {sanitize(message)}\n")


def error_document(exc: LnctlError) -> dict[str, Any]:
    doc: dict[str, Any] = {"error": {"code": exc.code, "message": exc.message, "hint": exc.hint}}
    for key, value in exc.details.items():
        if key in ("payment",):
            doc[key] = value
        else:
            doc["error"][key] = value
    doc["error"]["exit_code"] = int(exc.exit_code)
    return doc


def print_error(exc: LnctlError, as_json: bool) -> None:
    """The error: its JSON document on stdout (``as_json``, unless a document was written
    already), else one line on stderr."""
    if as_json and not _Written.document:
        emit_json(error_document(exc))
        return
    line = f"{_red('lnctl: error:')} {sanitize(exc.message)}"
    if exc.hint:
        line += f" (hint: {sanitize(exc.hint)})"
    write_err(line + "\n")


def _red(words: str) -> str:
    """``words`` in red on a terminal's stderr, unless NO_COLOR is set (https://no-color.org)
    or TERM is dumb; as they are anywhere else."""
    import os

    stream = sys.stderr
    try:
        terminal = stream is not None and stream.isatty()
    except (OSError, ValueError):
        terminal = False
    if not terminal or os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return words
    return f"\x1b[31m{words}\x1b[0m"


def piped() -> bool:
    """stdout is not a terminal: a program reads it (or nothing does: a closed stdout). Tables
    are then plain lines, and Rich (45 ms to import) is not loaded."""
    return sys.stdout is None or not sys.stdout.isatty()


def table(title: str | None = None) -> Any:
    """A table with a header row: Rich on a terminal, plain aligned lines for a pipe. The title
    is sanitized (it may hold a path) and never read as markup."""
    if piped():
        return _PlainTable(None if title is None else sanitize(title))
    from rich import box
    from rich.table import Table

    return Table(
        title=None if title is None else text(title),
        show_header=True,
        header_style="bold",
        title_justify="left",
        box=box.SIMPLE_HEAD,  # a rule under the header, columns two spaces apart
        show_edge=False,
        pad_edge=False,
        collapse_padding=True,
    )


# how a column of a terminal table gives way when the terminal is narrow (``fit``)
AMOUNT = "amount"  # never cut: "1,000,000 sat" wraps to "1,000,000" over "sat" at most
FIXED = "fixed"  # never cut, never wrapped (a state, a count, a channel id)
PREFIX = "prefix"  # a hash: its first characters (at least 12), as git shows them
DATE = "date"  # "2026-12-02 02:30": the time wraps under the day when narrow
TEXT = "text"  # words that wrap (a memo, a failure)
ID = "id"  # shortened with an ellipsis (a node id)
BAR = "bar"  # draws itself at the width it is given (at least 8)

_FLOORS = {PREFIX: 12, DATE: 10, TEXT: 6, ID: 8, BAR: 8}
_SEPARATOR = 2  # the spaces between two columns of ``table()``


def fit(t: Any, kinds: tuple[str, ...]) -> None:
    """Size the columns of a terminal ``table()`` to the terminal: amounts, states and counts
    whole; hashes, ids, dates and text give way first (to their floor), and only then do
    amounts wrap before their unit. A pipe's plain table is never cut: nothing to do."""
    if isinstance(t, _PlainTable):
        return
    from rich.measure import Measurement
    from rich.text import Text

    columns = t.columns
    if len(kinds) != len(columns):
        raise ValueError(f"{len(columns)} columns, {len(kinds)} kinds")
    width = console().width - _SEPARATOR * (len(columns) - 1)

    def length(cell: object) -> int:
        if isinstance(cell, str):
            return Text(cell).cell_len
        if isinstance(cell, Text):
            return cell.cell_len
        return Measurement.get(console(), console().options, cell).maximum  # type: ignore[arg-type]

    def words(value: object) -> int:
        plain = value if isinstance(value, str) else getattr(value, "plain", "")
        return max((len(w) for w in plain.split()), default=0)

    natural, floor = [], []
    for column, kind in zip(columns, kinds, strict=True):
        header = words(column.header)
        cells = list(column.cells)
        widest = max([header, *(length(c) for c in cells)])
        natural.append(widest)
        if kind == AMOUNT:
            floor.append(max([header, *(words(c) for c in cells)]))
        elif kind == FIXED:
            floor.append(widest)
        else:
            floor.append(min(widest, max(header, _FLOORS[kind])))
    firm = [n if k in (AMOUNT, FIXED) else 0 for n, k in zip(natural, kinds, strict=True)]
    if (
        sum(firm) + sum(f for f, k in zip(floor, kinds, strict=True) if k not in (AMOUNT, FIXED))
        > width
    ):
        firm = [f if k == AMOUNT else n for n, f, k in zip(natural, floor, kinds, strict=True)]
        firm = [w if k in (AMOUNT, FIXED) else 0 for w, k in zip(firm, kinds, strict=True)]
    sizes = list(firm)
    left = width - sum(firm)
    flexible = sorted(  # a date whole first (it is short), then the narrowest first
        (i for i, k in enumerate(kinds) if k not in (AMOUNT, FIXED)),
        key=lambda i: (kinds[i] != DATE, natural[i]),
    )
    for n, i in enumerate(flexible):  # the narrowest first: what one leaves, the next gets
        share = left // (len(flexible) - n)
        if kinds[i] == DATE:  # whole, or the day over the time: never cut between
            share = (
                natural[i] if left - natural[i] >= sum(floor[j] for j in flexible[n + 1 :]) else 0
            )
        sizes[i] = min(natural[i], max(floor[i], share))
        left -= sizes[i]
    for i in sorted(flexible, key=sizes.__getitem__, reverse=True):  # a very narrow terminal:
        if left >= 0:  # the flexible columns below their floors, never an amount
            break
        cut = min(-left, sizes[i] - 1)
        sizes[i] -= cut
        left += cut
    for column, kind, size in zip(columns, kinds, sizes, strict=True):
        column.width = size
        if kind == AMOUNT:
            column.justify = "right"
            column.overflow = "fold"
        elif kind in (FIXED, PREFIX):
            column.no_wrap = True
            column.overflow = "crop"
        elif kind == ID:
            column.no_wrap = True
            column.overflow = "ellipsis"
        elif kind in (TEXT, DATE):
            column.overflow = "fold"


def text(value: object, style: str = "") -> Any:
    """Untrusted text as a Rich Text: sanitized, and never parsed as markup."""
    from rich.text import Text

    return Text("" if value is None else sanitize(value), style=style)


def cell(value: object, style: str = "") -> Any:
    """Untrusted text for a ``table()`` cell: sanitized (and, on a terminal, never parsed as
    Rich markup)."""
    if piped():
        return "" if value is None else sanitize(value)
    return text(value, style)


class _PlainTable:
    """Columns for a program reading a pipe: a header line, then a line per row, the columns
    aligned and two spaces apart; no styling, nothing cut, no trailing spaces."""

    def __init__(self, title: str | None) -> None:
        self.title = title
        self.rows: list[list[str]] = [[]]  # the header first

    def add_column(self, header: str, **_: object) -> None:
        self.rows[0].append(header)

    def add_row(self, *cells: object) -> None:
        self.rows.append([sanitize(c) for c in cells])

    def render(self) -> str:
        widths = [max(len(row[i]) for row in self.rows) for i in range(len(self.rows[0]))]
        lines = [self.title] if self.title else []
        for row in self.rows:
            lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        return "\n".join(lines) + "\n"


class _PlainRows:
    """Key/value rows for a program reading a pipe: aligned, no trailing spaces, no styling."""

    def __init__(self, rows: list[tuple[str, object]], title: str | None) -> None:
        self.rows = rows
        self.title = title

    def render(self) -> str:
        width = max((len(k) for k, _ in self.rows), default=0)
        lines = [self.title] if self.title else []
        for key, value in self.rows:
            shown = "-" if value is None or value == "" else sanitize(value)
            lines.append(f"{sanitize(key).ljust(width)}  {shown}".rstrip())
        return "\n".join(lines) + "\n"


def show(renderable: Any) -> None:
    """Print a table: plain rows straight to stdout for a pipe, Rich for a terminal."""
    if isinstance(renderable, (_PlainRows, _PlainTable)):
        write_out(renderable.render())
    else:
        console().print(renderable)


def kv_table(rows: list[tuple[str, object]], title: str | None = None) -> Any:
    """Key/value rows; every line sanitized (the title may hold a path: LNCTL_HOME)."""
    if piped():
        return _PlainRows(rows, None if title is None else sanitize(title))
    from rich.table import Table

    t = Table(
        show_header=False,
        title=None if title is None else text(title),
        title_justify="left",
        box=None,
        pad_edge=False,
    )
    t.add_column(style="bold")
    t.add_column(overflow="fold")
    for key, value in rows:
        if hasattr(value, "__rich_console__"):  # made for the terminal already: a styled state
            t.add_row(key, value)
        else:
            t.add_row(key, text("-" if value is None or value == "" else value))
    return t


def when(timestamp: int | None) -> str:
    """A Unix time for people, in UTC (JSON keeps the integer)."""
    if timestamp is None:
        return "-"
    import time

    try:
        return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(timestamp))
    except (OverflowError, OSError, ValueError):  # beyond what the platform's time can show
        return "far future" if timestamp > 0 else "far past"


def day_and_time(timestamp: int | None) -> str:
    """A Unix time for a table's column, in UTC (said in the header), to the minute."""
    return when(timestamp).removesuffix(" UTC")[:16]


def msat(value: int | None) -> str:
    """An amount for people: sats with msat precision, never a float, and no trailing zeros
    (``1.5 sat``, never ``1.500 sat``, which reads as 1,500 beside ``5,000 sat``)."""
    if value is None:
        return "-"
    sats, rem = divmod(int(value), 1000)
    return f"{sats:,}.{rem:03d}".rstrip("0") + " sat" if rem else f"{sats:,} sat"


def deliver(doc: Any, as_json: bool, render: Any, warnings: list[str] | None = None) -> None:
    """Hand a result to the right printer: JSON, or ``render(doc)`` for people. Warnings go to
    stderr either way, once each."""
    for message in dict.fromkeys(warnings or []):
        warn(message)
    if as_json:
        emit_json(doc)
        return
    try:
        render(doc)
        if sys.stdout is not None:
            sys.stdout.flush()
    except BrokenPipeError:
        raise PipeClosed from None
    except OSError as exc:
        raise output_failed(exc) from exc
