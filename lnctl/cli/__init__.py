"""The command line: Typer wiring, output, and the one place errors become exit codes."""
