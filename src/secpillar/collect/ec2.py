"""Collector for ec2 (placeholder until implemented)."""
