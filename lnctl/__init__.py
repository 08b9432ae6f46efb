"""lnctl: a scriptable Lightning Network wallet for the command line."""

__version__ = "0.1.0"
