"""``lnctl pay``: one invoice, safely (strict validation, a fee cap, retries for transient
failures only, one deadline, proof of payment, never twice), or with ``--file`` a batch.

The outcome decides the exit code: output that cannot be written afterwards is said on stderr
and never turns a payment's outcome into another code (``deliver_outcome``)."""

from __future__ import annotations

import sys

from lnctl.cli.commands import AMOUNT_MSAT, JSON, MEMO_FILE
from lnctl.cli.declare import argument, command, option, options

TYPE_CHECKING = False  # typing costs start-up time; mypy treats this name as typing's
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Literal

    from lnctl.cli.output import PipeClosed
    from lnctl.cli.state import State
    from lnctl.core.documents import BatchLineDocument
    from lnctl.core.payments import PayOptions as HowToPay
    from lnctl.errors import LnctlError

MAX_BATCH_BYTES = 64 << 20  # pay --file: more is refused, never read in part


@options
class PayOptions:
    invoice: str | None = argument(
        default=None,
        show_default=False,
        help="BOLT 11 invoice, Lightning Address (user@domain) or LNURL-pay link (lnurl1..., "
        "lnurlp://...); read from stdin when omitted: the first invoice found, an address or "
        "link alone, or a JSON document's 'invoice'.",
    )
    amount: int | None = option(
        "--amount",
        default=None,
        metavar="SATS",
        min=1,
        show_default=False,
        help="Sats, for an invoice without an amount, or a Lightning Address or LNURL.",
    )
    comment: str | None = option(
        "--comment",
        default=None,
        metavar="TEXT",
        show_default=False,
        help="A Lightning Address or LNURL: a comment for the payee (LUD-12), within the "
        "length the service allows.",
    )
    idempotency_key: str | None = option(
        "--idempotency-key",
        default=None,
        metavar="KEY",
        show_default=False,
        help="Pay at most once under KEY: a run with a key already used pays nothing and ends "
        "as an invoice already paid (exit 5, or 0 with --if-paid ok).",
    )
    amount_msat: int | None = AMOUNT_MSAT
    max_fee: int | None = option(
        "--max-fee",
        default=None,
        metavar="SATS",
        min=0,
        show_default=False,
        help="Fee cap in sats (default: the larger of 5 sat and 1% of the amount).",
    )
    timeout: float | None = option(
        "--timeout",
        default=None,
        metavar="SECONDS",
        min=0.001,
        show_default=False,
        help="Seconds for the whole payment (default 30, or timeout_s in config.toml).",
    )
    retries: int = option("--retries", default=3, metavar="N", min=1, help="Attempts in all.")
    induce_failure: int = option(
        "--induce-failure",
        default=0,
        min=0,
        metavar="[N]",
        show_default=False,
        flag_value="1",
        help="Make the first N attempts fail with a temporary channel failure (simulated "
        "node; N defaults to 1 when left out).",
    )
    if_paid: Literal["error", "ok"] = option(
        "--if-paid",
        default="error",
        help="Already paid: 'error' exits 5, 'ok' exits 0 with the stored result.",
    )
    dry_run: bool = option(
        "--dry-run", default=False, help="Validate and report what would happen; move nothing."
    )
    memo: str | None = option(
        "--memo",
        default=None,
        show_default=False,
        help="Private note, stored encrypted (visible to ps: see --memo-file).",
    )
    memo_file: str | None = MEMO_FILE
    file: str | None = option(
        "--file",
        default=None,
        show_default=False,
        help="Pay every invoice in PATH ('-': stdin), one per line ('INVOICE [AMOUNT_SAT]'; "
        "blank lines and # comments ignored).",
    )
    concurrency: int = option(
        "--concurrency",
        default=4,
        metavar="N",
        min=1,
        max=256,
        help="--file: payments in flight.",
    )
    rate_limit: float | None = option(
        "--rate-limit",
        default=None,
        metavar="PER_SECOND",
        min=0.001,
        show_default=False,
        help="--file: payment starts per second.",
    )
    jsonl: bool = option(
        "--jsonl",
        default=False,
        help="--file: one JSON line per payment as it ends, then the summary.",
    )
    as_json: bool = JSON


@command("pay", PayOptions)
def pay(state: State, opts: PayOptions) -> None:
    """Pay a BOLT 11 invoice, a Lightning Address or an LNURL-pay link, safely: strict
    validation, fee cap, retries for transient failures only, a timeout, proof of payment,
    never twice. With --file, many at once."""
    from lnctl.cli import render
    from lnctl.cli.inputs import memo_text, read_stdin_invoice
    from lnctl.cli.output import deliver
    from lnctl.core.payments import PayOptions as HowToPay
    from lnctl.core.payments import pay as core_pay
    from lnctl.errors import Code, InvalidInputError

    config = state.config  # --timeout and --max-fee as given, else config.toml's, else defaults
    timeout = opts.timeout if opts.timeout is not None else config.timeout_s
    max_fee = opts.max_fee if opts.max_fee is not None else config.max_fee_sat
    how = HowToPay(  # the same for one payment and for every line of a batch
        max_fee_msat=max_fee * 1000 if max_fee is not None else None,
        timeout_s=timeout,
        retries=opts.retries,
        induce_failures=opts.induce_failure,
        if_paid=opts.if_paid,
    )
    if opts.file is not None:
        if (
            opts.invoice is not None
            or opts.amount is not None
            or opts.amount_msat is not None
            or opts.dry_run
            or opts.memo
            or opts.memo_file
            or opts.comment is not None
            or opts.idempotency_key is not None
        ):
            raise InvalidInputError(
                "--file takes the invoices (and amounts, and keys) from the file: no INVOICE, "
                "--amount, --amount-msat, --comment, --idempotency-key, --dry-run or memo with it",
                code=Code.USAGE,
            )
        pay_batch(state, opts, opts.file, how)
        return
    from lnctl.cli.commands.invoice import amount_msat as given_msat

    amount_msat = given_msat(opts.amount, opts.amount_msat)  # one of them, before stdin is read
    memo = memo_text(opts.memo, opts.memo_file, stdin_taken=opts.invoice is None)
    text = (
        opts.invoice
        if opts.invoice is not None
        else read_stdin_invoice(several="lnctl pay --file -", lnurl=True)
    )
    from lnctl.deadline import Deadline

    how.check(memo)
    deadline = Deadline.after(timeout)  # the whole command's: opening the node, recovery, paying
    with state.wallet(deadline) as wallet:
        if opts.dry_run:
            from lnctl.core.dryrun import dry_run

            would = dry_run(
                wallet,
                text,
                how,
                amount_msat=amount_msat,
                deadline=deadline,
                comment=opts.comment,
                idempotency_key=opts.idempotency_key,
            )
        else:
            doc = core_pay(
                wallet,
                text,
                how,
                amount_msat=amount_msat,
                memo=memo,
                deadline=deadline,
                comment=opts.comment,
                idempotency_key=opts.idempotency_key,
            )
        warnings = wallet.warnings
    if opts.dry_run:
        deliver_outcome(
            would["exit_code"], lambda: deliver(would, opts.as_json, render.dry_run, warnings)
        )
        return
    deliver(doc, opts.as_json, render.payment, warnings)


COMMAND = pay


def deliver_outcome(code: int, write: Callable[[], None]) -> None:
    """Print a result whose exit code is already decided, and exit with it: the outcome decides
    the exit code. Output that cannot be written is one line on stderr, and OUTPUT_FAILED
    (exit 1) only when the outcome is 0; a reader that went away changes nothing."""
    from lnctl.cli.output import PipeClosed, silence_stdout, write_err
    from lnctl.errors import Code, Done, LnctlError

    try:
        write()
    except PipeClosed:
        silence_stdout()
        raise Done(code) from None
    except LnctlError as exc:
        if exc.code != Code.OUTPUT_FAILED or not code:
            raise
        write_err(f"lnctl: error: {exc.message}\n")
        raise Done(code) from None
    if code:
        raise Done(code)


def pay_batch(state: State, opts: PayOptions, path: str, how: HowToPay) -> None:
    """``pay --file PATH``: every line paid by the batch engine; a JSON line per payment as it
    ends with ``--jsonl``, a progress bar on a terminal, then the summary."""
    from lnctl.cli import render
    from lnctl.cli.output import PipeClosed, emit_json, warn, write_out
    from lnctl.core.batch import parse_lines, run_batch
    from lnctl.errors import Code, LnctlError
    from lnctl.storage.files import read_input

    jsonl, as_json = opts.jsonl, opts.as_json
    lines = parse_lines(read_input(path, MAX_BATCH_BYTES, "--file").decode("utf-8", "replace"))
    progress = None
    if not (as_json or jsonl) and sys.stderr is not None and sys.stderr.isatty():
        from rich.progress import Progress

        from lnctl.cli.output import console

        progress = Progress(transient=True, console=console(stderr=True))
        task = progress.add_task("paying", total=len(lines))
        progress.start()

    lost: list[LnctlError | PipeClosed] = []  # the first write to stdout that failed

    def on_result(result: BatchLineDocument) -> None:
        """A payment has ended (in the batch's thread): its line, when stdout still takes
        them. Output that fails never stops the payments: they are the outcome."""
        if jsonl and not lost:
            from lnctl.cli.output import to_json_line

            try:
                write_out(to_json_line(result) + "\n")
            except PipeClosed as exc:
                lost.append(exc)
            except LnctlError as exc:
                if exc.code != Code.OUTPUT_FAILED:
                    raise
                lost.append(exc)
        if progress is not None:
            progress.advance(task)

    try:
        doc = run_batch(
            state.config,
            lines,
            concurrency=opts.concurrency,
            rate_limit=opts.rate_limit,
            options=how,
            on_result=on_result,
        )
    finally:
        if progress is not None:
            progress.stop()
    for message in dict.fromkeys(doc.pop("warnings")):
        warn(message)

    def write() -> None:
        if lost:  # stdout failed while the lines were written: the same end for the summary
            raise lost[0]
        if jsonl:
            from lnctl.cli.output import to_json_line, write_whole

            write_whole(to_json_line({"summary": doc["summary"]}) + "\n")
        elif as_json:
            emit_json(doc)
        else:
            render.batch(doc)

    deliver_outcome(doc["summary"]["exit_code"], write)
