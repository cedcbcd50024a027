"""Checks for iam (placeholder until implemented)."""
