"""Checks for guardduty (placeholder until implemented)."""
