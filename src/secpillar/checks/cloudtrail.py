"""Checks for cloudtrail (placeholder until implemented)."""
