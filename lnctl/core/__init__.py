"""The integrator: invoices, the payment lifecycle, retries, recovery, memos, metrics."""
