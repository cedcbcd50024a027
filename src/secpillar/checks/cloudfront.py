"""Checks for cloudfront (placeholder until implemented)."""
