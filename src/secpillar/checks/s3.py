"""Checks for s3 (placeholder until implemented)."""
