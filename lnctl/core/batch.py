"""Paying many invoices at once: ``lnctl pay --file PATH --concurrency N --rate-limit R``.

Every payment follows every rule of a single ``pay`` (it *is* a single pay: validation,
duplicates, fee cap, retries for transient failures only, crash safety). At most N payments are
in flight (a pool of N workers, each with its own wallet connection) and at most R start per
second (a token bucket). Results keep the file's order. Ctrl-C stops starting new payments; the
ones in flight finish or become pending. So does a storage error every later payment would meet
too (a full disk, a read-only home): the batch reports what was done before it.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from lnctl.core.clocks import TokenBucket
from lnctl.core.payments import pay
from lnctl.core.recovery import recover
from lnctl.core.wallet import Wallet
from lnctl.errors import Code, ExitCode, InvalidInputError, LnctlError
from lnctl.storage.rows import FAILED, IN_FLIGHT, SUCCEEDED

if TYPE_CHECKING:
    from collections.abc import Callable

    from lnctl.config import Config
    from lnctl.core.documents import (
        BatchDocument,
        BatchLineDocument,
        BatchStatus,
        BatchSummary,
        PaymentDocument,
    )
    from lnctl.core.payments import PayOptions

MAX_LINES = 100_000
# The most serious outcome decides the batch's exit code, in this order (README: Batches).
SEVERITY = (
    ExitCode.INTERNAL,
    ExitCode.PENDING,
    ExitCode.PAYMENT_FAILED,
    ExitCode.RETRIES_EXHAUSTED,
    ExitCode.INVALID,
    ExitCode.DUPLICATE,
    ExitCode.OK,
)


@dataclass(frozen=True, slots=True)
class Line:
    number: int  # in the file, from 1
    invoice: str  # a BOLT 11 invoice, a Lightning Address or an LNURL
    amount_msat: int | None
    idempotency_key: str | None = None

    @property
    def single(self) -> bool:
        """Paid as a single ``pay`` (an LNURL resolved first, a key held), never by the
        embedded node's batch engine."""
        from lnctl.core.payments import looks_like_lnurl

        return self.idempotency_key is not None or looks_like_lnurl(self.invoice)


def parse_lines(text: str) -> list[Line]:
    """One invoice (or Lightning Address, or LNURL) per line, optionally followed by an amount
    in sats (for amountless invoices and LNURLs) and ``key=KEY`` (``--idempotency-key``);
    blank lines and ``#`` comments ignored."""
    lines = []
    for number, raw in enumerate(text.splitlines(), 1):
        content = raw.split("#", 1)[0].strip()
        if not content:
            continue
        parts = content.split()
        key = None
        if len(parts) > 1 and parts[-1].startswith("key="):
            from lnctl.core.idempotency import check_key

            key = check_key(parts.pop()[4:])
        if len(parts) > 2:
            raise InvalidInputError(
                f"line {number}: expected INVOICE [AMOUNT_SAT] [key=KEY]",
                code=Code.INVALID_BATCH_LINE,
            )
        amount = None
        if len(parts) == 2:
            if not parts[1].isdigit() or not parts[1].isascii() or len(parts[1]) > 16:
                raise InvalidInputError(
                    f"line {number}: the amount must be a whole number of sats",
                    code=Code.INVALID_BATCH_LINE,
                )
            amount = int(parts[1]) * 1000
        lines.append(Line(number, parts[0], amount, key))
        if len(lines) > MAX_LINES:
            raise InvalidInputError(
                f"more than {MAX_LINES} invoices in one batch", code=Code.BATCH_TOO_LARGE
            )
    return lines


EMPTY_WARNING = "the batch has no invoice: nothing was paid"

# What a batch says of a line beyond a payment's own status (README: Batches)
DUPLICATE: Final = "DUPLICATE"  # paid or in flight already (exit 5)
ERROR: Final = "ERROR"  # ended before the history had a record of it
NOT_STARTED: Final = "NOT_STARTED"  # the batch stopped first

# Storage errors that every later payment would meet too (the disk, the home's permissions): the
# batch stops starting payments at the first, as at a Ctrl-C, and reports what was done.
STOPPING = frozenset({"DISK_FULL", "DISK_ERROR", "READ_ONLY"})


@dataclass
class Batch:
    results: list[BatchLineDocument | None]
    started: float = field(default_factory=time.monotonic)
    interrupted: bool = False
    stopped: LnctlError | None = None  # the error that stopped the batch early

    def stop_on(self, result: PaymentDocument | LnctlError, stop: threading.Event) -> None:
        """After a payment's result: stop starting payments when it is an error that every
        later payment would meet too."""
        if isinstance(result, LnctlError) and result.code in STOPPING and self.stopped is None:
            self.stopped = result
            stop.set()


def run_batch(
    config: Config,
    lines: list[Line],
    *,
    concurrency: int,
    rate_limit: float | None,
    options: PayOptions,
    on_result: Callable[[BatchLineDocument], None] | None = None,
    stop: threading.Event | None = None,
) -> BatchDocument:
    """Pay every line; returns ``{"payments": [...in file order...], "summary": {...}}``."""
    options.check()  # the very checks of a single pay: --timeout nan, inf or 1e308 is refused
    if not 1 <= concurrency <= 256:
        raise InvalidInputError("--concurrency must be between 1 and 256", code=Code.USAGE)
    if rate_limit is not None and not 0 < rate_limit <= 100_000:
        raise InvalidInputError("--rate-limit must be between 0 and 100000", code=Code.USAGE)
    if not lines:  # as ``xargs -r``: nothing to pay is no error (a CI step with nothing due)
        return summarize(lines, Batch([]), [EMPTY_WARNING])
    stop = stop or threading.Event()
    bucket = TokenBucket(rate_limit)
    batch = Batch([None] * len(lines))
    local = threading.local()
    next_index = iter(range(len(lines)))
    index_lock = threading.Lock()
    report_lock = threading.Lock()

    def wallet() -> Wallet:
        if getattr(local, "wallet", None) is None:
            local.wallet = Wallet(config)
        w: Wallet = local.wallet
        return w

    def one(line: Line) -> BatchLineDocument:
        began = time.monotonic()
        try:
            result: PaymentDocument | LnctlError = pay(
                wallet(),
                line.invoice,
                options,
                amount_msat=line.amount_msat,
                idempotency_key=line.idempotency_key,
            )
        except LnctlError as exc:
            result = exc
        batch.stop_on(result, stop)
        return result_document(line, began, result)

    def worker() -> None:
        try:
            while not stop.is_set():
                with index_lock:
                    i = next(next_index, None)
                if i is None or not bucket.take(stop):
                    return
                result = one(lines[i])
                batch.results[i] = result
                if on_result is not None:
                    with report_lock:
                        on_result(result)
        finally:  # a wallet's connections belong to the thread that opened them
            if getattr(local, "wallet", None) is not None:
                local.wallet.close()

    # libsecp256k1 recovers each invoice's payee in 0.03 ms where pure Python takes 3 ms:
    # worth its 14 ms import for a batch (a lone pay keeps pure Python; see lnctl.secp256k1)
    import coincurve  # noqa: F401

    with Wallet(config) as first:
        recover(first)  # what an earlier batch left in flight is resolved once, up front
        warnings = list(first.warnings)
        embedded = first.capabilities.batch_send  # the node sends a batch at once: Engine
    if embedded and any(line.single for line in lines):
        embedded = False  # LNURLs and keys: every line a single pay (the engine takes invoices)
    failures: list[BaseException] = []

    def engine() -> None:
        """The embedded node: one thread runs every payment in rounds of shared commits."""
        from lnctl.core.engine import Engine  # and the simulated node: only when it is ours

        def finish(index: int, began: float, result: PaymentDocument | LnctlError) -> None:
            doc = batch.results[index] = result_document(lines[index], began, result)
            batch.stop_on(result, stop)
            if on_result is not None:
                on_result(doc)

        try:
            with Wallet(config) as own:
                Engine(
                    own, lines, concurrency=concurrency, bucket=bucket, stop=stop,
                    options=options, finish=finish,
                ).run()  # fmt: skip
        except LnctlError as exc:  # the batch stops here: what was done is still reported
            batch.stopped = batch.stopped or exc
            stop.set()
        except BaseException as exc:  # re-raised in the caller's thread
            failures.append(exc)

    if embedded:
        threads = [threading.Thread(target=engine, name="pay-engine", daemon=True)]
    else:  # a node over a network: N workers, each a single pay at a time
        threads = [
            threading.Thread(target=worker, name=f"pay-{n}", daemon=True)
            for n in range(min(concurrency, len(lines)))
        ]
    for t in threads:
        t.start()
    try:
        for t in threads:
            while t.is_alive():
                t.join(0.1)
    except KeyboardInterrupt:
        batch.interrupted = True
        stop.set()  # no new payments; those in flight finish or become pending
        for t in threads:
            t.join()
    if failures:
        raise failures[0]
    return summarize(lines, batch, warnings)


def result_document(
    line: Line, began: float, result: PaymentDocument | LnctlError
) -> BatchLineDocument:
    """A line's result: the payment's document, or the error it ended with (and its record)."""
    latency_ms = int((time.monotonic() - began) * 1000)
    if isinstance(result, dict):
        return {
            "line": line.number,
            "invoice": line.invoice,
            "status": SUCCEEDED,
            "exit_code": 0,
            "error": None,
            "payment": result,
            "latency_ms": latency_ms,
        }
    stored: PaymentDocument | None = error_payment(result)
    status: BatchStatus = ERROR if stored is None else stored["status"]
    if result.exit_code == ExitCode.DUPLICATE:
        status = DUPLICATE
    return {
        "line": line.number,
        "invoice": line.invoice,
        "status": status,
        "exit_code": int(result.exit_code),
        "error": {"code": result.code, "message": result.message},
        "payment": stored,
        "latency_ms": latency_ms,
    }


def error_payment(error: LnctlError) -> Any:
    """The payment's document an error carries (``details['payment']``), or None."""
    stored = error.details.get("payment")
    return stored if isinstance(stored, dict) else None


def summarize(lines: list[Line], batch: Batch, warnings: list[str]) -> BatchDocument:
    results: list[BatchLineDocument] = [
        r
        if r is not None
        else {
            "line": line.number,
            "invoice": line.invoice,
            "status": NOT_STARTED,
            "exit_code": None,
            "error": None,
            "payment": None,
            "latency_ms": None,
        }
        for line, r in zip(lines, batch.results, strict=True)
    ]
    done = [r for r in results if r["status"] != NOT_STARTED]
    latencies = sorted(r["latency_ms"] or 0 for r in done)  # every line done has one
    paid = [r["payment"] for r in done if r["status"] == SUCCEEDED and r["payment"] is not None]

    def pct(p: float) -> int | None:
        if not latencies:
            return None
        return int(latencies[min(len(latencies) - 1, int(p * (len(latencies) - 1) + 0.5))])

    codes = {r["exit_code"] for r in done}
    if batch.stopped is not None:
        codes.add(int(batch.stopped.exit_code))
    exit_code = next((c for c in SEVERITY if c in codes), ExitCode.OK)
    if batch.interrupted:
        exit_code = ExitCode.INTERRUPTED
    summary: BatchSummary = {
        "total": len(results),
        "paid": len(paid),
        "failed": sum(r["status"] == FAILED or r["status"] == ERROR for r in done),
        "pending": sum(r["status"] == IN_FLIGHT for r in done),
        "duplicates": sum(r["status"] == DUPLICATE for r in done),
        "not_started": len(results) - len(done),
        "amount_msat": sum(p["amount_msat"] for p in paid),
        "fees_msat": sum(p["fee_msat"] or 0 for p in paid),  # a success always has its fee
        "latency_ms": {
            "p50": pct(0.5),
            "p95": pct(0.95),
            "max": latencies[-1] if latencies else None,
        },
        "wall_ms": int((time.monotonic() - batch.started) * 1000),
        "interrupted": batch.interrupted,
        "stopped": None
        if batch.stopped is None
        else {"code": batch.stopped.code, "message": batch.stopped.message},
        "exit_code": int(exit_code),
    }
    return {"payments": results, "summary": summary, "warnings": warnings}
