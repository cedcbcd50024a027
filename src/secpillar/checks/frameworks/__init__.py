"""Frameworks that checks cite: the Well-Architected Security Pillar (the source of WA ids),
CIS AWS Foundations Benchmark and AWS Foundational Security Best Practices (mapping targets)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources

CIS = "cis-aws-foundations-v5.0"
FSBP = "aws-fsbp"


@dataclass(frozen=True, slots=True)
class BestPractice:
    id: str
    title: str
    evidence: str
    """``automated``, ``partial`` or ``process`` (can configuration evidence it?)."""
    question_id: str
    question_title: str


@cache
def wa_best_practices() -> dict[str, BestPractice]:
    """Every best practice of the Security Pillar, by id (``SEC01-BP01`` …)."""
    text = resources.files(__package__).joinpath("wa_security_pillar.json").read_text("utf-8")
    data = json.loads(text)
    out: dict[str, BestPractice] = {}
    for q in data["questions"]:
        for bp in q["best_practices"]:
            out[bp["id"]] = BestPractice(bp["id"], bp["title"], bp["evidence"], q["id"], q["title"])
    return out


def wa_title(bp_id: str) -> str:
    bp = wa_best_practices().get(bp_id)
    return bp.title if bp else bp_id
