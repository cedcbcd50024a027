"""Collector for cloudfront (placeholder until implemented)."""
