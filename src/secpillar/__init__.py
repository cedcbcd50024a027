"""secpillar: the AWS Well-Architected Security Pillar as running software."""

__version__ = "0.1.0"
