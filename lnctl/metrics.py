"""Prometheus metrics that stay true across many short lnctl processes.

Counters live in the history store and are updated in the same transaction as the event they
count; a scrape reads that small table (its cost does not grow with history) and, through the
backend contract, the node's channels (a read that opens nothing) or the server wallet's
balance. Exporters: an HTTP endpoint, a textfile for node_exporter, and a push to a Pushgateway.
"""

from __future__ import annotations

import os

from lnctl.backends import registry as backends  # (metrics.registry is the collectors')
from lnctl.backends.base import FINAL_REASONS, backend_class
from lnctl.backends.channels import OPEN
from lnctl.storage.history import LATENCY_BUCKETS_MS

TYPE_CHECKING = False  # typing costs start-up time; mypy treats this name as typing's
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from typing import Any

    from prometheus_client.registry import CollectorRegistry

    from lnctl.backends.channels import Channel
    from lnctl.config import Config

BALANCE_READ_S = 5.0  # the longest a scrape waits for the server wallet's balance

# Every reason a payment can fail with, so each series exists (at 0) before its first failure.
FAILURE_REASONS = tuple(sorted(FINAL_REASONS))

# Every metric lnctl exports (the dashboard test checks its queries against this list).
METRIC_NAMES = (
    "ln_payment_success_total",
    "ln_payment_already_paid_total",
    "ln_payment_failure_total",
    "ln_payment_latency_seconds",
    "ln_payment_attempts_total",
    "ln_payment_retries_total",
    "ln_payment_fees_msat_total",
    "ln_payment_sent_msat_total",
    "ln_invoices_created_total",
    "ln_invoices_settled_total",
    "ln_invoices_received_msat_total",
    "ln_last_successful_payment_timestamp_seconds",
    "ln_channel_capacity_msat",
    "ln_channel_local_msat",
    "ln_channel_remote_msat",
    "ln_channel_inflight_msat",
    "ln_channel_open",
    "ln_wallet_balance_msat",
    "lnctl_info",
)


class LnctlCollector:
    """Reads the durable counters and the ledger at each scrape. Opens its own connection per
    scrape, so it can serve from any thread."""

    def __init__(self, config: Config) -> None:
        self.config = config

    def describe(self) -> list[Any]:
        return []  # collected on each scrape; nothing to check at registration

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import (
            CounterMetricFamily,
            GaugeMetricFamily,
            HistogramMetricFamily,
            InfoMetricFamily,
        )

        from lnctl import __version__
        from lnctl.storage.history import read_only_snapshot

        # a scrape reads only: it never opens the node, loads a key or creates a file
        counters, meta = read_only_snapshot(self.config.path("history.sqlite"))
        node_id = meta.get("node_id", "")
        has_channels = backends.capabilities(self.config.backend).channels
        channels: list[Channel] = []
        if has_channels:
            channels = backend_class(self.config.backend).read_channels(self.config)

        def value(name: str, labels: str = "") -> int:
            return counters.get((name, labels), 0)

        def counter(name: str, help_: str, key: str) -> Any:
            c = CounterMetricFamily(name, help_)
            c.add_metric([], value(key))
            return c

        yield counter("ln_payment_success", "Payments that succeeded.", "payments_succeeded")
        yield counter(
            "ln_payment_already_paid",
            "Payments found already made from this wallet's node or server wallet (by another "
            "process or home): recorded with their proof, not counted as successes.",
            "payments_already_paid",
        )
        failures = CounterMetricFamily(
            "ln_payment_failure", "Payments that failed, by reason.", labels=["reason"]
        )
        reasons = set(FAILURE_REASONS) | {lbl for (n, lbl) in counters if n == "payments_failed"}
        for reason in sorted(reasons):
            failures.add_metric([reason], value("payments_failed", reason))
        yield failures
        buckets = [(_le(ms), value("payment_latency_bucket", str(ms))) for ms in LATENCY_BUCKETS_MS]
        buckets.append(("+Inf", value("payment_latency_count")))
        yield HistogramMetricFamily(
            "ln_payment_latency_seconds",
            "Time from the start of a payment to its outcome.",
            buckets=buckets,
            sum_value=value("payment_latency_sum_ms") / 1000,
        )
        yield counter(
            "ln_payment_attempts",
            "Payment attempts started (first tries and retries), reached or not.",
            "payment_attempts",
        )
        yield counter("ln_payment_retries", "Payment attempts after the first.", "payment_retries")
        yield counter("ln_payment_fees_msat", "Routing fees paid, in msat.", "payment_fees_msat")
        yield counter(
            "ln_payment_sent_msat", "Amounts paid (without fees), in msat.", "payments_sent_msat"
        )
        yield counter("ln_invoices_created", "Invoices created.", "invoices_created")
        yield counter("ln_invoices_settled", "Invoices paid to this wallet.", "invoices_settled")
        yield counter(
            "ln_invoices_received_msat", "Amounts received, in msat.", "invoices_received_msat"
        )
        last = GaugeMetricFamily(
            "ln_last_successful_payment_timestamp_seconds",
            "Unix time of the last successful payment (0: never).",
        )
        last.add_metric([], value("last_success_timestamp"))
        yield last
        amounts: tuple[tuple[str, str, Callable[[Channel], int]], ...] = (
            ("capacity", "Channel capacity", lambda ch: ch["capacity_msat"]),
            ("local", "Local balance", lambda ch: ch["local_msat"]),
            ("remote", "Remote balance", lambda ch: ch["remote_msat"]),
            ("inflight", "In-flight HTLCs", lambda ch: ch["inflight_msat"]),
        )
        for field, help_, amount in amounts:
            g = GaugeMetricFamily(
                f"ln_channel_{field}_msat", f"{help_}, in msat.", labels=["channel_id", "state"]
            )
            for ch in channels:
                g.add_metric([ch["channel_id"], ch["state"]], amount(ch))
            yield g
        if has_channels:
            opened = GaugeMetricFamily("ln_channel_open", "Open channels.")
            opened.add_metric([], sum(1 for ch in channels if ch["state"] == OPEN))
            yield opened
        else:
            balance = self._server_balance()
            if balance is not None:
                wallet = GaugeMetricFamily(
                    "ln_wallet_balance_msat", "The server wallet's spendable balance, in msat."
                )
                wallet.add_metric([], balance)
                yield wallet
        info = InfoMetricFamily("lnctl", "This wallet.")
        info.add_metric(
            [],
            {
                "node_id": node_id,
                "network": self.config.network,
                "backend": self.config.backend,
                "version": __version__,
            },
        )
        yield info

    def _server_balance(self) -> int | None:
        """The server wallet's balance (a read of the server; None when it cannot be had)."""
        from lnctl import log
        from lnctl.errors import LnctlError

        try:
            from lnctl.deadline import Deadline

            # a frozen server must not hold a scrape past Prometheus' own timeout (10 s); a
            # scrape never makes a node
            backend = backend_class(self.config.backend).from_config(
                self.config, Deadline.after(BALANCE_READ_S), first_use=lambda: False
            )
            try:
                return backend.balance().spendable_msat
            finally:
                backend.close()
        except LnctlError as exc:
            log.event("warning", "metrics_balance_unavailable", reason=exc.code)
            return None


def _le(ms: int) -> str:
    return f"{ms / 1000:g}" if ms % 1000 else f"{ms // 1000}.0"


def registry(config: Config) -> CollectorRegistry:
    from prometheus_client import CollectorRegistry

    reg = CollectorRegistry(auto_describe=False)
    reg.register(LnctlCollector(config))
    return reg


def exposition(config: Config) -> str:
    from prometheus_client import generate_latest

    return generate_latest(registry(config)).decode()


def write_textfile(config: Config, path: str) -> None:
    """Write the exposition atomically, for node_exporter's textfile collector. Only a ``*.prom``
    file (what the collector reads) outside the wallet's folder: never one of the wallet's own."""
    from prometheus_client import generate_latest

    from lnctl.errors import Code, InvalidInputError
    from lnctl.sanitize import sanitize
    from lnctl.storage.files import atomic_write, os_storage_error, sweep_temp_files

    if not path.strip():
        raise InvalidInputError(
            "--textfile is empty",
            code=Code.INVALID_PATH,
            hint="name a *.prom file in node_exporter's textfile directory (without --textfile, "
            "the exposition goes to stdout)",
        )
    target = os.path.realpath(path)
    home = os.path.realpath(config.home)
    shown = sanitize(path)
    # through a symbolic link, what is written is its target: say which file is wrong
    via = "" if target == os.path.abspath(path) else f" (a link to {sanitize(target)})"
    if not target.endswith(".prom"):
        raise InvalidInputError(
            f"--textfile {shown}{via} does not end in .prom"
            if via
            else f"--textfile {shown} does not end in .prom",
            code=Code.INVALID_PATH,
            hint="node_exporter's textfile collector reads only *.prom files"
            + ("; lnctl writes the file a link points to" if via else ""),
        )
    if target == home or target.startswith(home + os.sep):
        raise InvalidInputError(
            f"--textfile {shown}{via} is inside the wallet's folder {sanitize(config.home)}",
            code=Code.INVALID_PATH,
            hint="write it to node_exporter's textfile directory instead",
        )
    folder = os.path.dirname(target)
    if not os.path.isdir(folder):
        raise InvalidInputError(f"no such folder: {sanitize(folder)}", code=Code.INVALID_PATH)
    if os.path.isdir(target):
        raise InvalidInputError(f"--textfile {shown}{via} is a folder", code=Code.INVALID_PATH)
    sweep_temp_files(folder, os.path.basename(target))
    body = generate_latest(registry(config))
    try:
        atomic_write(target, body, mode=0o644)
    except OSError as exc:
        raise os_storage_error(exc, sanitize(target)) from exc


def check_gateway(gateway: str) -> str:
    """The Pushgateway's URL: http(s) (or host:port, which prometheus-client takes for http),
    with a host, no credentials shown anywhere, no whitespace or control character (exit 2,
    INVALID_URL otherwise)."""
    from urllib.parse import urlsplit

    from lnctl.errors import Code, InvalidInputError
    from lnctl.sanitize import redact_url

    def bad(why: str) -> InvalidInputError:
        return InvalidInputError(
            f"--gateway {redact_url(gateway)}: {why}",
            code=Code.INVALID_URL,
            hint="a Pushgateway URL, e.g. http://127.0.0.1:9091",
        )

    if not gateway or any(ch.isspace() or not ch.isprintable() for ch in gateway):
        raise bad("empty, or holds a space or a control character")
    full = gateway if "://" in gateway else "http://" + gateway
    try:
        parts = urlsplit(full)
        port = parts.port
        host = parts.hostname
    except ValueError as exc:
        raise bad("not a URL") from exc
    if parts.scheme not in ("http", "https"):
        raise bad(f"{parts.scheme}:// is not http or https")
    if not host:
        raise bad("no host")
    del port  # parsed only to refuse a bad one
    return full


def push(config: Config, gateway: str, job: str) -> None:
    from prometheus_client import push_to_gateway

    from lnctl.errors import Code, InvalidInputError, StorageError
    from lnctl.sanitize import redact_url

    url = check_gateway(gateway)
    if not job or any(not ch.isprintable() for ch in job):
        raise InvalidInputError("--job is empty or holds a control character", code=Code.USAGE)
    shown = redact_url(url)
    try:
        push_to_gateway(url, job=job, registry=registry(config), timeout=10)
    except OSError as exc:
        reason = exc.strerror or str(exc) or type(exc).__name__
        raise StorageError(
            f"cannot push to {shown}: {redact_text(str(reason), url)}",
            code=Code.PUSH_FAILED,
            hint="check --gateway and that the Pushgateway is running",
        ) from exc


def missing_history_warning(config: Config) -> str | None:
    """A warning when the history store is missing while the wallet was used (every counter
    would read 0, which Prometheus takes for a reset of each); None otherwise."""
    if os.path.exists(config.path("history.sqlite")):
        return None
    used = os.path.exists(config.path("simnet", "network.sqlite")) or os.path.isdir(
        config.path("locks")
    )
    if not used:
        return None
    return (
        f"the history store {config.path('history.sqlite')} is missing: every counter reads 0, "
        "which Prometheus takes for a reset (the next lnctl command that opens the wallet "
        "rebuilds the records, not the counters)"
    )


def redact_text(text: str, url: str) -> str:
    """``text`` (an error of the push) without the credentials, query or fragment of ``url``."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
    except ValueError:
        return text
    for secret in (parts.password, parts.username, parts.query, parts.fragment):
        if secret:
            text = text.replace(secret, "***")
    return text
