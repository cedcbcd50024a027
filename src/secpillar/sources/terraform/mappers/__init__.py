"""The mappers, one module per service; ``MAPPERS`` lists them in the order they run."""

from __future__ import annotations

from secpillar.sources.terraform.mappers.ec2 import map_compute, map_network
from secpillar.sources.terraform.mappers.iam import map_iam
from secpillar.sources.terraform.mappers.s3 import map_s3
from secpillar.sources.terraform.mappers.services import (
    map_cloudfront,
    map_cloudtrail,
    map_ecr,
    map_kms,
    map_rds,
)

MAPPERS = (
    map_s3,
    map_network,
    map_compute,
    map_iam,
    map_kms,
    map_rds,
    map_cloudtrail,
    map_ecr,
    map_cloudfront,
)

__all__ = ["MAPPERS"]
