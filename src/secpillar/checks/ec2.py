"""Checks for ec2 (placeholder until implemented)."""
