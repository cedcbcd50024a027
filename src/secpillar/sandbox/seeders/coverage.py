"""Seed the coverage slice (runs last): security services, response tooling, certificates, secrets,
functions, build projects, images and snapshots, classification and sharing, alarms.

Clean (PROD us-east-1 and its resources, so that the new checks pass where the other seeders record
clean resources): Security Hub, Inspector, GuardDuty S3 Protection, an EventBridge rule routing
GuardDuty findings and Config compliance changes to a queue, an SSM Automation runbook, a Backup
plan with a lifecycle, ECR enhanced scanning; the confidential data bucket re-keyed to the PROD
customer managed key; the organization trail sent to a CloudWatch Logs group (400 days, KMS) with
the CIS root-usage and unauthorized-API-call filters and alarms. (The network and storage seeders
give prod-app its instance profile and the prod-app distribution its certificate and web ACL.) New
clean resources: PROD certificate, function, FIS template, break-glass / incident response roles.

Flaws: listed in the manifest by the helpers below (docs/sandbox.md renders them).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from secpillar.model import account_arn, account_region_arn
from secpillar.sandbox.seed import REGION, SeedOrg, policy
from secpillar.sandbox.seeders.logging import ORG_TRAIL

AMI = "ami-760aaa0f"
TRAIL_GROUP = "secpillar/org-trail"
_NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)


def _region(org: SeedOrg, account: str) -> str:
    return account_region_arn(org.account_id(account), REGION)


def _trust(principal: dict[str, Any], condition: dict[str, Any] | None = None) -> str:
    stmt: dict[str, Any] = {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}
    if condition:
        stmt["Condition"] = condition
    return policy(stmt)


# ---- PROD us-east-1 and other recorded-clean resources ---------------------------------------


def _prod_region(org: SeedOrg) -> None:
    """Everything the AccountRegion checks want, in PROD us-east-1 (recorded clean by logging.py)."""
    prod = org.account_id("PROD")
    org.client("PROD", "securityhub").enable_security_hub(EnableDefaultStandards=True)
    org.client("PROD", "inspector2").enable(accountIds=[prod], resourceTypes=["EC2", "ECR", "LAMBDA"])
    gd = org.client("PROD", "guardduty")
    for det in gd.list_detectors()["DetectorIds"]:
        gd.update_detector(DetectorId=det, DataSources={"S3Logs": {"Enable": True}})
    sqs = org.client("PROD", "sqs")
    queue = sqs.create_queue(QueueName="security-findings")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    events = org.client("PROD", "events")
    for name, pattern in (
        ("guardduty-findings", {"source": ["aws.guardduty"], "detail-type": ["GuardDuty Finding"]}),
        ("config-compliance", {"source": ["aws.config"], "detail-type": ["Config Rules Compliance Change"]}),
    ):
        events.put_rule(Name=name, EventPattern=json.dumps(pattern), State="ENABLED")
        events.put_targets(Rule=name, Targets=[{"Id": "queue", "Arn": queue_arn}])
    org.client("PROD", "ssm").create_document(
        Name="Secpillar-IsolateInstance",
        DocumentType="Automation",
        DocumentFormat="JSON",
        Content=json.dumps(
            {
                "schemaVersion": "0.3",
                "description": "Move an instance into the quarantine security group.",
                "parameters": {"InstanceId": {"type": "String"}},
                "mainSteps": [
                    {
                        "name": "isolate",
                        "action": "aws:executeAwsApi",
                        "inputs": {
                            "Service": "ec2",
                            "Api": "ModifyInstanceAttribute",
                            "InstanceId": "{{ InstanceId }}",
                            "Groups": ["sg-quarantine"],
                        },
                    }
                ],
            }
        ),
    )
    org.client("PROD", "backup").create_backup_plan(
        BackupPlan={
            "BackupPlanName": "prod-daily",
            "Rules": [
                {
                    "RuleName": "daily-35d",
                    "TargetBackupVaultName": "Default",
                    "ScheduleExpression": "cron(0 5 * * ? *)",
                    "Lifecycle": {"DeleteAfterDays": 35},
                }
            ],
        }
    )
    org.client("PROD", "ecr").put_registry_scanning_configuration(
        scanType="ENHANCED",
        rules=[
            {
                "scanFrequency": "CONTINUOUS_SCAN",
                "repositoryFilters": [{"filter": "*", "filterType": "WILDCARD"}],
            }
        ],
    )


def _prod_resources(org: SeedOrg) -> None:
    """The confidential bucket on the PROD customer managed key."""
    prod = org.account_id("PROD")
    kms = org.client("PROD", "kms")
    key = next(
        a["TargetKeyId"] for a in kms.list_aliases()["Aliases"] if a["AliasName"] == "alias/prod-app-data"
    )
    s3 = org.client("PROD", "s3")
    s3.put_bucket_encryption(
        Bucket=f"prod-app-data-{prod}",
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {
                        "SSEAlgorithm": "aws:kms",
                        "KMSMasterKeyID": f"arn:aws:kms:{REGION}:{prod}:key/{key}",
                    },
                    "BucketKeyEnabled": True,
                }
            ]
        },
    )


CIS_FILTERS = {
    "root-usage": '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS '
    '&& $.eventType != "AwsServiceEvent" }',
    (
        "unauthorized-api-calls"
    ): '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }',
}


def _trail_alarms(org: SeedOrg) -> None:
    """The organization trail also delivers to a CloudWatch Logs group in MGMT with two of the CIS
    filters and alarms; the other CIS 4.x alarms are missing (flaws on PROD's account)."""
    mgmt = org.account_id("MGMT")
    logs = org.client("MGMT", "logs")
    kms_key = org.client("MGMT", "kms").create_key(Description="secpillar CloudWatch Logs")["KeyMetadata"][
        "Arn"
    ]
    logs.create_log_group(logGroupName=TRAIL_GROUP, kmsKeyId=kms_key)
    logs.put_retention_policy(logGroupName=TRAIL_GROUP, retentionInDays=400)
    iam = org.client("MGMT", "iam")
    role = iam.create_role(
        RoleName="CloudTrailToCloudWatch",
        AssumeRolePolicyDocument=_trust({"Service": "cloudtrail.amazonaws.com"}),
    )["Role"]["Arn"]
    group_arn = f"arn:aws:logs:{REGION}:{mgmt}:log-group:{TRAIL_GROUP}:*"
    org.client("MGMT", "cloudtrail").update_trail(
        Name=ORG_TRAIL, CloudWatchLogsLogGroupArn=group_arn, CloudWatchLogsRoleArn=role
    )
    topic = org.client("MGMT", "sns").create_topic(Name="security-alarms")["TopicArn"]
    cw = org.client("MGMT", "cloudwatch")
    for slug, pattern in CIS_FILTERS.items():
        logs.put_metric_filter(
            logGroupName=TRAIL_GROUP,
            filterName=f"cis-{slug}",
            filterPattern=pattern,
            metricTransformations=[
                {"metricName": f"cis-{slug}", "metricNamespace": "CISBenchmark", "metricValue": "1"}
            ],
        )
        cw.put_metric_alarm(
            AlarmName=f"cis-{slug}",
            MetricName=f"cis-{slug}",
            Namespace="CISBenchmark",
            Statistic="Sum",
            Period=300,
            EvaluationPeriods=1,
            Threshold=1,
            ComparisonOperator="GreaterThanOrEqualToThreshold",
            AlarmActions=[topic],
        )
    for slug in ("iam-policy-changes", "cloudtrail-changes"):
        org.manifest.flaw(
            f"aws.cloudwatch.alarm-{slug}",
            "PROD",
            "account PROD",
            account_arn(org.account_id("PROD")),
            (
                "The organization trail's log group has no metric filter and alarm for "
                f"{slug.replace('-', ' ')}."
            ),
        )


def _self_signed(common_name: str, bits: int, days: int) -> tuple[bytes, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1000 + bits + days)
        .not_valid_before(_NOW - dt.timedelta(days=30))
        .not_valid_after(_NOW + dt.timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(common_name)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    pem_key = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    return cert.public_bytes(serialization.Encoding.PEM), pem_key


def _certificates(org: SeedOrg) -> None:
    m = org.manifest
    cert, key = _self_signed("app.prod.example.org", 2048, 365)
    arn = org.client("PROD", "acm").import_certificate(Certificate=cert, PrivateKey=key)["CertificateArn"]
    m.clean_resource("PROD", "certificate app.prod.example.org", arn, "RSA 2048, one host, valid for a year")
    cert, key = _self_signed("*.test.example.org", 1024, 10)
    arn = org.client("TEST", "acm").import_certificate(Certificate=cert, PrivateKey=key)["CertificateArn"]
    for check, why in (
        ("aws.acm.certificate-expiry", "expires in 10 days"),
        ("aws.acm.certificate-key-strength", "RSA 1024-bit key"),
        ("aws.acm.certificate-no-wildcard", "wildcard name *.test.example.org"),
    ):
        m.flaw(check, "TEST", "certificate *.test.example.org", arn, f"Imported certificate: {why}.")
    cert, key = _self_signed("legacy.stg.example.org", 2048, -5)
    org.client("STG", "iam").upload_server_certificate(
        ServerCertificateName="legacy-2025", CertificateBody=cert.decode(), PrivateKey=key.decode()
    )
    m.flaw(
        "aws.iam.server-certificates-not-expired",
        "STG",
        "account STG",
        account_arn(org.account_id("STG")),
        "IAM still stores server certificate legacy-2025, expired five days ago.",
    )


def _identities(org: SeedOrg) -> None:
    m = org.manifest
    mgmt = org.account_id("MGMT")
    mfa = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
    prod_iam = org.client("PROD", "iam")
    for name, condition in (("break-glass-admin", mfa), ("incident-response", mfa)):
        arn = prod_iam.create_role(
            RoleName=name, AssumeRolePolicyDocument=_trust({"AWS": f"arn:aws:iam::{mgmt}:root"}, condition)
        )["Role"]["Arn"]
        m.clean_resource("PROD", f"role {name}", arn, "Assumable from MGMT with MFA only")
    test = org.client("TEST", "iam")
    test.create_role(
        RoleName="BreakGlass", AssumeRolePolicyDocument=_trust({"AWS": f"arn:aws:iam::{mgmt}:root"})
    )
    m.flaw(
        "aws.iam.break-glass-role",
        "TEST",
        "account TEST",
        account_arn(org.account_id("TEST")),
        "Role BreakGlass (emergency access) can be assumed without MFA.",
    )
    m.flaw(
        "aws.iam.incident-response-role",
        "STG",
        "account STG",
        account_arn(org.account_id("STG")),
        "No role for the security team to respond to incidents.",
    )
    stg = org.client("STG", "iam")
    user = stg.create_user(UserName="legacy-etl")["User"]["Arn"]
    stg.create_access_key(UserName="legacy-etl")
    m.flaw("aws.iam.user-no-access-keys", "STG", "user legacy-etl", user, "An active long-lived access key.")
    m.flaw("aws.iam.user-in-group", "STG", "user legacy-etl", user, "Belongs to no group.")
    arn = stg.create_role(RoleName="shared-reports", AssumeRolePolicyDocument=_trust({"AWS": "*"}))["Role"][
        "Arn"
    ]
    m.flaw(
        "aws.iam.role-trust-no-wildcard", "STG", "role shared-reports", arn, "Trust policy allows AWS '*'."
    )
    m.flaw(
        "aws.iam.console-users-centralized",
        "MGMT",
        "account MGMT",
        account_arn(mgmt),
        "IAM users with console passwords instead of Identity Center sign-in.",
    )


def _organization(org: SeedOrg) -> None:
    m = org.manifest
    mgmt = org.account_id("MGMT")
    org.client("MGMT", "organizations").register_delegated_administrator(
        AccountId=org.account_id("LOGS"), ServicePrincipal="guardduty.amazonaws.com"
    )
    m.flaw(
        "aws.organizations.security-services-delegated",
        "MGMT",
        "account MGMT",
        account_arn(mgmt),
        "GuardDuty is delegated to LOGS, Security Hub to nobody.",
    )
    m.flaw(
        "aws.organizations.management-account-no-workloads",
        "MGMT",
        "account MGMT",
        account_arn(mgmt),
        "The transit hub's instances run in the management account.",
    )
    nonprod = org.ou_ids["NonProd"]
    m.flaw(
        "aws.organizations.scp-on-every-ou",
        "MGMT",
        "ou NonProd",
        f"arn:aws:organizations::{mgmt}:ou/{org.organization_id}/{nonprod}",
        "No guardrail SCP on NonProd, Workloads or the root.",
    )
    m.flaw(
        "aws.organizations.scp-protects-security-services",
        "PROD",
        "account PROD",
        account_arn(org.account_id("PROD")),
        "Guardrails does not deny config:StopConfigurationRecorder.",
    )


def _secrets_and_code(org: SeedOrg) -> None:
    m = org.manifest
    sm = org.client("TEST", "secretsmanager")
    arn = sm.create_secret(
        Name="test/db", SecretString=json.dumps({"username": "app", "password": "sandbox-only"})
    )["ARN"]
    m.flaw("aws.secretsmanager.rotation-enabled", "TEST", "secret test/db", arn, "No automatic rotation.")
    for account, name, runtime, env in (
        (
            "PROD",
            "prod-orders",
            "python3.12",
            {"TABLE": "orders", "DB_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:0:secret:x"},
        ),
        (
            "TEST",
            "test-report",
            "python3.8",
            {"TABLE": "reports", "DB_PASSWORD": "sandbox-only-not-a-secret"},
        ),
    ):
        iam = org.client(account, "iam")
        role = iam.create_role(
            RoleName=f"{name}-fn", AssumeRolePolicyDocument=_trust({"Service": "lambda.amazonaws.com"})
        )["Role"]["Arn"]
        fn = org.client(account, "lambda").create_function(
            FunctionName=name,
            Runtime=runtime,
            Role=role,
            Handler="app.handler",
            Code={"ZipFile": _zip()},
            Environment={"Variables": env},
        )["FunctionArn"]
        if account == "PROD":
            m.clean_resource(account, f"function {name}", fn, "Supported runtime, secrets by reference")
        else:
            m.flaw(
                "aws.lambda.supported-runtime",
                account,
                f"function {name}",
                fn,
                "Runtime python3.8 is deprecated.",
            )
            m.flaw(
                "aws.lambda.no-secrets-in-environment",
                account,
                f"function {name}",
                fn,
                "Environment variable DB_PASSWORD holds a literal password.",
            )
    cb = org.client("TEST", "codebuild")
    role = org.client("TEST", "iam").create_role(
        RoleName="codebuild-app", AssumeRolePolicyDocument=_trust({"Service": "codebuild.amazonaws.com"})
    )["Role"]["Arn"]
    project = cb.create_project(
        name="test-app-build",
        source={
            "type": "BITBUCKET",
            "location": "https://ci-bot:sandbox-token@bitbucket.org/example/app.git",
        },
        artifacts={"type": "NO_ARTIFACTS"},
        environment={
            "type": "LINUX_CONTAINER",
            "image": "aws/codebuild/standard:7.0",
            "computeType": "BUILD_GENERAL1_SMALL",
            "privilegedMode": True,
            "environmentVariables": [
                {"name": "GITHUB_TOKEN", "value": "sandbox-only-token", "type": "PLAINTEXT"}
            ],
        },
        serviceRole=role,
    )["project"]["arn"]
    for check, why in (
        ("aws.codebuild.source-no-credentials", "user:token in the Bitbucket URL"),
        ("aws.codebuild.no-secrets-in-environment", "plaintext GITHUB_TOKEN"),
        ("aws.codebuild.privileged-mode-off", "privileged builds"),
    ):
        m.flaw(check, "TEST", "codebuild test-app-build", project, f"Build project: {why}.")


def _zip() -> bytes:
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("app.py", "def handler(event, context):\n    return {}\n")
    return buf.getvalue()


def _compute(org: SeedOrg) -> None:
    m = org.manifest
    test = org.account_id("TEST")
    ec2 = org.client("TEST", "ec2")
    ec2.create_key_pair(KeyName="ops-legacy")
    inst = ec2.run_instances(
        ImageId=AMI,
        MinCount=1,
        MaxCount=1,
        InstanceType="t3.micro",
        KeyName="ops-legacy",
        MetadataOptions={"HttpTokens": "required", "HttpEndpoint": "enabled"},
        TagSpecifications=[
            {"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "legacy-bastion"}]}
        ],
    )["Instances"][0]
    iid = inst["InstanceId"]
    arn = f"arn:aws:ec2:{REGION}:{test}:instance/{iid}"
    image = ec2.create_image(InstanceId=iid, Name="test-golden-2026")["ImageId"]
    ec2.create_tags(Resources=[image], Tags=[{"Key": "golden", "Value": "true"}])
    ec2.modify_image_attribute(ImageId=image, LaunchPermission={"Add": [{"Group": "all"}]})
    for check, why in (
        ("aws.ec2.instance-no-key-pair", "launched with SSH key pair ops-legacy"),
        ("aws.ec2.approved-ami", "launched from a stock image while TEST has a golden image"),
        ("aws.ec2.instance-profile-attached", "no instance profile"),
    ):
        m.flaw(check, "TEST", "instance legacy-bastion", arn, f"Instance: {why}.")
    m.flaw(
        "aws.ec2.image-not-public",
        "TEST",
        "image test-golden-2026",
        f"arn:aws:ec2:{REGION}::image/{image}",
        "The golden image is shared with everyone.",
    )
    vol = ec2.create_volume(AvailabilityZone=f"{REGION}a", Size=8, Encrypted=False)["VolumeId"]
    snap = ec2.create_snapshot(VolumeId=vol, Description="legacy export")["SnapshotId"]
    ec2.modify_snapshot_attribute(
        SnapshotId=snap, Attribute="createVolumePermission", OperationType="add", GroupNames=["all"]
    )
    snap_arn = f"arn:aws:ec2:{REGION}:{test}:snapshot/{snap}"
    m.flaw("aws.ec2.snapshot-not-public", "TEST", "snapshot legacy-export", snap_arn, "Publicly restorable.")
    m.flaw("aws.ec2.snapshot-encrypted", "TEST", "snapshot legacy-export", snap_arn, "Not encrypted.")


def _protection(org: SeedOrg) -> None:
    m = org.manifest
    waf = org.client("TEST", "wafv2")
    acl = waf.create_web_acl(
        Name="test-edge",
        Scope="REGIONAL",
        DefaultAction={"Allow": {}},
        Rules=[],
        VisibilityConfig={
            "SampledRequestsEnabled": False,
            "CloudWatchMetricsEnabled": False,
            "MetricName": "test-edge",
        },
    )["Summary"]["ARN"]
    m.flaw("aws.wafv2.webacl-has-rules", "TEST", "web acl test-edge", acl, "No rules: everything is allowed.")
    m.flaw("aws.wafv2.logging", "TEST", "web acl test-edge", acl, "No logging configuration.")
    backup = org.client("TEST", "backup")
    vault = backup.create_backup_vault(BackupVaultName="test-vault")["BackupVaultArn"]
    m.flaw("aws.backup.vault-lock", "TEST", "backup vault test-vault", vault, "Vault lock not configured.")
    iam = org.client("PROD", "iam")
    role = iam.create_role(
        RoleName="fis-gameday", AssumeRolePolicyDocument=_trust({"Service": "fis.amazonaws.com"})
    )["Role"]["Arn"]
    fis = org.client("PROD", "fis")
    base: dict[str, Any] = {
        "description": "Stop one app instance",
        "roleArn": role,
        "targets": {
            "app": {
                "resourceType": "aws:ec2:instance",
                "resourceTags": {"Name": "prod-app"},
                "selectionMode": "COUNT(1)",
            }
        },
        "actions": {"stop": {"actionId": "aws:ec2:stop-instances", "targets": {"Instances": "app"}}},
    }
    good = fis.create_experiment_template(
        clientToken="secpillar-gameday-1",
        stopConditions=[
            {"source": "aws:cloudwatch:alarm", "value": f"arn:aws:cloudwatch:{REGION}:0:alarm:errors"}
        ],
        tags={"Name": "prod-stop-app"},
        **base,
    )["experimentTemplate"]
    m.clean_resource(
        "PROD", "fis template prod-stop-app", good["arn"], "Game-day template that stops on an alarm"
    )
    bad = fis.create_experiment_template(
        clientToken="secpillar-gameday-2",
        stopConditions=[{"source": "none"}],
        tags={"Name": "prod-unbounded"},
        **base,
    )["experimentTemplate"]
    m.flaw("aws.fis.stop-conditions", "PROD", "fis template prod-unbounded", bad["arn"], "No alarm stops it.")


def _data(org: SeedOrg) -> None:
    m = org.manifest
    stg = org.account_id("STG")
    name = f"stg-customer-exports-{stg}"
    s3 = org.client("STG", "s3")
    s3.create_bucket(Bucket=name)
    s3.put_bucket_encryption(
        Bucket=name,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        },
    )
    s3.put_bucket_tagging(
        Bucket=name, Tagging={"TagSet": [{"Key": "DataClassification", "Value": "Confidential"}]}
    )
    s3.put_bucket_policy(
        Bucket=name,
        Policy=policy(
            {
                "Sid": "PartnerRead",
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::999988887777:root"},
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{name}/*",
            }
        ),
    )
    arn = f"arn:aws:s3:::{name}"
    for check, why in (
        ("aws.classification.confidential-cmk", "Confidential data under SSE-S3"),
        ("aws.classification.confidential-versioned", "Confidential data without versioning"),
        (
            "aws.s3.bucket-shared-within-organization",
            "readable by account 999988887777 outside the organization",
        ),
    ):
        m.flaw(check, "STG", name, arn, f"{why}.")
    logs_bucket = f"secpillar-org-cloudtrail-{org.account_id('LOGS')}"
    m.flaw(
        "aws.s3.log-bucket-lifecycle",
        "LOGS",
        f"bucket {logs_bucket}",
        f"arn:aws:s3:::{logs_bucket}",
        "The CloudTrail archive has no lifecycle: retention undefined.",
    )
    kms = org.client("STG", "kms")
    root = f"arn:aws:iam::{stg}:root"
    key = kms.create_key(
        Description="stg vendor decrypt",
        Policy=policy(
            {
                "Sid": "Owner",
                "Effect": "Allow",
                "Principal": {"AWS": root},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Sid": "VendorDecrypt",
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::999988887777:root"},
                "Action": "kms:Decrypt",
                "Resource": "*",
            },
        ),
    )["KeyMetadata"]
    kms.create_alias(AliasName="alias/stg-vendor-decrypt", TargetKeyId=key["KeyId"])
    kms.enable_key_rotation(KeyId=key["KeyId"])
    m.flaw(
        "aws.kms.key-shared-within-organization",
        "STG",
        "kms stg-vendor-decrypt",
        key["Arn"],
        "Key policy lets account 999988887777 outside the organization decrypt.",
    )


def _services(org: SeedOrg) -> None:
    """Security services off, half-configured or unrouted in TEST and STG."""
    m = org.manifest
    for account, check, why in (
        ("TEST", "aws.securityhub.enabled", "Security Hub is not enabled."),
        ("TEST", "aws.inspector.ec2-scanning", "Inspector is not enabled."),
        ("TEST", "aws.events.threat-findings-routed", "No EventBridge rule routes GuardDuty findings."),
        ("TEST", "aws.ecr.registry-enhanced-scanning", "The registry uses basic scanning only."),
        ("TEST", "aws.ssm.response-runbooks", "No Automation runbook."),
        ("STG", "aws.backup.plan-exists", "No backup plan."),
    ):
        m.flaw(check, account, f"account region {REGION}", _region(org, account), why)
    cw = org.client("TEST", "cloudwatch")
    cw.put_metric_alarm(
        AlarmName="test-api-errors",
        MetricName="Errors",
        Namespace="AWS/Lambda",
        Statistic="Sum",
        Period=300,
        EvaluationPeriods=1,
        Threshold=5,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
    )
    m.flaw(
        "aws.cloudwatch.alarm-actions",
        "TEST",
        f"account region {REGION}",
        _region(org, "TEST"),
        "Alarm test-api-errors notifies nobody.",
    )
    logs = org.client("TEST", "logs")
    logs.create_log_group(logGroupName="/test/api")
    logs.put_retention_policy(logGroupName="/test/api", retentionInDays=7)
    group = f"arn:aws:logs:{REGION}:{org.account_id('TEST')}:log-group:/test/api"
    m.flaw("aws.logs.retention", "TEST", "log group /test/api", group, "Logs kept 7 days.")
    m.flaw("aws.logs.kms-encryption", "TEST", "log group /test/api", group, "No KMS key.")


def seed(org: SeedOrg) -> None:
    _prod_region(org)
    _prod_resources(org)
    _trail_alarms(org)
    _certificates(org)
    _identities(org)
    _organization(org)
    _secrets_and_code(org)
    _compute(org)
    _protection(org)
    _data(org)
    _services(org)
