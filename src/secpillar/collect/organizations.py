"""Collector for organizations (placeholder until implemented)."""
