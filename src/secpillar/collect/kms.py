"""Collector for kms (placeholder until implemented)."""
