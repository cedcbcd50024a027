"""Collector for config (placeholder until implemented)."""
