"""Checks for kms (placeholder until implemented)."""
