"""``lnctl metrics [--textfile PATH]`` (the exposition once) and ``lnctl metrics push`` (to a
Pushgateway). A scrape reads only: no wallet is opened, nothing is created."""

from __future__ import annotations

from lnctl.cli.commands import JSON
from lnctl.cli.declare import command, option, options

TYPE_CHECKING = False  # typing costs start-up time; mypy treats this name as typing's
if TYPE_CHECKING:
    from typing import Any

    from lnctl.cli.state import State


@options
class PushOptions:
    gateway: str = option("--gateway", help="Pushgateway URL, e.g. http://127.0.0.1:9091.")
    job: str = option("--job", default="lnctl", help="Job name.")
    as_json: bool = JSON


# left to Typer: a push is a network request, its start-up cost is not what scripts wait for
@command("push", PushOptions, fast=False)
def push(state: State, opts: PushOptions) -> None:
    """Push the metrics to a Prometheus Pushgateway (for CI jobs)."""
    from lnctl.cli import render
    from lnctl.cli.output import deliver
    from lnctl.metrics import missing_history_warning
    from lnctl.metrics import push as core_push
    from lnctl.sanitize import redact_url

    core_push(state.config, opts.gateway, opts.job)
    warning = missing_history_warning(state.config)
    deliver(
        {"gateway": redact_url(opts.gateway), "job": opts.job, "pushed": True},
        opts.as_json,
        render.pushed,
        [warning] if warning else [],
    )


@options
class MetricsOptions:
    textfile: str | None = option(
        "--textfile",
        default=None,
        show_default=False,
        help="Write the exposition atomically to PATH (node_exporter's textfile collector) "
        "instead of printing it.",
    )
    as_json: bool = JSON


@command("metrics", MetricsOptions, subcommands=(push,))
def metrics(state: State, opts: MetricsOptions) -> None:
    """Prometheus metrics."""
    # without a subcommand: the exposition once, or written with --textfile
    from lnctl.cli import render
    from lnctl.cli.output import deliver, write_out
    from lnctl.metrics import exposition, missing_history_warning, write_textfile

    warning = missing_history_warning(state.config)
    warnings = [warning] if warning else []
    if opts.textfile is not None:
        write_textfile(state.config, opts.textfile)
        deliver(
            {"textfile": opts.textfile, "written": True},
            opts.as_json,
            render.textfile_written,
            warnings,
        )
        return
    text = exposition(state.config)
    deliver(metric_families(text) if opts.as_json else text, opts.as_json, write_out, warnings)


COMMAND = metrics


def metric_families(text: str) -> dict[str, Any]:
    """The exposition as JSON: each family's type, help and samples (integers stay integers)."""
    from prometheus_client.parser import text_string_to_metric_families

    out: dict[str, Any] = {}
    for fam in text_string_to_metric_families(text):
        out[fam.name] = {
            "type": fam.type,
            "help": fam.documentation,
            "samples": [
                {
                    "name": s.name,
                    "labels": s.labels,
                    "value": int(s.value) if float(s.value).is_integer() else s.value,
                }
                for s in fam.samples
            ],
        }
    return {"metrics": out}
