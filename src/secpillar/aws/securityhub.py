"""Import ASFF findings into Security Hub with ``BatchImportFindings``.

Security Hub takes at most 100 findings a call, and a custom integration imports into the
account it calls from (the finding's ``AwsAccountId`` is the caller's account, its
``ProductArn`` that account's default product), so findings are grouped by account and region
and sent with that account's credentials. A refused call, or the findings a call reports in
``FailedFindings``, are counted and kept; one bad batch never stops the others."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from secpillar.aws.errors import short_message

BATCH_SIZE = 100


@dataclass
class ImportReport:
    imported: int = 0
    failed: int = 0
    batches: int = 0
    failures: list[dict[str, str]] = field(default_factory=list)
    """``{account, region, id, code, message}`` for each finding or batch that failed."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "imported": self.imported,
            "failed": self.failed,
            "batches": self.batches,
            "failures": list(self.failures),
        }


def _batches(items: list[dict[str, Any]], size: int) -> Iterable[list[dict[str, Any]]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def import_findings(
    findings: Iterable[dict[str, Any]],
    client_for: Callable[[str, str], Any],
    batch_size: int = BATCH_SIZE,
) -> ImportReport:
    """Send ``findings`` (ASFF dicts) per account and region through ``client_for(account,
    region)`` (a ``securityhub`` client), ``batch_size`` at a time."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for f in findings:
        groups[(str(f.get("AwsAccountId", "")), _region(f))].append(f)
    report = ImportReport()
    for (account, region), items in sorted(groups.items()):
        try:
            client = client_for(account, region)
        except (ClientError, BotoCoreError, KeyError) as exc:
            report.failed += len(items)
            report.failures.append(_failure(account, region, "", "NoClient", _msg(exc)))
            continue
        for batch in _batches(items, batch_size):
            report.batches += 1
            try:
                resp = client.batch_import_findings(Findings=batch)
            except (ClientError, BotoCoreError) as exc:
                report.failed += len(batch)
                code = exc.response.get("Error", {}).get("Code", "") if isinstance(exc, ClientError) else ""
                report.failures.append(_failure(account, region, "", code or "Error", short_message(exc)))
                continue
            report.imported += int(resp.get("SuccessCount", 0))
            report.failed += int(resp.get("FailedCount", 0))
            for ff in resp.get("FailedFindings", []) or []:
                report.failures.append(
                    _failure(
                        account,
                        region,
                        str(ff.get("Id", "")),
                        str(ff.get("ErrorCode", "")),
                        str(ff.get("ErrorMessage", "")),
                    )
                )
    return report


def _region(finding: dict[str, Any]) -> str:
    """The finding's region: its resource's, else the one in its product ARN."""
    resources = finding.get("Resources") or [{}]
    first = resources[0] if isinstance(resources[0], dict) else {}
    if first.get("Region"):
        return str(first["Region"])
    parts = str(finding.get("ProductArn", "")).split(":")
    return parts[3] if len(parts) > 3 else ""


def _msg(exc: BaseException) -> str:
    return short_message(exc) if isinstance(exc, ClientError | BotoCoreError) else f"no credentials for {exc}"


def _failure(account: str, region: str, fid: str, code: str, message: str) -> dict[str, str]:
    return {"account": account, "region": region, "id": fid, "code": code, "message": message}
