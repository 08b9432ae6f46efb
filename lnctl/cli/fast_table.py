"""The fast path's options (lnctl.cli.fast), written from the Typer declarations by
``python -m lnctl.cli.fast_gen``: do not edit by hand (tests/cli/test_fast_path.py
checks that it matches them)."""

# command -> option -> (parameter, kind, default); kinds: flag, int (>= 1), str, network
COMMANDS: dict[str, dict[str, tuple[str, str, object]]] = {
    "decode": {
        "--json": ("as_json", "flag", False),
    },
    "invoice": {
        "--amount": ("amount", "int", None),
        "--amount-msat": ("amount_msat_", "int", None),
        "--description": ("description", "str", None),
        "--expiry": ("expiry", "int", 3600),
        "--json": ("as_json", "flag", False),
        "--memo": ("memo", "str", None),
        "--memo-file": ("memo_file", "str", None),
        "--network": ("network", "network", None),
        "--qr": ("qr", "flag", False),
    },
}
# command -> how many arguments it takes
ARGUMENTS = {"decode": 1, "invoice": 0}
