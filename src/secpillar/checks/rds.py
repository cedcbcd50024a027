"""Checks for rds (placeholder until implemented)."""
