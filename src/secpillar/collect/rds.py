"""Collector for rds (placeholder until implemented)."""
