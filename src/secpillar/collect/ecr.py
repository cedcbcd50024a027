"""Collector for ecr (placeholder until implemented)."""
