"""Clause-aware diffs of agreements (diff stage)."""
