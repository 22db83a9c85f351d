"""Seeded surveillance scenarios: order flow with planted violations, and their scoring."""
