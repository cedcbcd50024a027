"""Checks for organizations (placeholder until implemented)."""
