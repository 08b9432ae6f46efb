"""The node behind the wallet: one contract (``base.py``), one registry (``registry.py``), and the
backends it names."""
