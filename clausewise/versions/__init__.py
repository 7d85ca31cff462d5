"""The git-backed agreement store (record stage)."""
