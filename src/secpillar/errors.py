"""The one exception tree of secpillar.

::

    SecpillarError                 exit 1   anything secpillar raises on purpose
    ├── UsageError                 exit 2   bad option, bad file, bad value given by the user
    │   └── ValidationError        exit 2   a document (policy, rules, config) failed validation
    ├── RegistryError              exit 1   duplicate or unknown registry id (a programming error)
    ├── AwsError                   exit 4   a call to AWS that could not be turned into a gap
    │   ├── AccessDenied                    the caller may not do this
    │   ├── NotFound                        the thing does not exist
    │   ├── Throttled                       the API kept throttling after retries
    │   ├── NotEnabled                      the service is not enabled / not subscribed
    │   └── Unsupported                     the endpoint does not implement the call (sandbox)
    └── SandboxError               exit 5   the local sandbox could not be started or seeded

Exit code 3 is not an error: it means ``--fail-on`` found a failing finding at or above the
threshold. Library code raises these; only ``secpillar.cli`` turns them into messages and exit codes.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_FINDINGS = 3
EXIT_AWS = 4
EXIT_SANDBOX = 5


class SecpillarError(Exception):
    """Base of every error secpillar raises on purpose."""

    exit_code = EXIT_ERROR


class UsageError(SecpillarError):
    """The user asked for something that cannot be done as asked."""

    exit_code = EXIT_USAGE


class ValidationError(UsageError):
    """A document failed validation; ``where`` says which part."""

    def __init__(self, message: str, where: str = "") -> None:
        self.where = where
        super().__init__(f"{where}: {message}" if where else message)


class RegistryError(SecpillarError):
    """A registry was given a duplicate id, or asked for an unknown one."""


class AwsError(SecpillarError):
    """An AWS call failed in a way the caller must hear about."""

    exit_code = EXIT_AWS

    def __init__(self, message: str, *, service: str = "", operation: str = "", code: str = "") -> None:
        self.service = service
        self.operation = operation
        self.code = code
        super().__init__(message)


class AccessDenied(AwsError):
    """The caller is not allowed to perform the call."""


class NotFound(AwsError):
    """The resource or entity does not exist."""


class Throttled(AwsError):
    """The API kept throttling after the retries were spent."""


class NotEnabled(AwsError):
    """The service is not enabled or not subscribed in this account or region."""


class Unsupported(AwsError):
    """The endpoint does not implement the call (typical of the sandbox)."""


class SandboxError(SecpillarError):
    """The local sandbox could not be started or seeded."""

    exit_code = EXIT_SANDBOX
