"""Seeder placeholder."""

from secpillar.sandbox.seed import SeedOrg


def seed(org: SeedOrg) -> None:
    """Nothing seeded yet."""
