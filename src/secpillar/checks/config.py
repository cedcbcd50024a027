"""Checks for config (placeholder until implemented)."""
