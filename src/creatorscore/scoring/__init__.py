"""Batch scoring: every creator scored by both champions at one as-of time."""
