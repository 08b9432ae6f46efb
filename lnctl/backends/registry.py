"""Which backends there are, where each lives and what each can do: one entry per backend.

Callers ask a backend's capabilities (``capabilities(name).channels``, or a wallet's
``capabilities``), never its name. The entries are data: importing this module imports no
backend (every command reads it through ``lnctl.config``): ``lnctl.backends.base.backend_class``
imports the module an entry names when the wallet opens the backend. Adding a backend = its
module + one entry here + the contract suite (``tests/backends/``) passing: it checks each entry
against the class it names.

Cheap to import: nothing of lnctl but ``records`` (no contract, no backend). ``Capabilities`` is
part of the contract, defined here so that reading the table costs no more than the table
(``base.py`` hands it on).
"""

from __future__ import annotations

from lnctl.records import record


@record(frozen=True, slots=True)
class Capabilities:
    """What a backend can do, known without importing or opening it."""

    channels: bool = False  # lnctl channel ... manages this node's channels (base.ChannelNode)
    fault_injection: bool = False  # pay(induce_failure=True) is honoured
    amountless_invoices: bool = True  # issues and pays invoices without an amount
    fee_quote: bool = False  # quote() before paying (pay --dry-run predicts the fee)
    test_network: bool = False  # lnctl simulate: a test network plays the other side (TestNetwork)
    retries_itself: bool = False  # the node retries transient failures on its side
    embedded: bool = False  # in-process, kept in the wallet's home: UNKNOWN means "never received"
    exports_records: bool = False  # can list every invoice and payment it has (rebuilds)
    enforces_fee_cap: bool = True  # pay() never spends more fee than max_fee_msat
    batch_send: bool = False  # a batch's payments share the node's writes (base.BatchNode)
    node_id: bool = True  # node_id() tells the node's public key (False: it is always None)
    default_network: str = "bitcoin"  # the wallet's network unless one is chosen


@record(frozen=True, slots=True)
class Entry:
    """One backend: its name, where its class lives, what it can do."""

    name: str  # LNCTL_BACKEND, --backend, config.toml's backend
    module: str  # where its class lives (imported when the wallet opens the backend)
    class_name: str
    capabilities: Capabilities


ENTRIES = (
    Entry(
        "simulated",
        "lnctl.backends.simulated",
        "SimulatedBackend",
        Capabilities(
            channels=True,
            fault_injection=True,
            amountless_invoices=True,
            fee_quote=True,
            test_network=True,  # the simulated peer
            retries_itself=False,
            embedded=True,
            exports_records=True,
            batch_send=True,  # the batch engine drives the node in this process
            # its invoices never look payable on mainnet
            default_network="regtest",
        ),
    ),
    Entry(
        "lnbits",
        "lnctl.backends.lnbits",
        "LnbitsBackend",
        Capabilities(
            amountless_invoices=False,  # LNbits 1.6.2: "Amountless invoices not supported."
            retries_itself=True,  # the server's node routes and retries on its side
            exports_records=False,  # one server wallet may serve many lnctl homes
            enforces_fee_cap=False,  # no per-payment cap in LNbits' API: the wallet checks after
            node_id=False,  # LNbits' wallet API does not tell the node's key
        ),
    ),
    Entry(
        "lightspark",
        "lnctl.backends.lightspark",
        "LightsparkBackend",
        Capabilities(
            channels=False,  # Lightspark manages the node's channels
            amountless_invoices=True,  # create_invoice with amount_msats=0
            fee_quote=True,  # lightning_fee_estimate_for_invoice (pay --dry-run)
            test_network=True,  # test mode on a regtest node (create_test_mode_*)
            retries_itself=True,  # the node routes and retries on its side
            enforces_fee_cap=True,  # pay_invoice(maximum_fees_msats=...)
        ),
    ),
)
DEFAULT = "simulated"
NAMES = tuple(entry.name for entry in ENTRIES)
_BY_NAME = {entry.name: entry for entry in ENTRIES}


def entry(name: str) -> Entry:
    """The entry of the backend ``name`` (one of ``NAMES``: ``lnctl.config`` checks it)."""
    return _BY_NAME[name]


def capabilities(name: str) -> Capabilities:
    """What the backend ``name`` can do (nothing of it is imported)."""
    return _BY_NAME[name].capabilities
