"""AWS Backup: vaults (``AWS::Backup::BackupVault``, with their lock settings) and plans
(``AWS::Backup::BackupPlan``, with their rules' lifecycle) of each account and region."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from secpillar.collect.base import CollectContext, Collector, Scope, camelize, register
from secpillar.model import Resource

VAULT_TYPE = "AWS::Backup::BackupVault"
PLAN_TYPE = "AWS::Backup::BackupPlan"


def transform_vault(raw: Mapping[str, Any], account_id: str, region: str) -> Resource:
    """A ``ListBackupVaults`` entry (it carries ``Locked``, ``MinRetentionDays``, ``EncryptionKeyArn``)."""
    return Resource(
        resource_type=VAULT_TYPE,
        resource_id=str(raw.get("BackupVaultName", "")),
        arn=str(raw.get("BackupVaultArn", "")),
        account_id=account_id,
        region=region,
        name=str(raw.get("BackupVaultName", "")),
        configuration=camelize(dict(raw)),
    )


def transform_plan(
    summary: Mapping[str, Any], detail: Mapping[str, Any] | None, account_id: str, region: str
) -> Resource:
    config: dict[str, Any] = camelize(dict(summary))
    if detail is not None:
        config["backupPlan"] = camelize(dict(detail.get("BackupPlan") or {}))
    return Resource(
        resource_type=PLAN_TYPE,
        resource_id=str(summary.get("BackupPlanId", "")),
        arn=str(summary.get("BackupPlanArn", "")),
        account_id=account_id,
        region=region,
        name=str(summary.get("BackupPlanName", "")),
        configuration=config,
    )


@register
class BackupCollector(Collector):
    id = "backup"
    scope = Scope.REGIONAL
    resource_types = (VAULT_TYPE, PLAN_TYPE)
    permissions = ("backup:ListBackupVaults", "backup:ListBackupPlans", "backup:GetBackupPlan")

    def collect(self, ctx: CollectContext) -> Iterable[Resource]:
        bk = ctx.client("backup", attempts=2)
        for vault in ctx.paginate(bk, "list_backup_vaults", "BackupVaultList") or ():
            yield transform_vault(vault, ctx.account_id, ctx.region)
        for plan in ctx.paginate(bk, "list_backup_plans", "BackupPlansList") or ():
            detail = ctx.call(bk, "get_backup_plan", BackupPlanId=plan["BackupPlanId"])
            yield transform_plan(plan, detail, ctx.account_id, ctx.region)
