"""Checks for ecr (placeholder until implemented)."""
