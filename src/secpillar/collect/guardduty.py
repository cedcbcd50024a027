"""Collector for guardduty (placeholder until implemented)."""
