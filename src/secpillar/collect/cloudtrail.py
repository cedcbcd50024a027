"""Collector for cloudtrail (placeholder until implemented)."""
