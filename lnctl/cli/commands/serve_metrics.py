"""``lnctl serve-metrics``: /metrics over HTTP until SIGTERM or SIGINT."""

from __future__ import annotations

from lnctl.cli.commands import JSON
from lnctl.cli.declare import command, option, options

TYPE_CHECKING = False  # typing costs start-up time; mypy treats this name as typing's
if TYPE_CHECKING:
    from lnctl.cli.state import State


@options
class ServeOptions:
    host: str = option(
        "--host", default="127.0.0.1", help="Address to listen on (loopback by default)."
    )
    port: int = option(
        "--port",
        default=9739,
        metavar="PORT",
        min=0,
        max=65535,
        envvar="LNCTL_METRICS_PORT",
        help="Port (0: any free port).",
    )
    as_json: bool = JSON


# left to Typer: a server runs for long, and its port may come from the environment
@command("serve-metrics", ServeOptions, fast=False)
def serve_metrics(state: State, opts: ServeOptions) -> None:
    """Serve /metrics over HTTP until SIGTERM or SIGINT."""
    from lnctl.cli.output import emit_json, warn, write_err
    from lnctl.metrics import missing_history_warning
    from lnctl.serve import serve

    warning = missing_history_warning(state.config)
    if warning:
        warn(warning)

    def started(address: str, bound: int) -> None:
        if opts.as_json:
            emit_json(
                {"listening": f"http://{address}:{bound}/metrics", "host": address, "port": bound}
            )
        else:
            write_err(f"serving http://{address}:{bound}/metrics (SIGTERM or Ctrl-C stops)\n")

    serve(state.config, opts.host, opts.port, started)


COMMAND = serve_metrics
