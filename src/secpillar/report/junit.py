"""JUnit XML for CI dashboards: one ``<testsuite>`` per check, one ``<testcase>`` per resource.

FAIL becomes ``<failure>``, ERROR ``<error>``, MUTED ``<skipped>``; PASS is a bare testcase. The
element and attribute names are those of the common JUnit schema that Jenkins, GitLab and
GitHub test reporters read (``testsuites`` > ``testsuite[name, tests, failures, errors, skipped,
time]`` > ``testcase[name, classname, time]`` > ``failure|error|skipped[message, type]``).
Characters XML 1.0 cannot carry (control characters in a tag value) are dropped."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Iterable, Mapping

from secpillar.model import Finding, Status

_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _x(text: object) -> str:
    return _INVALID_XML.sub("", str(text))


def _mute_reason(f: Finding) -> str:
    """The mute list entry's reason, owner and expiry (``evidence.mute``), else the message."""
    mute = f.evidence.get("mute")
    if not isinstance(mute, dict):
        return f.message
    return f"{mute.get('reason', '')} (owner {mute.get('owner', '')}, until {mute.get('expires', '')})"


def _case_name(f: Finding, names: Mapping[str, str]) -> str:
    account = names.get(f.resource.account, "")
    where = f"{account} ({f.resource.account})" if account else f.resource.account
    return f"{f.resource.arn} [{where}, {f.resource.region}]"


def junit_xml(
    findings: Iterable[Finding],
    account_names: Mapping[str, str] | None = None,
    suite_name: str = "secpillar",
) -> str:
    names = account_names or {}
    by_check: dict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        by_check[f.check_id].append(f)
    root = ET.Element("testsuites", name=suite_name)
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for check_id in sorted(by_check):
        items = sorted(
            by_check[check_id], key=lambda f: (f.resource.account, f.resource.region, f.resource.arn)
        )
        counts = {
            "tests": len(items),
            "failures": sum(f.status is Status.FAIL for f in items),
            "errors": sum(f.status is Status.ERROR for f in items),
            "skipped": sum(f.status is Status.MUTED for f in items),
        }
        for k, v in counts.items():
            totals[k] += v
        suite = ET.SubElement(
            root,
            "testsuite",
            name=_x(check_id),
            tests=str(counts["tests"]),
            failures=str(counts["failures"]),
            errors=str(counts["errors"]),
            skipped=str(counts["skipped"]),
            time="0",
        )
        props = ET.SubElement(suite, "properties")
        ET.SubElement(props, "property", name="title", value=_x(items[0].title))
        ET.SubElement(props, "property", name="severity", value=items[0].severity.value)
        ET.SubElement(props, "property", name="wa", value=" ".join(items[0].wa))
        for f in items:
            case = ET.SubElement(
                suite, "testcase", name=_x(_case_name(f, names)), classname=_x(check_id), time="0"
            )
            body = _x(f"{f.message}\n\nResource: {f.resource.arn}\nRemediation: {f.remediation}")
            if f.status is Status.FAIL:
                el = ET.SubElement(case, "failure", message=_x(f.message), type=f.severity.value)
                el.text = body
            elif f.status is Status.ERROR:
                el = ET.SubElement(case, "error", message=_x(f.message), type="CheckError")
                el.text = body
            elif f.status is Status.MUTED:
                ET.SubElement(case, "skipped", message=_x(f"muted: {_mute_reason(f)}"))
    for k, v in totals.items():
        root.set(k, str(v))
    root.set("time", "0")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
