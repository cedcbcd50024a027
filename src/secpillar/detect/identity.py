"""Detections on identities: root use, console sign-in, brute force, IAM persistence and escalation.

Console sign-in events (eventSource ``signin.amazonaws.com``, eventName ``ConsoleLogin``,
eventType ``AwsConsoleSignIn``) carry the outcome in ``responseElements.ConsoleLogin``
(``Success``/``Failure``, with ``errorMessage`` "Failed authentication" on failure) and the MFA
use in ``additionalEventData.MFAUsed`` (``Yes``/``No``); see the CloudTrail User Guide,
"AWS Management Console sign-in events". A failed sign-in with an unknown user name records the
user name as ``HIDDEN_DUE_TO_SECURITY_REASONS``.
"""

from __future__ import annotations

from secpillar.detect.registry import Detection, Param, register
from secpillar.detect.sql import (
    EPOCH,
    NOT_SERVICE,
    PRINCIPAL,
    SUCCEEDED,
    TS,
    aed,
    burst_sql,
    event_sql,
    re_,
    rp,
)
from secpillar.model import Severity

CONSOLE_LOGIN = "eventsource = 'signin.amazonaws.com' AND eventname = 'ConsoleLogin'"
LOGIN_FAILED = f"{CONSOLE_LOGIN} AND ({re_('ConsoleLogin')} = 'Failure' OR COALESCE(errormessage, '') <> '')"
LOGIN_OK = f"{CONSOLE_LOGIN} AND {re_('ConsoleLogin')} = 'Success'"
HIDDEN = "'HIDDEN_DUE_TO_SECURITY_REASONS'"
LOGIN_USER = (
    f"CASE WHEN COALESCE(useridentity.username, '') = {HIDDEN} THEN NULL "
    "ELSE COALESCE(NULLIF(useridentity.arn, ''), NULLIF(useridentity.username, '')) END"
)
WINDOW = Param("window_minutes", 15, "Events of one burst follow each other within this many minutes.")


@register
class RootCredentialUse(Detection):
    id = "ct.root-credential-use"
    title = "Root user credentials used"
    severity = Severity.HIGH
    guardduty = "Policy:IAMUser/RootCredentialUsage"
    attack = ("T1078.004",)
    tactic = "Privilege Escalation"
    wa = ("SEC01-BP02", "SEC02-BP01")
    params = (
        Param("window_minutes", 60, "Root calls within this many minutes of each other form one alert."),
    )
    description = (
        "Calls made with the account's root user (userIdentity.type Root), not by an AWS service on its "
        "behalf. The root user should be locked away; any use deserves a look."
    )
    sql = burst_sql(
        where=f"useridentity.type = 'Root' AND {NOT_SERVICE}",
        key="COALESCE(recipientaccountid, useridentity.accountid) || '|' || COALESCE(sourceipaddress, '')",
        threshold="1",
        detail_noun="calls",
    )


@register
class ConsoleLoginWithoutMfa(Detection):
    id = "ct.console-login-without-mfa"
    title = "Console sign-in without MFA"
    severity = Severity.MEDIUM
    attack = ("T1078.004",)
    tactic = "Initial Access"
    wa = ("SEC02-BP01",)
    description = (
        "A successful console sign-in of an IAM user or the root user with additionalEventData.MFAUsed "
        "'No'. Federated sign-ins (SAML, IAM Identity Center) are out of scope: their MFA is the IdP's."
    )
    sql = event_sql(
        f"{LOGIN_OK} AND upper({aed('MFAUsed')}) = 'NO' AND useridentity.type IN ('IAMUser', 'Root')",
        resource="useridentity.arn",
        detail="'console sign-in without MFA'",
    )


@register
class ConsoleBruteForceFromIp(Detection):
    id = "ct.console-brute-force-ip"
    title = "Console brute force: many failed sign-ins from one address"
    severity = Severity.MEDIUM
    attack = ("T1110.001",)
    tactic = "Credential Access"
    wa = ("SEC02-BP01", "SEC04-BP03")
    params = (Param("threshold", 5, "Failed sign-ins in one burst that raise an alert."), WINDOW)
    description = (
        "A burst of failed ConsoleLogin events from one source IP address, against one user or many "
        "(password guessing or spraying)."
    )
    sql = burst_sql(where=LOGIN_FAILED, key="sourceipaddress", detail_noun="failed sign-ins")


@register
class ConsoleBruteForceAgainstUser(Detection):
    id = "ct.console-brute-force-user"
    title = "Console brute force: many failed sign-ins against one user"
    severity = Severity.MEDIUM
    attack = ("T1110.001",)
    tactic = "Credential Access"
    wa = ("SEC02-BP01", "SEC04-BP03")
    params = (Param("threshold", 5, "Failed sign-ins in one burst that raise an alert."), WINDOW)
    description = (
        "A burst of failed ConsoleLogin events against one user, from any number of addresses. "
        "Failures CloudTrail records as HIDDEN_DUE_TO_SECURITY_REASONS (unknown user names) are skipped."
    )
    sql = burst_sql(
        where=f"{LOGIN_FAILED} AND ({LOGIN_USER}) IS NOT NULL",
        key=LOGIN_USER,
        resource=LOGIN_USER,
        detail_noun="failed sign-ins",
    )


@register
class ConsoleLoginAfterFailures(Detection):
    id = "ct.console-login-after-failures"
    title = "Console sign-in succeeded after a burst of failures"
    severity = Severity.HIGH
    guardduty = None
    attack = ("T1110.001", "T1078.004")
    tactic = "Credential Access"
    wa = ("SEC02-BP01", "SEC04-BP03")
    params = (
        Param("threshold", 3, "Failed sign-ins before the success that raise an alert."),
        Param("window_minutes", 30, "The failures happened within this many minutes before the success."),
    )
    description = (
        "A successful ConsoleLogin preceded, from the same address or for the same user, by failed "
        "sign-ins: a guessed password. The alert lists the failures and the success."
    )
    sql = f"""
WITH logins AS (
  SELECT eventid, {TS} AS ts, {EPOCH} AS t, sourceipaddress AS ip, {LOGIN_USER} AS usr,
         {PRINCIPAL} AS principal, COALESCE(recipientaccountid, useridentity.accountid) AS account,
         awsregion AS region, CASE WHEN {re_("ConsoleLogin")} = 'Success' THEN 1 ELSE 0 END AS ok
  FROM cloudtrail
  WHERE {CONSOLE_LOGIN}
),
pairs AS (
  SELECT s.eventid AS sid, s.ts AS sts, s.ip AS sip, s.principal AS sprincipal, s.account AS saccount,
         s.region AS sregion, f.eventid AS fid, f.ts AS fts
  FROM logins s
  JOIN logins f
    ON f.ok = 0 AND (f.ip = s.ip OR f.usr = s.usr)
   AND f.t <= s.t AND f.t >= s.t - ${{window_minutes}} * 60
  WHERE s.ok = 1
)
SELECT
  list_concat(list(fid), [sid]) AS event_ids,
  MIN(sprincipal) AS principal,
  MIN(sip) AS source_ip,
  MIN(saccount) AS account,
  MIN(sregion) AS region,
  MIN(fts) AS first_seen,
  MIN(sts) AS last_seen,
  COUNT(*) + 1 AS event_count,
  MIN(sprincipal) AS resource,
  CAST(COUNT(*) AS VARCHAR) || ' failed sign-ins before the success' AS detail
FROM pairs
GROUP BY sid
HAVING COUNT(*) >= ${{threshold}}
"""


@register
class IamUserCreated(Detection):
    id = "ct.iam-user-created"
    title = "IAM user created"
    severity = Severity.LOW
    attack = ("T1136.003",)
    tactic = "Persistence"
    wa = ("SEC02-BP04", "SEC03-BP06")
    description = (
        "A new IAM user (iam:CreateUser). Organizations that use federation rarely create long-lived "
        "users; an attacker creates one to keep access."
    )
    sql = event_sql(
        f"eventsource = 'iam.amazonaws.com' AND eventname = 'CreateUser' AND {SUCCEEDED}",
        resource=rp("userName"),
        detail="'created user ' || " + rp("userName"),
    )


OTHER_USER = f"{rp('userName')} IS NOT NULL AND {rp('userName')} <> COALESCE(useridentity.username, '')"


@register
class AccessKeyForOtherUser(Detection):
    id = "ct.iam-access-key-for-other-user"
    title = "Access key created for another user"
    severity = Severity.HIGH
    guardduty = "Persistence:IAMUser/AnomalousBehavior"
    attack = ("T1098.001",)
    tactic = "Persistence"
    wa = ("SEC02-BP02", "SEC02-BP05")
    description = (
        "iam:CreateAccessKey whose requestParameters.userName names a user other than the caller: "
        "a backdoor key on someone else's user."
    )
    sql = event_sql(
        "eventsource = 'iam.amazonaws.com' AND eventname = 'CreateAccessKey' "
        f"AND {SUCCEEDED} AND {OTHER_USER}",
        resource=rp("userName"),
        detail="'access key created for ' || " + rp("userName"),
    )


@register
class LoginProfileForOtherUser(Detection):
    id = "ct.iam-login-profile-for-other-user"
    title = "Console password set for another user"
    severity = Severity.HIGH
    attack = ("T1098",)
    tactic = "Persistence"
    wa = ("SEC02-BP01", "SEC03-BP06")
    description = (
        "iam:CreateLoginProfile or iam:UpdateLoginProfile for a user other than the caller: someone "
        "gave themselves console access as that user."
    )
    sql = event_sql(
        f"eventsource = 'iam.amazonaws.com' AND eventname IN ('CreateLoginProfile', 'UpdateLoginProfile') "
        f"AND {SUCCEEDED} AND {OTHER_USER}",
        resource=rp("userName"),
        detail="eventname || ' for ' || " + rp("userName"),
    )


ADMIN_ARN = f"{rp('policyArn')} LIKE 'arn:%:iam::aws:policy/AdministratorAccess'"


@register
class AdminPolicyAttached(Detection):
    id = "ct.iam-admin-policy-attached"
    title = "AdministratorAccess policy attached"
    severity = Severity.HIGH
    guardduty = "PrivilegeEscalation:IAMUser/AnomalousBehavior"
    attack = ("T1098.003",)
    tactic = "Privilege Escalation"
    wa = ("SEC03-BP02", "SEC03-BP04")
    description = (
        "The AWS managed policy AdministratorAccess attached to a user, group or role "
        "(iam:AttachUserPolicy, AttachGroupPolicy, AttachRolePolicy)."
    )
    sql = event_sql(
        "eventsource = 'iam.amazonaws.com' AND eventname IN "
        f"('AttachUserPolicy', 'AttachGroupPolicy', 'AttachRolePolicy') AND {SUCCEEDED} AND {ADMIN_ARN}",
        resource=f"COALESCE({rp('userName')}, {rp('groupName')}, {rp('roleName')})",
        detail="eventname || ' ' || " + rp("policyArn"),
    )


INLINE_DOC = rp("policyDocument")


@register
class AdminInlinePolicy(Detection):
    id = "ct.iam-admin-inline-policy"
    title = "Inline policy granting every action on every resource"
    severity = Severity.HIGH
    guardduty = "PrivilegeEscalation:IAMUser/AnomalousBehavior"
    attack = ("T1098.003",)
    tactic = "Privilege Escalation"
    wa = ("SEC03-BP02", "SEC03-BP04")
    description = (
        "iam:PutUserPolicy, PutGroupPolicy or PutRolePolicy whose document allows Action '*' on "
        "Resource '*': administrator rights without the tell-tale managed policy."
    )
    sql = event_sql(
        "eventsource = 'iam.amazonaws.com' AND eventname IN "
        f"('PutUserPolicy', 'PutGroupPolicy', 'PutRolePolicy') AND {SUCCEEDED} "
        f'AND regexp_matches({INLINE_DOC}, \'"Effect"\\s*:\\s*"Allow"\') '
        f'AND regexp_matches({INLINE_DOC}, \'"Action"\\s*:\\s*(\\[\\s*)?"\\*"\') '
        f'AND regexp_matches({INLINE_DOC}, \'"Resource"\\s*:\\s*(\\[\\s*)?"\\*"\')',
        resource=f"COALESCE({rp('userName')}, {rp('groupName')}, {rp('roleName')})",
        detail="eventname || ' ' || " + rp("policyName"),
    )


EKS_ISSUER = (
    "regexp_matches(" + rp("url") + r", '^(https://)?oidc\.eks\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/id/')"
)
"""An EKS cluster's own issuer (IAM roles for service accounts): AWS runs it, not an outsider."""


@register
class FederationTrustAdded(Detection):
    id = "ct.iam-federation-trust-added"
    title = "Identity provider or Roles Anywhere trust anchor added"
    severity = Severity.MEDIUM
    attack = ("T1484.002",)
    tactic = "Persistence"
    wa = ("SEC02-BP04", "SEC03-BP07")
    description = (
        "iam:CreateSAMLProvider, CreateOpenIDConnectProvider, UpdateSAMLProvider, or IAM Roles "
        "Anywhere CreateTrustAnchor/UpdateTrustAnchor: whoever controls that identity provider or "
        "certificate authority can now obtain credentials in the account, without a user or key. "
        "An EKS cluster's own OIDC issuer (oidc.eks.<region>.amazonaws.com) does not fire."
    )
    sql = event_sql(
        f"{SUCCEEDED} AND ((eventsource = 'iam.amazonaws.com' AND (eventname IN "
        "('CreateSAMLProvider', 'UpdateSAMLProvider') OR (eventname = 'CreateOpenIDConnectProvider' "
        f"AND NOT COALESCE({EKS_ISSUER}, false)))) "
        "OR (eventsource = 'rolesanywhere.amazonaws.com' AND eventname IN "
        "('CreateTrustAnchor', 'UpdateTrustAnchor')))",
        resource=f"COALESCE({rp('name')}, {rp('url')}, {rp('sAMLProviderArn')}, {rp('trustAnchorId')})",
        detail="eventname",
    )


ORG_ACCOUNTS = Param(
    "org_accounts",
    (),
    "The organization's account ids; empty = every account whose events are in the lake.",
    derived="SELECT DISTINCT recipientaccountid FROM cloudtrail WHERE recipientaccountid IS NOT NULL",
)


@register
class RoleTrustOutsideAccount(Detection):
    id = "ct.role-trust-outside-account"
    title = "Role trust policy trusts an outside account"
    severity = Severity.HIGH
    attack = ("T1098.003",)
    tactic = "Persistence"
    wa = ("SEC03-BP07", "SEC03-BP09")
    params = (ORG_ACCOUNTS,)
    parity = False
    description = (
        "iam:UpdateAssumeRolePolicy (or CreateRole) whose trust policy names an account outside the "
        "organization (or any principal '*'): a backdoor role another account can assume."
    )
    sql = f"""
WITH ev AS (
  SELECT *, COALESCE({rp("policyDocument")}, {rp("assumeRolePolicyDocument")}) AS doc
  FROM cloudtrail
  WHERE eventsource = 'iam.amazonaws.com' AND eventname IN ('UpdateAssumeRolePolicy', 'CreateRole')
    AND {SUCCEEDED}
),
targets AS (
  SELECT *, UNNEST(list_concat(
    regexp_extract_all(doc, '(?:iam::|")([0-9]{{12}})[:"]', 1),
    CASE WHEN regexp_matches(doc, '"Principal"\\s*:\\s*"\\*"|"AWS"\\s*:\\s*(\\[[^\\]]*)?"\\*"')
         THEN ['*'] ELSE [] END)) AS target
  FROM ev
)
SELECT
  [eventid] AS event_ids,
  MIN({PRINCIPAL}) AS principal,
  MIN(sourceipaddress) AS source_ip,
  MIN(COALESCE(recipientaccountid, useridentity.accountid)) AS account,
  MIN(awsregion) AS region,
  MIN({TS}) AS first_seen,
  MIN({TS}) AS last_seen,
  CAST(1 AS BIGINT) AS event_count,
  MIN({rp("roleName")}) AS resource,
  'trusts ' || string_agg(DISTINCT target, ', ') AS detail
FROM targets
WHERE target = '*' OR target NOT IN ${{org_accounts}}
GROUP BY eventid
"""
