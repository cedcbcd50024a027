"""Seeders of the example organization, one module per area; each has ``seed(org: SeedOrg)``."""
