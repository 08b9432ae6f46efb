"""Everything lnctl keeps on disk: secrets, the history store, the channel ledger."""
