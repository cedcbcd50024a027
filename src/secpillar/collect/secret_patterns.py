"""Does a name/value pair look like a credential? Used by collectors on environment variables so
that only a verdict (never the value) reaches the inventory."""

from __future__ import annotations

import re

_NAME = re.compile(r"(pass(word|wd)?|secret|token|api[_-]?key|private[_-]?key|credential|auth)", re.I)
_VALUE = (
    re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b"),  # AWS access key id
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b"),  # GitHub token
    re.compile(r"\bxox[abpr]-[A-Za-z0-9-]{10,}\b"),  # Slack token
    re.compile(r"(password|passwd|pwd|secret)\s*[=:]\s*\S+", re.I),
    re.compile(r"://[^/\s:@]+:[^/\s@]+@"),  # credentials in a URL
)
_REFERENCE = re.compile(r"^(arn:aws[a-z-]*:(secretsmanager|ssm|kms):|\{\{resolve:|/aws/reference/)")


def looks_secret(name: str, value: str) -> bool:
    """True when the value matches a credential pattern, or a secret-sounding name carries a
    literal value (not a reference to Secrets Manager / Parameter Store, not empty)."""
    if not value or _REFERENCE.match(value):
        return False
    if any(p.search(value) for p in _VALUE):
        return True
    return bool(_NAME.search(name)) and len(value) >= 8
