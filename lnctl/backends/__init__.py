"""The node behind the wallet, one contract (``base.py``) and its implementations."""
