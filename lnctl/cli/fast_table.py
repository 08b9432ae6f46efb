"""The fast path's options (lnctl.cli.fast), written from the Typer declarations by
``python -m lnctl.cli.fast_gen``: do not edit by hand (tests/cli/test_fast_path.py
checks that it matches them)."""

# command -> option -> (parameter, kind, default, (min, max) or choices)
COMMANDS: dict[str, dict[str, tuple[str, str, object, tuple[object, ...]]]] = {
    "decode": {
        "--json": ("as_json", "flag", False, ()),
    },
    "invoice": {
        "--amount": ("amount", "int", None, (1, None)),
        "--amount-msat": ("amount_msat_", "int", None, (1, None)),
        "--description": ("description", "str", None, ()),
        "--expiry": ("expiry", "int", 3600, (1, None)),
        "--json": ("as_json", "flag", False, ()),
        "--memo": ("memo", "str", None, ()),
        "--memo-file": ("memo_file", "str", None, ()),
        "--network": ("network", "choice", None, ("bitcoin", "testnet", "signet", "regtest")),
        "--qr": ("qr", "flag", False, ()),
    },
    "invoice wait": {
        "--json": ("as_json", "flag", False, ()),
        "--timeout": ("timeout", "float", 300.0, (0.001, None)),
    },
    "pay": {
        "--amount": ("amount", "int", None, (1, None)),
        "--concurrency": ("concurrency", "int", 4, (1, 256)),
        "--dry-run": ("dry_run", "flag", False, ()),
        "--file": ("file", "str", None, ()),
        "--if-paid": ("if_paid", "choice", "error", ("error", "ok")),
        "--induce-failure": ("induce_failure", "int", 0, (0, None)),
        "--json": ("as_json", "flag", False, ()),
        "--jsonl": ("jsonl", "flag", False, ()),
        "--max-fee": ("max_fee", "int", None, (0, None)),
        "--memo": ("memo", "str", None, ()),
        "--memo-file": ("memo_file", "str", None, ()),
        "--rate-limit": ("rate_limit", "float", None, (0.001, None)),
        "--retries": ("retries", "int", 3, (1, None)),
        "--timeout": ("timeout", "float", None, (0.001, None)),
    },
    "info": {
        "--json": ("as_json", "flag", False, ()),
    },
    "payments": {
        "--cursor": ("cursor", "int", None, (None, None)),
        "--json": ("as_json", "flag", False, ()),
        "--limit": ("limit", "int", 50, (1, 1000)),
        "--status": (
            "status",
            "choice",
            None,
            ("succeeded", "failed", "in_flight", "needs_attention"),
        ),
    },
    "invoices": {
        "--cursor": ("cursor", "int", None, (None, None)),
        "--json": ("as_json", "flag", False, ()),
        "--limit": ("limit", "int", 50, (1, 1000)),
        "--status": ("status", "choice", None, ("open", "settled", "expired")),
    },
    "lookup": {
        "--json": ("as_json", "flag", False, ()),
    },
    "channel list": {
        "--json": ("as_json", "flag", False, ()),
    },
    "channel balance": {
        "--json": ("as_json", "flag", False, ()),
    },
    "channel open": {
        "--capacity": ("capacity", "int", None, (1, None)),
        "--json": ("as_json", "flag", False, ()),
        "--peer": ("peer", "str", None, ()),
        "--push": ("push", "int", 0, (0, None)),
    },
    "channel close": {
        "--json": ("as_json", "flag", False, ()),
    },
    "metrics": {
        "--json": ("as_json", "flag", False, ()),
        "--textfile": ("textfile", "str", None, ()),
    },
    "simulate invoice": {
        "--amount": ("amount", "int", None, (1, None)),
        "--count": ("count", "int", 1, (1, 10000)),
        "--description": ("description", "str", "", ()),
        "--expiry": ("expiry", "int", 3600, (1, None)),
        "--json": ("as_json", "flag", False, ()),
    },
    "simulate pay": {
        "--amount": ("amount", "int", None, (1, None)),
        "--json": ("as_json", "flag", False, ()),
    },
    "memo show": {
        "--json": ("as_json", "flag", False, ()),
    },
    "memo verify": {
        "--json": ("as_json", "flag", False, ()),
    },
    "memo rotate-key": {
        "--json": ("as_json", "flag", False, ()),
    },
    "config show": {
        "--json": ("as_json", "flag", False, ()),
    },
}
# command -> its arguments, in order: (parameter, required)
ARGUMENTS: dict[str, list[tuple[str, bool]]] = {
    "decode": [("invoice", False)],
    "invoice": [],
    "invoice wait": [("payment_hash", True)],
    "pay": [("invoice", False)],
    "info": [],
    "payments": [],
    "invoices": [],
    "lookup": [("payment_hash", True)],
    "channel list": [],
    "channel balance": [],
    "channel open": [],
    "channel close": [("channel_id", True)],
    "metrics": [],
    "simulate invoice": [],
    "simulate pay": [("invoice", False)],
    "memo show": [("payment_hash", True)],
    "memo verify": [("payment_hash", True), ("text_", True)],
    "memo rotate-key": [],
    "config show": [],
}
# command -> the parameters of its required options (missing: left to Typer)
REQUIRED: dict[str, list[str]] = {
    "decode": [],
    "invoice": [],
    "invoice wait": [],
    "pay": [],
    "info": [],
    "payments": [],
    "invoices": [],
    "lookup": [],
    "channel list": [],
    "channel balance": [],
    "channel open": ["capacity", "peer"],
    "channel close": [],
    "metrics": [],
    "simulate invoice": [],
    "simulate pay": [],
    "memo show": [],
    "memo verify": [],
    "memo rotate-key": [],
    "config show": [],
}
