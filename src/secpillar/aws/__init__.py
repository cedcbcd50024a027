"""The only place that creates boto3 sessions and clients."""

from secpillar.aws.errors import classify, error_code
from secpillar.aws.session import AwsTarget, ClientFactory, base_session

__all__ = ["AwsTarget", "ClientFactory", "base_session", "classify", "error_code"]
