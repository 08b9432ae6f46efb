"""``lnctl metrics [--textfile PATH]``, ``lnctl metrics push``, ``lnctl serve-metrics``."""

from __future__ import annotations

from typing import Annotated

import typer

from lnctl.cli.options import JsonOption

metrics_app = typer.Typer(help="Prometheus metrics.", invoke_without_command=True)


def register(app: typer.Typer) -> None:
    app.add_typer(metrics_app, name="metrics")
    app.command("serve-metrics")(serve_metrics)


@metrics_app.callback()
def metrics(
    ctx: typer.Context,
    textfile: Annotated[
        str | None,
        typer.Option(
            "--textfile",
            help="Write the exposition "
            "atomically to PATH (node_exporter's textfile collector) instead of "
            "printing it.",
            show_default=False,
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Print the Prometheus exposition once (or write it with --textfile)."""
    if ctx.invoked_subcommand is not None:
        return
    from lnctl.cli.actions import metrics_action

    metrics_action(ctx.obj, textfile, as_json)


@metrics_app.command("push")
def push(
    ctx: typer.Context,
    gateway: Annotated[
        str, typer.Option("--gateway", help="Pushgateway URL, e.g. http://127.0.0.1:9091.")
    ],
    job: Annotated[str, typer.Option("--job", help="Job name.")] = "lnctl",
    as_json: JsonOption = False,
) -> None:
    """Push the metrics to a Prometheus Pushgateway (for CI jobs)."""
    from lnctl.cli.output import deliver, sanitize, write_err
    from lnctl.metrics import missing_history_warning
    from lnctl.metrics import push as core_push
    from lnctl.sanitize import redact_url

    core_push(ctx.obj.config, gateway, job)
    warning = missing_history_warning(ctx.obj.config)
    deliver(
        {"gateway": redact_url(gateway), "job": job, "pushed": True},
        as_json,
        lambda d: write_err(f"pushed to {d['gateway']} (job {sanitize(d['job'])})\n"),
        [warning] if warning else [],
    )


def serve_metrics(
    ctx: typer.Context,
    host: Annotated[
        str, typer.Option("--host", help="Address to listen on (loopback by default).")
    ] = "127.0.0.1",
    port: Annotated[
        int,
        typer.Option(
            "--port",
            metavar="PORT",
            min=0,
            max=65535,
            help="Port (0: any free port).",
            envvar="LNCTL_METRICS_PORT",
        ),
    ] = 9739,
    as_json: JsonOption = False,
) -> None:
    """Serve /metrics over HTTP until SIGTERM or SIGINT."""
    from lnctl.cli.output import emit_json, warn, write_err
    from lnctl.metrics import missing_history_warning
    from lnctl.serve import serve

    warning = missing_history_warning(ctx.obj.config)
    if warning:
        warn(warning)

    def started(address: str, bound: int) -> None:
        if as_json:
            emit_json(
                {"listening": f"http://{address}:{bound}/metrics", "host": address, "port": bound}
            )
        else:
            write_err(f"serving http://{address}:{bound}/metrics (SIGTERM or Ctrl-C stops)\n")

    serve(ctx.obj.config, host, port, started)
