"""Incident response readiness: findings routed to automation, runbooks and backups in place, vaults
locked, and response exercised (FIS experiment templates with stop conditions)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from secpillar.checks.iam import as_list
from secpillar.checks.registry import Check, CheckContext, Result, register
from secpillar.model import ACCOUNT_REGION_TYPE, ACCOUNT_TYPE, Resource, Severity

RULE = "AWS::Events::Rule"
VAULT = "AWS::Backup::BackupVault"
PLAN = "AWS::Backup::BackupPlan"
TEMPLATE = "AWS::FIS::ExperimentTemplate"


def _rule_sources(rule: Resource) -> set[str]:
    pattern = rule.configuration.get("eventPatternParsed")
    if not isinstance(pattern, Mapping):
        return set()
    return {str(s) for s in as_list(pattern.get("source"))}


def _routing_rules(ctx: CheckContext, resource: Resource, sources: set[str]) -> list[Resource]:
    out = []
    for rule in ctx.inventory.by_type(RULE):
        if rule.region != resource.region or rule.configuration.get("state") != "ENABLED":
            continue
        if not _rule_sources(rule) & sources or not rule.supplementary.get("Targets"):
            continue
        if rule.account_id == resource.account_id or _is_delegated_admin(ctx, rule.account_id):
            out.append(rule)
    return out


def _is_delegated_admin(ctx: CheckContext, account_id: str) -> bool:
    for acct in ctx.inventory.by_type(ACCOUNT_TYPE):
        for admin in acct.supplementary.get("DelegatedAdministrators") or ():
            if admin.get("accountId") == account_id:
                return True
    return False


def _events_known(ctx: CheckContext, resource: Resource) -> bool:
    return not any(
        g.service == "events" and g.account_id == resource.account_id and g.region == resource.region
        for g in ctx.inventory.gaps
    )


class _RoutingCheck(Check):
    resource_types = (ACCOUNT_REGION_TYPE,)
    reads = (RULE,)
    sources: set[str] = set()
    what: str = ""

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        if not _events_known(ctx, resource) or "GuardDutyDetectors" not in resource.supplementary:
            return
        rules = _routing_rules(ctx, resource, self.sources)
        if rules:
            yield self.passed(
                f"{self.what.capitalize()} in {resource.display_name} are routed by EventBridge rule(s) "
                f"{', '.join(r.display_name for r in rules)}.",
                rules=[r.arn for r in rules],
            )
        else:
            yield self.failed(
                f"No enabled EventBridge rule routes {self.what} in {resource.display_name} to a target: "
                "they wait for someone to open a console."
            )


@register
class ThreatFindingsRouted(_RoutingCheck):
    id = "aws.events.threat-findings-routed"
    title = "Threat findings are routed to response automation"
    severity = Severity.MEDIUM
    sources = {"aws.guardduty", "aws.securityhub"}
    what = "GuardDuty / Security Hub findings"
    wa = ("SEC10-BP06", "SEC04-BP03")
    risk = "Findings nobody is notified of are acted on hours or days late."
    remediation = (
        "Create an EventBridge rule matching source aws.guardduty (and aws.securityhub) with a target: a "
        "notification topic, a ticketing queue or a remediation function."
    )


@register
class ComplianceChangesRouted(_RoutingCheck):
    id = "aws.events.compliance-changes-routed"
    title = "Non-compliant resources trigger remediation"
    severity = Severity.MEDIUM
    sources = {"aws.config", "aws.securityhub"}
    what = "AWS Config compliance changes / Security Hub findings"
    wa = ("SEC04-BP04",)
    risk = "A resource that drifts out of compliance stays that way until the next manual review."
    remediation = (
        "Route 'Config Rules Compliance Change' (or Security Hub findings) events to an SSM Automation or "
        "Lambda remediation, or attach AWS Config remediation actions to the rules."
    )


@register
class ResponseRunbooks(Check):
    id = "aws.ssm.response-runbooks"
    title = "Incident response runbooks exist as Systems Manager Automation documents"
    severity = Severity.LOW
    resource_types = (ACCOUNT_REGION_TYPE,)
    wa = ("SEC10-BP04", "SEC10-BP06", "SEC04-BP04")
    risk = (
        "Without automated runbooks, containment (isolate an instance, disable a "
        "key) is improvised under pressure."
    )
    remediation = (
        "Author (or share from the security account) SSM Automation runbooks for the common playbooks: "
        "isolate instance, snapshot volumes, revoke sessions, disable access key."
    )

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        docs = resource.supplementary.get("SsmAutomationDocuments")
        if docs is None:
            return
        if docs:
            yield self.passed(
                f"{resource.display_name} has {len(docs)} Automation runbook(s).", documents=list(docs)[:20]
            )
        else:
            yield self.failed(
                f"{resource.display_name} has no Automation runbook of its own for incident response."
            )


@register
class BackupVaultLocked(Check):
    id = "aws.backup.vault-lock"
    title = "Backup vaults are locked against deletion"
    severity = Severity.MEDIUM
    resource_types = (VAULT,)
    wa = ("SEC10-BP03", "SEC07-BP04")
    risk = (
        "An attacker (or ransomware) with backup permissions can delete recovery "
        "points before encrypting the data."
    )
    remediation = (
        "aws backup put-backup-vault-lock-configuration --backup-vault-name NAME "
        "--min-retention-days N (compliance mode)."
    )

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        cfg = resource.configuration
        if "locked" not in cfg:
            return
        if cfg["locked"]:
            yield self.passed(
                f"Backup vault '{resource.display_name}' is locked (minimum retention "
                f"{cfg.get('minRetentionDays')} days)."
            )
        else:
            yield self.failed(
                f"Backup vault '{resource.display_name}' is not locked: its recovery "
                "points can be deleted early."
            )


@register
class BackupPlanExists(Check):
    id = "aws.backup.plan-exists"
    title = "A backup plan protects each account and region"
    severity = Severity.LOW
    resource_types = (ACCOUNT_REGION_TYPE,)
    reads = (PLAN,)
    wa = ("SEC07-BP04", "SEC10-BP03")
    risk = "Without a backup plan, data destroyed in an incident cannot be restored to a known-good state."
    remediation = "Create an AWS Backup plan (organization backup policy) that selects resources by tag."

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        if any(
            g.service == "backup" and g.account_id == resource.account_id and g.region == resource.region
            for g in ctx.inventory.gaps
        ):
            return
        if "GuardDutyDetectors" not in resource.supplementary:
            return  # the region was not scanned for services
        plans = [
            p for p in ctx.inventory.by_account(resource.account_id, PLAN) if p.region == resource.region
        ]
        if plans:
            yield self.passed(
                f"{resource.display_name} has backup plan(s) {', '.join(p.display_name for p in plans)}."
            )
        else:
            yield self.failed(
                f"{resource.display_name} has no AWS Backup plan: data destroyed in an "
                "incident there cannot be restored."
            )


@register
class BackupPlanLifecycle(Check):
    id = "aws.backup.plan-lifecycle"
    title = "Backup plan rules define how long recovery points are kept"
    severity = Severity.LOW
    resource_types = (PLAN,)
    wa = ("SEC07-BP04",)
    risk = (
        "Rules without a lifecycle keep recovery points forever (cost, data kept "
        "beyond its purpose) or not long enough."
    )
    remediation = (
        "Set Lifecycle DeleteAfterDays (and MoveToColdStorageAfterDays) on each "
        "rule to your retention policy."
    )

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        plan = resource.configuration.get("backupPlan")
        if not isinstance(plan, Mapping):
            return
        rules = plan.get("rules") or []
        bare = [
            str(r.get("ruleName")) for r in rules if not (r.get("lifecycle") or {}).get("deleteAfterDays")
        ]
        if not rules:
            return
        if bare:
            yield self.failed(
                (
                    f"Backup plan '{resource.display_name}' has rule(s) without a retention "
                    f"period: {', '.join(bare)}."
                ),
                rules=bare,
            )
        else:
            yield self.passed(f"Every rule of backup plan '{resource.display_name}' sets a retention period.")


def _templates(ctx: CheckContext, account_id: str) -> list[Resource]:
    return ctx.inventory.by_account(account_id, TEMPLATE)


@register
class ResponseExercised(Check):
    id = "aws.fis.experiment-templates"
    title = "Failure and response are rehearsed with AWS FIS experiment templates"
    severity = Severity.LOW
    resource_types = (ACCOUNT_TYPE,)
    reads = (TEMPLATE,)
    wa = ("SEC10-BP07",)
    risk = "Detections, alarms and runbooks never exercised fail in the first real incident."
    remediation = (
        "Create FIS experiment templates for game days (stop an instance, deny "
        "network, throttle APIs) and run them."
    )

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        if any(g.service == "fis" and g.account_id == resource.account_id for g in ctx.inventory.gaps):
            return
        acct = ctx.inventory.accounts.get(resource.account_id)
        if acct is not None and acct.is_management:
            return  # game days run in workload accounts
        if not ctx.inventory.by_account(resource.account_id, ACCOUNT_REGION_TYPE):
            return
        templates = _templates(ctx, resource.account_id)
        name = resource.display_name
        if templates:
            yield self.passed(f"Account '{name}' has {len(templates)} FIS experiment template(s).")
        else:
            yield self.failed(
                f"Account '{name}' has no FIS experiment template: response has never been rehearsed there."
            )


@register
class ExperimentStopConditions(Check):
    id = "aws.fis.stop-conditions"
    title = "FIS experiments stop on a CloudWatch alarm"
    severity = Severity.LOW
    resource_types = (TEMPLATE,)
    wa = ("SEC10-BP07",)
    risk = "A simulation without a stop condition keeps injecting faults when it starts hurting customers."
    remediation = "Add a stopConditions entry with source aws:cloudwatch:alarm to the template."

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        conds: Any = resource.configuration.get("stopConditions")
        if conds is None:
            return
        alarms = [c for c in conds if str(c.get("source")) == "aws:cloudwatch:alarm"]
        if alarms:
            yield self.passed(
                f"Experiment template '{resource.display_name}' stops on {len(alarms)} alarm(s)."
            )
        else:
            yield self.failed(
                f"Experiment template '{resource.display_name}' has no alarm stop "
                "condition: the experiment keeps injecting faults even when customers are "
                "hurt."
            )
