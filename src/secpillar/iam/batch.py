"""The batch format: one JSON object per line, ``{"request": {...}, "policies": {...}}``.

``request``: ``principal`` (ARN, service principal, or absent/``*`` for anonymous), ``action``,
``resource``, optional ``resourceAccount``, ``context`` (key names case-insensitive; a JSON list is a
multivalued key) and ``managementAccount``. ``policies``: ``identity`` [doc…], ``resource`` doc-or-null,
``boundaries`` [doc…], ``scps`` [[doc…] per level, root first], ``rcps`` likewise, ``session``
doc-or-null, ``endpoint`` [doc…]. Absent keys mean none of that type; absent ``scps``/``rcps`` mean
the account is not in an organization. Each answer is ``{"decision": ..., "reasons": [...]}``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from secpillar.errors import SecpillarError, ValidationError
from secpillar.iam.evaluate import Decision, PolicySet, Request, evaluate


def request_from_json(raw: object) -> Request:
    if not isinstance(raw, Mapping):
        raise ValidationError("request must be an object", where="request")
    action = raw.get("action")
    if not isinstance(action, str) or not action:
        raise ValidationError("request.action is required", where="request.action")
    ctx = raw.get("context") or {}
    if not isinstance(ctx, Mapping):
        raise ValidationError("request.context must be an object", where="request.context")
    resource = raw.get("resource") or "*"
    acct = raw.get("resourceAccount")
    mgmt = raw.get("managementAccount")
    return Request(
        principal=raw.get("principal"),
        action=action,
        resource=str(resource),
        resource_account=str(acct) if acct else None,
        context=ctx,
        management_account=str(mgmt) if mgmt else None,
    )


def run_case(case: Mapping[str, Any]) -> Decision:
    """Evaluate one decoded case."""
    request = request_from_json(case.get("request"))
    pol = case.get("policies") or {}
    if not isinstance(pol, Mapping):
        raise ValidationError("policies must be an object", where="policies")
    mgmt = case.get("managementAccount")
    if mgmt and not request.management_account:
        request = Request(
            request.principal, request.action, request.resource, request.resource_account,
            request.context, str(mgmt),
        )  # fmt: skip
    return evaluate(request, PolicySet.from_documents(pol))


def run_lines(lines: Iterable[str]) -> Iterator[dict[str, Any]]:
    """One answer per non-blank line; a case that fails validation answers ``{"error", "where"}``."""
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            case = json.loads(line)
        except json.JSONDecodeError as exc:
            yield {"error": f"line {n}: not JSON: {exc.msg}", "where": f"line {n}"}
            continue
        try:
            yield run_case(case).to_dict()
        except SecpillarError as exc:
            yield {"error": str(exc), "where": getattr(exc, "where", "")}
