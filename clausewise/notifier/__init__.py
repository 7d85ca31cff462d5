"""Customers, notice campaigns, emails and the proof-of-notice ledger (notify stage)."""
