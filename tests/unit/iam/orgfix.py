"""Build small organization inventories in the shape the collectors write (AWS Config items), for the
IAM analyses' tests. Accounts: MGMT 111111111111 (management), DEV 222222222222 (OU Dev),
PROD 333333333333 (OU Prod)."""

from __future__ import annotations

from typing import Any

from secpillar.model import Account, Inventory, Resource

MGMT, DEV, PROD = "111111111111", "222222222222", "333333333333"
ROOT_ID, OU_DEV, OU_PROD = "r-ab12", "ou-ab12-dev00001", "ou-ab12-prod0001"
ORG_ID = "o-exampleorg"
ADMIN_ARN = "arn:aws:iam::aws:policy/AdministratorAccess"


def doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def trust(principal: Any, action: str = "sts:AssumeRole", **extra: Any) -> dict[str, Any]:
    p = principal if isinstance(principal, dict) else {"AWS": principal}
    return doc({"Effect": "Allow", "Principal": p, "Action": action, **extra})


def _iam(rtype: str, account: str, kind: str, name: str, config: dict[str, Any]) -> Resource:
    arn = f"arn:aws:iam::{account}:{kind}/{name}"
    return Resource(rtype, f"{kind}-{name}", arn, account, "global", name, config)


def user(
    account: str,
    name: str,
    *inline: dict[str, Any],
    groups: tuple[str, ...] = (),
    attached: tuple[str, ...] = (),
    boundary: str | None = None,
    login: bool | None = None,
) -> Resource:
    cfg: dict[str, Any] = {
        "userName": name,
        "userPolicies": [{"policyName": f"{name}-{i}", "policyDocument": d} for i, d in enumerate(inline)],
        "attachedManagedPolicies": [{"policyName": a.rsplit("/", 1)[-1], "policyArn": a} for a in attached],
        "groupList": list(groups),
    }
    if boundary:
        cfg["permissionsBoundary"] = {"permissionsBoundaryType": "Policy", "permissionsBoundaryArn": boundary}
    if login is not None:
        cfg["loginProfile"] = {"userName": name} if login else None
    return _iam("AWS::IAM::User", account, "user", name, cfg)


def group(
    account: str,
    name: str,
    *inline: dict[str, Any],
    attached: tuple[str, ...] = (),
    members: tuple[str, ...] = (),
) -> Resource:
    cfg = {
        "groupName": name,
        "groupPolicies": [{"policyName": f"{name}-{i}", "policyDocument": d} for i, d in enumerate(inline)],
        "attachedManagedPolicies": [{"policyName": a.rsplit("/", 1)[-1], "policyArn": a} for a in attached],
        "members": list(members),
    }
    return _iam("AWS::IAM::Group", account, "group", name, cfg)


def role(
    account: str,
    name: str,
    trust_doc: dict[str, Any],
    *inline: dict[str, Any],
    attached: tuple[str, ...] = (),
    boundary: str | None = None,
    profiles: int = 0,
) -> Resource:
    cfg: dict[str, Any] = {
        "roleName": name,
        "assumeRolePolicyDocument": trust_doc,
        "rolePolicies": [{"policyName": f"{name}-{i}", "policyDocument": d} for i, d in enumerate(inline)],
        "attachedManagedPolicies": [{"policyName": a.rsplit("/", 1)[-1], "policyArn": a} for a in attached],
        "instanceProfileList": [{"instanceProfileName": name, "arn": ""}] * profiles,
    }
    if boundary:
        cfg["permissionsBoundary"] = {"permissionsBoundaryType": "Policy", "permissionsBoundaryArn": boundary}
    return _iam("AWS::IAM::Role", account, "role", name, cfg)


def managed(account: str, name: str, document: dict[str, Any], versions: int = 1) -> Resource:
    arn = f"arn:aws:iam::{account}:policy/{name}"
    cfg = {
        "policyName": name,
        "arn": arn,
        "document": document,
        "policyVersionList": [
            {"versionId": f"v{i + 1}", "isDefaultVersion": i == 0} for i in range(versions)
        ],
    }
    return Resource("AWS::IAM::Policy", arn, arn, account, "global", name, cfg)


def scp(name: str, document: dict[str, Any], *targets: str) -> Resource:
    arn = f"arn:aws:organizations::{MGMT}:policy/{ORG_ID}/service_control_policy/p-{name.lower()}"
    cfg = {
        "type": "SERVICE_CONTROL_POLICY",
        "content": document,
        "targets": [{"targetId": t} for t in targets],
        "policySummary": {"name": name},
    }
    return Resource("AWS::Organizations::Policy", f"p-{name.lower()}", arn, MGMT, "global", name, cfg)


def bucket(account: str, name: str, policy: dict[str, Any] | None) -> Resource:
    return Resource(
        "AWS::S3::Bucket",
        name,
        f"arn:aws:s3:::{name}",
        account,
        "us-east-1",
        name,
        {"name": name},
        {"BucketPolicy": {"policyText": policy}},
    )


def org_inventory(*resources: Resource, with_scps: bool = True) -> Inventory:
    """The three-account organization with ``resources``; FullAWSAccess everywhere, plus a guardrail
    SCP on OU Prod denying organizations:LeaveOrganization, unless ``with_scps`` is False."""
    accounts = {
        MGMT: Account(MGMT, "MGMT", is_management=True, parent_ids=(ROOT_ID,)),
        DEV: Account(DEV, "DEV", parent_ids=(ROOT_ID, OU_DEV)),
        PROD: Account(PROD, "PROD", parent_ids=(ROOT_ID, OU_PROD)),
    }
    extra: list[Resource] = []
    if with_scps:
        extra = [
            scp("FullAWSAccess", doc(allow("*")), ROOT_ID, OU_DEV, OU_PROD, MGMT, DEV, PROD),
            scp(
                "Guardrails",
                doc({"Effect": "Deny", "Action": "organizations:LeaveOrganization", "Resource": "*"}),
                OU_PROD,
            ),
        ]
        for ou, name in ((OU_DEV, "Dev"), (OU_PROD, "Prod")):
            extra.append(
                Resource(
                    "AWS::Organizations::OrganizationalUnit",
                    ou,
                    f"arn:aws:organizations::{MGMT}:ou/{ou}",
                    MGMT,
                    "global",
                    name,
                    {"id": ou, "parentIds": [ROOT_ID]},
                )
            )
    return Inventory(
        resources=[*resources, *extra],
        accounts=accounts,
        organization={"id": ORG_ID, "managementAccountId": MGMT},
    )
