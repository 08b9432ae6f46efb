"""The embedded simulated node (the default backend): node, JSON channel ledger, network record,
faults. See ``node.py``."""

from lnctl.backends.simulated.node import (
    FIRST_CHANNEL_MSAT,
    SimSettings,
    SimulatedBackend,
    routing_fee_msat,
)

__all__ = ["FIRST_CHANNEL_MSAT", "SimSettings", "SimulatedBackend", "routing_fee_msat"]
