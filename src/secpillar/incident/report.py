"""Post-mortems: Markdown and a self-contained HTML page (no external resources, jinja2 with
autoescaping: every value from logs is shown as text, never as markup)."""

from __future__ import annotations

import re
from importlib import resources
from typing import Any

import jinja2

from secpillar.checks.frameworks import wa_best_practices
from secpillar.incident.improvements import Improvement, impact, improvements
from secpillar.incident.service import Incident, merged_timeline

PILLAR_URL = "https://docs.aws.amazon.com/wellarchitected/latest/security-pillar/welcome.html"
FORMATS = ("md", "html")


def postmortem(inc: Incident, verified: bool, problems: tuple[str, ...] = ()) -> dict[str, Any]:
    """The post-mortem's content as plain data (what both formats render)."""
    items = merged_timeline(inc)
    bps = wa_best_practices()
    imps: list[Improvement] = improvements(inc.timeline)
    times = [str(i["time"]) for i in inc.timeline if i.get("time")]
    actions = [i for i in inc.timeline if i["kind"] == "action"]
    return {
        "incident": inc,
        "items": items,
        "impact": impact(inc.timeline),
        "actions": actions,
        "improvements": [
            {
                "rank": n,
                "severity": imp.severity,
                "title": imp.title,
                "text": imp.text,
                "wa": imp.wa,
                "wa_title": bps[imp.wa].title if imp.wa in bps else imp.wa,
                "wa_question": bps[imp.wa].question_title if imp.wa in bps else "",
                "evidence": list(imp.evidence[:5]),
                "more": max(0, len(imp.evidence) - 5),
            }
            for n, imp in enumerate(imps, 1)
        ],
        "counts": {
            "api-call": sum(i["kind"] == "api-call" for i in inc.timeline),
            "alert": sum(i["kind"] == "alert" for i in inc.timeline),
            "action": len(actions),
            "note": len(inc.notes),
        },
        "first": min(times) if times else "",
        "last": max(times) if times else "",
        "verified": verified,
        "problems": list(problems),
        "pillar_url": PILLAR_URL,
    }


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~])")


def md(value: Any) -> str:
    """A value as Markdown text: specials backslash-escaped, ``<``/``>``/``&`` as entities, one line."""
    text = " ".join(str(value if value is not None else "").split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", text)


def render(inc: Incident, fmt: str, verified: bool, problems: tuple[str, ...] = ()) -> str:
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}")
    env = jinja2.Environment(
        autoescape=fmt == "html", undefined=jinja2.StrictUndefined, keep_trailing_newline=True
    )
    env.globals["md"] = md
    name = "postmortem.html.j2" if fmt == "html" else "postmortem.md.j2"
    source = resources.files("secpillar.incident").joinpath("templates", name).read_text("utf-8")
    template = env.from_string(source)
    return template.render(inc=inc, pm=postmortem(inc, verified, problems))
