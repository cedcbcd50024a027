"""AWS CodeBuild projects (``AWS::CodeBuild::Project``) of each account and region.

Environment variables of type PLAINTEXT keep their name and a ``valueRedacted`` marker plus
``looksSecret`` (the value matched a credential pattern) -- the value itself never enters the
inventory. Source locations drop any user-info part (``https://user:token@host``) and record
``locationHasCredentials`` instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from secpillar.collect.base import CollectContext, Collector, Scope, camelize, register, tag_dict
from secpillar.collect.secret_patterns import looks_secret
from secpillar.model import Resource

PROJECT_TYPE = "AWS::CodeBuild::Project"


def _source(src: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = camelize({k: v for k, v in src.items() if k.lower() != "location"})
    loc = str(src.get("location") or src.get("Location") or "")
    if loc:
        parts = urlsplit(loc)
        has_creds = bool(parts.username or parts.password)
        out["locationHasCredentials"] = has_creds
        out["location"] = parts._replace(netloc=parts.hostname or "").geturl() if has_creds else loc
    return out


def transform_project(raw: Mapping[str, Any], account_id: str, region: str) -> Resource:
    config: dict[str, Any] = camelize(
        {k: v for k, v in raw.items() if k not in {"environment", "source", "secondarySources", "tags"}}
    )
    env = dict(raw.get("environment") or {})
    variables = []
    for var in env.pop("environmentVariables", None) or ():
        entry = {"name": var.get("name", ""), "type": var.get("type", "PLAINTEXT")}
        if entry["type"] == "PLAINTEXT":
            entry["looksSecret"] = looks_secret(str(entry["name"]), str(var.get("value", "")))
        variables.append(entry)
    config["environment"] = {**camelize(env), "environmentVariables": variables}
    config["source"] = _source(raw.get("source") or {})
    config["secondarySources"] = [_source(s) for s in raw.get("secondarySources") or ()]
    return Resource(
        resource_type=PROJECT_TYPE,
        resource_id=str(raw.get("name", "")),
        arn=str(raw.get("arn", "")),
        account_id=account_id,
        region=region,
        name=str(raw.get("name", "")),
        configuration=config,
        tags=tag_dict(raw.get("tags")),
    )


@register
class CodeBuildCollector(Collector):
    id = "codebuild"
    scope = Scope.REGIONAL
    resource_types = (PROJECT_TYPE,)
    permissions = ("codebuild:ListProjects", "codebuild:BatchGetProjects")

    def collect(self, ctx: CollectContext) -> Iterable[Resource]:
        cb = ctx.client("codebuild", attempts=2)
        names = ctx.paginate(cb, "list_projects", "projects") or []
        for i in range(0, len(names), 100):
            got = ctx.call(cb, "batch_get_projects", names=names[i : i + 100])
            for project in (got or {}).get("projects") or ():
                yield transform_project(project, ctx.account_id, ctx.region)
