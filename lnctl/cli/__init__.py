"""The command line: each command declared once (``declare.py``, ``commands/``), the Typer app
and the fast path built from the declarations, output, and the one place errors become exit
codes (``entry.py``)."""
