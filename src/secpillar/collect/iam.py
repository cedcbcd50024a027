"""Collector for iam (placeholder until implemented)."""
