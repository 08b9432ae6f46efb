"""The embedded simulated node (the default backend): node, JSON channel ledger, network record,
faults. See ``node.py``."""

from lnctl.backends.simulated.node import SimulatedBackend
from lnctl.backends.simulated.payments import routing_fee_msat
from lnctl.backends.simulated.store import FIRST_CHANNEL_MSAT, SimSettings

__all__ = ["FIRST_CHANNEL_MSAT", "SimSettings", "SimulatedBackend", "routing_fee_msat"]
