"""Frameworks that checks cite: the Well-Architected Security Pillar (the source of WA ids),
CIS AWS Foundations Benchmark v5.0 and AWS Foundational Security Best Practices (mapping targets).

Each framework is a data file beside this module; :func:`framework` loads one by its id
(``wa-security``, ``cis-5.0``, ``fsbp``). ``CIS`` and ``FSBP`` are the keys findings use in their
``frameworks`` object."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from secpillar.errors import UsageError

CIS = "cis-aws-foundations-v5.0"
FSBP = "aws-fsbp"

WA_SECURITY = "wa-security"
CIS_ID = "cis-5.0"
FSBP_ID = "fsbp"

EVIDENCE_CLASSES = ("automated", "partial", "process")


@dataclass(frozen=True, slots=True)
class BestPractice:
    id: str
    title: str
    evidence: str
    """``automated``, ``partial`` or ``process`` (can configuration evidence it?)."""
    question_id: str
    question_title: str


@dataclass(frozen=True, slots=True)
class Control:
    """One requirement of a framework (a CIS recommendation, an FSBP control, a WA best practice)."""

    id: str
    title: str
    section: str
    """The question (WA), section (CIS) or service (FSBP) it belongs to."""
    evidence: str = ""
    """WA only: ``automated``, ``partial`` or ``process``."""


@dataclass(frozen=True, slots=True)
class Framework:
    id: str
    name: str
    version: str
    source: str
    finding_key: str
    """The key of this framework in a finding's ``frameworks`` object (``""`` for WA: ``wa``)."""
    sections: tuple[tuple[str, str], ...]
    """(id, title) of each question / section, in order."""
    controls: tuple[Control, ...]

    def get(self, control_id: str) -> Control | None:
        return self.by_id.get(control_id)

    @property
    def by_id(self) -> dict[str, Control]:
        return {c.id: c for c in self.controls}


def _load(name: str) -> dict[str, Any]:
    text = resources.files(__package__).joinpath(name).read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


@cache
def wa_best_practices() -> dict[str, BestPractice]:
    """Every best practice of the Security Pillar, by id (``SEC01-BP01`` …)."""
    data = _load("wa_security_pillar.json")
    out: dict[str, BestPractice] = {}
    for q in data["questions"]:
        for bp in q["best_practices"]:
            out[bp["id"]] = BestPractice(bp["id"], bp["title"], bp["evidence"], q["id"], q["title"])
    return out


def wa_title(bp_id: str) -> str:
    bp = wa_best_practices().get(bp_id)
    return bp.title if bp else bp_id


def wa_questions() -> list[tuple[str, str]]:
    """(id, title) of the pillar's questions, in order."""
    seen: dict[str, str] = {}
    for bp in wa_best_practices().values():
        seen.setdefault(bp.question_id, bp.question_title)
    return sorted(seen.items())


def _wa_framework() -> Framework:
    data = _load("wa_security_pillar.json")
    controls = tuple(
        Control(bp.id, bp.title, bp.question_id, bp.evidence) for bp in wa_best_practices().values()
    )
    return Framework(
        WA_SECURITY,
        "AWS Well-Architected Framework, Security Pillar",
        "current edition",
        str(data.get("classification", "")),
        "",
        tuple(wa_questions()),
        controls,
    )


def _cis_framework() -> Framework:
    data = _load("cis_aws_v5.json")
    sections = tuple((str(s["id"]), str(s["title"])) for s in data["sections"])
    controls = tuple(
        Control(str(c["id"]), str(c["title"]), str(s["id"])) for s in data["sections"] for c in s["controls"]
    )
    return Framework(CIS_ID, data["name"], data["version"], data["source"], CIS, sections, controls)


def _fsbp_framework() -> Framework:
    data = _load("aws_fsbp.json")
    controls = tuple(
        Control(str(c["id"]), str(c["title"]), str(c["id"]).split(".")[0]) for c in data["controls"]
    )
    services: dict[str, str] = {}
    for c in controls:
        services.setdefault(c.section, c.section)
    return Framework(
        FSBP_ID, data["name"], data["version"], data["source"], FSBP, tuple(services.items()), controls
    )


@cache
def frameworks() -> dict[str, Framework]:
    """Every framework, by id: ``wa-security``, ``cis-5.0``, ``fsbp``."""
    return {f.id: f for f in (_wa_framework(), _cis_framework(), _fsbp_framework())}


ALIASES = {
    "wa": WA_SECURITY,
    "wellarchitected": WA_SECURITY,
    "cis": CIS_ID,
    "cis-5": CIS_ID,
    "cis-v5.0": CIS_ID,
    CIS: CIS_ID,
    "aws-fsbp": FSBP_ID,
}


def framework(name: str) -> Framework:
    """A framework by id or alias; an unknown name is a usage error listing the known ones."""
    key = ALIASES.get(name.strip().lower(), name.strip().lower())
    try:
        return frameworks()[key]
    except KeyError:
        raise UsageError(f"unknown framework {name!r}; choose from {', '.join(frameworks())}") from None
