"""Run a game day: for each technique, in order — select, probe, warm up, detonate, collect the new
CloudTrail into the lake, run the detections, let the response act, verify, clean up, probe again.

Every call a technique makes carries the user agent ``secpillar-gameday/<run>/<technique>/<phase>``;
the records of the ``detonate`` phase are the technique's own, and an alert counts for the
technique when it names one of them. Times are measured from the end of the detonation to the
detection pass that first showed the alert, and to the first check that found the expected
response's result in place.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import shutil
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from secpillar.aws.assume import assume_role_factory
from secpillar.aws.errors import classify, short_message
from secpillar.aws.session import ClientFactory, sibling_session
from secpillar.detect import load_all as load_detections
from secpillar.detect.registry import ParamValue
from secpillar.detect.runner import Alert, run_detections
from secpillar.gameday import load_all
from secpillar.gameday.response import LocalResponder, actions_for, load_rules
from secpillar.gameday.score import GameDay, TechniqueResult
from secpillar.gameday.target import Target
from secpillar.gameday.technique import Context, SandboxHooks, Skip, Technique
from secpillar.gameday.trail import TrailFeed
from secpillar.lake import store
from secpillar.model import GapKind

SOURCE_IP_HEADER = "X-Secpillar-Source-Ip"
AWS_ERRORS = (ClientError, BotoCoreError)


@dataclass
class RunOptions:
    techniques: Sequence[str] = ()
    respond: str = "local"
    """``local`` (the respond engine runs here), ``external`` (only check), ``off``."""
    rules: Path | None = None
    wait: float = 10.0
    """Seconds to wait, per technique, for its events, its alerts and the response."""
    poll: float = 0.5
    params: Mapping[str, Mapping[str, ParamValue]] = field(default_factory=dict)
    out: Path | None = None
    """Keep the lake, the delivered CloudTrail files and the change store here."""
    rescan: bool = False


@dataclass
class Progress:
    on_start: Callable[[Technique], None] | None = None
    on_done: Callable[[TechniqueResult], None] | None = None
    on_phase: Callable[[str], None] | None = None


def attacker_address(technique_id: str) -> str:
    """A documentation address (RFC 5737, 198.51.100.0/24) standing for the technique's attacker."""
    return f"198.51.100.{int(hashlib.sha256(technique_id.encode()).hexdigest()[:4], 16) % 200 + 20}"


class Tagger:
    """Adds the current context's tag to the user agent of every call of the attacker's clients
    (and, in the sandbox, the attacker's address to detonation calls)."""

    def __init__(self, sandbox: bool) -> None:
        self.sandbox = sandbox
        self.ctx: Context | None = None
        self._hooked: set[int] = set()

    def wrap(self, factory: ClientFactory) -> Callable[[str, str | None], Any]:
        def get(service: str, region: str | None = None) -> Any:
            client = factory.client(service, region)
            if id(client) not in self._hooked:
                client.meta.events.register("before-send", self._tag)
                self._hooked.add(id(client))
            return client

        return get

    def _tag(self, request: Any, **_: Any) -> None:
        ctx = self.ctx
        if ctx is None:
            return
        agent = request.headers.get("User-Agent", "")
        agent = agent.decode() if isinstance(agent, bytes) else str(agent)
        request.headers["User-Agent"] = f"{agent} {ctx.tag}".strip()
        if self.sandbox and ctx.phase == "detonate" and ctx.source_ip:
            request.headers[SOURCE_IP_HEADER] = ctx.source_ip


def probe_diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    out = []
    for key in sorted(set(before) | set(after)):
        a, b = before.get(key), after.get(key)
        if json.dumps(a, sort_keys=True, default=str) != json.dumps(b, sort_keys=True, default=str):
            out.append(f"{key}: {_short(a)} before, {_short(b)} after")
    return out


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= 160 else text[:157] + "..."


def _error(exc: BaseException) -> str:
    return short_message(exc) if isinstance(exc, ClientError) else f"{type(exc).__name__}: {exc}"


class GameDayRunner:
    def __init__(self, target: Target, options: RunOptions, progress: Progress | None = None) -> None:
        self.target = target
        self.options = options
        self.progress = progress or Progress()
        self.run_id = secrets.token_hex(3)
        self.techniques = load_all().select(list(options.techniques))
        self.detections = [d for d in load_detections() if d.source == "cloudtrail"]
        self.params = {k: dict(v) for k, v in target.params.items()}
        for det, values in options.params.items():
            self.params.setdefault(det, {}).update(values)
        self.rules = load_rules(options.rules)
        self.tagger = Tagger(target.sandbox_url is not None)
        attacker = ClientFactory(target.clients.session, target.clients.endpoint_url)
        self.attacker = attacker
        self.client_for = self.tagger.wrap(attacker)
        self.by_id: dict[str, dict[str, Any]] = {}

    # -- set-up -------------------------------------------------------------------------------------
    def _hooks(self) -> SandboxHooks | None:
        url = self.target.sandbox_url
        if url is None:
            return None
        from secpillar.sandbox.console import DEFAULT_AGENT, simulate_console_login

        root = ClientFactory(
            sibling_session(
                self.attacker.session,
                aws_access_key_id=f"ROOTGAMEDAY{self.run_id.upper()}",
                aws_secret_access_key="gameday",
                region_name=self.target.region,
            ),
            url,
        )
        root_get = self.tagger.wrap(root)

        def console_login(**kwargs: Any) -> dict[str, Any]:
            ctx = self.tagger.ctx
            agent = f"{DEFAULT_AGENT} {ctx.tag}" if ctx else DEFAULT_AGENT
            return simulate_console_login(url, account=self.target.account_id, user_agent=agent, **kwargs)

        return SandboxHooks(console_login=console_login, root_client=lambda service: root_get(service, None))

    def _assume(self, role_arn: str, session_name: str) -> Callable[[str, str | None], Any]:
        return self.tagger.wrap(assume_role_factory(self.attacker, role_arn, session_name))

    def _flush(self) -> Callable[[], None] | None:
        url = self.target.sandbox_url
        if url is None:
            return None
        from secpillar.sandbox.console import flush_cloudtrail

        def flush() -> None:
            flush_cloudtrail(url)

        return flush

    # -- the run ------------------------------------------------------------------------------------
    def run(self) -> GameDay:
        started = datetime.now(UTC)
        t0 = time.monotonic()
        keep = self.options.out is not None
        work = self.options.out or Path(tempfile.mkdtemp(prefix="secpillar-gameday-"))
        work.mkdir(parents=True, exist_ok=True)
        game = GameDay(
            run_id=self.run_id,
            target={
                "kind": self.target.kind,
                "label": self.target.label,
                "account": self.target.account_id,
                "region": self.target.region,
            },
            started=started.isoformat(timespec="seconds").replace("+00:00", "Z"),
        )
        try:
            regions = {self.target.region, "us-east-1"} | {r for t in self.techniques for r in t.regions}
            before = self._scan() if self.options.rescan else None
            self.feed = TrailFeed(self.target.trail, work, work / "lake", regions, self._flush(), started)
            self.feed.mark_existing()  # what was delivered before (the scan's calls too) is not ours
            self.responder = (
                LocalResponder(self.rules, self.target.clients, work / "respond")
                if self.options.respond == "local"
                else None
            )
            hooks = self._hooks()
            for technique in self.techniques:
                if self.progress.on_start:
                    self.progress.on_start(technique)
                result = self.run_one(technique, hooks)
                game.results.append(result)
                if self.progress.on_done:
                    self.progress.on_done(result)
            if before is not None:
                game.rescan = self._compare(before, self._scan())
        finally:
            self.tagger.ctx = None
            if not keep:
                shutil.rmtree(work, ignore_errors=True)
        game.seconds = time.monotonic() - t0
        return game

    def _result(self, t: Technique) -> TechniqueResult:
        expected = (
            sorted(actions_for(self.rules, t.detections))
            if self.options.respond == "local"
            else list(t.responses)
        )
        return TechniqueResult(
            id=t.id,
            title=t.title,
            attack=t.attack,
            tactic=t.tactic,
            severity=t.severity.value,
            expected_detections=list(t.detections),
            expected_responses=expected if self.options.respond != "off" else [],
        )

    def run_one(self, t: Technique, hooks: SandboxHooks | None) -> TechniqueResult:
        res = self._result(t)
        started = time.monotonic()
        if t.not_emulated:
            res.status, res.reason = "not-emulated", t.not_emulated
            return res
        if t.sandbox_only and hooks is None:
            res.status, res.reason = "skipped", t.sandbox_only
            return res
        ctx = Context(
            run_id=self.run_id,
            technique_id=t.id,
            account_id=self.target.account_id,
            region=self.target.region,
            client_for=self.client_for,
            assume=self._assume,
            sandbox=hooks,
        )
        self.tagger.ctx = ctx
        try:
            t.select(ctx)
        except Skip as exc:
            res.status, res.reason = "skipped", str(exc)
            return res
        except AWS_ERRORS as exc:
            res.status, res.error = "error", f"select: {_error(exc)}"
            return res
        ctx.phase = "probe"
        before = t.probe(ctx)
        try:
            self._attack(t, ctx, res)
        finally:
            self._cleanup(t, ctx, res, before)
            res.seconds = round(time.monotonic() - started, 3)
        return res

    def _attack(self, t: Technique, ctx: Context, res: TechniqueResult) -> None:
        try:
            ctx.phase = "warm-up"
            t.warm_up(ctx)
            if self.responder is not None and getattr(t, "baseline_bucket", False):
                self.responder.baseline_bucket(ctx.state["bucket"])
            ctx.phase, ctx.source_ip = "detonate", attacker_address(t.id)
            t.detonate(ctx)
        except Skip as exc:
            res.status, res.reason = "skipped", str(exc)
            return
        except AWS_ERRORS as exc:
            denied = isinstance(exc, ClientError) and classify(exc) is GapKind.DENIED
            res.status = "prevented" if denied and ctx.phase == "detonate" else "error"
            res.error = f"{ctx.phase}: {_error(exc)}"
            if res.status == "error":
                return
        detonated = time.monotonic()
        ctx.phase = "observe"
        mine, alerts = self._observe(t, ctx, res, detonated)
        if res.status != "ran" or not res.expected_responses:
            return
        ctx.phase = "verify"
        if self.responder is not None:
            res.responses = self.responder.handle(list(mine.values()), alerts, self.by_id)
        deadline = detonated + self.options.wait
        while True:
            if t.remediated(ctx):
                res.remediated = True
                res.seconds_to_remediate = round(time.monotonic() - detonated, 3)
                return
            if time.monotonic() >= deadline:
                return
            time.sleep(self.options.poll)

    def _observe(
        self, t: Technique, ctx: Context, res: TechniqueResult, detonated: float
    ) -> tuple[dict[str, dict[str, Any]], list[Alert]]:
        """Poll the trail until the detonation's events are in the lake, then run the detections
        until every expected one fired (or the wait is over)."""
        tag = f"secpillar-gameday/{self.run_id}/{t.id}/detonate"
        mine: dict[str, dict[str, Any]] = {}
        alerts: dict[str, Alert] = {}
        deadline = detonated + self.options.wait
        while True:
            for rec in self.feed.poll():
                eid = str(rec.get("eventID", ""))
                self.by_id[eid] = rec
                if tag in str(rec.get("userAgent", "")):
                    mine[eid] = rec
            names = {str(r.get("eventName")) for r in mine.values()}
            now = time.monotonic()
            if set(t.events) <= names or now >= deadline:
                for alert in self._detect():
                    if set(alert.event_ids) & mine.keys() and alert.uid not in alerts:
                        alerts[alert.uid] = alert
                        if res.seconds_to_detect is None:
                            res.seconds_to_detect = round(time.monotonic() - detonated, 3)
                fired = {a.detection_id for a in alerts.values()}
                if set(t.detections) <= fired or now >= deadline or res.status != "ran":
                    break
            time.sleep(self.options.poll)
        res.events = sorted(names)
        res.event_ids = sorted(mine)
        res.detections = sorted({a.detection_id for a in alerts.values()})
        res.missed_detections = sorted(set(t.detections) - set(res.detections))
        res.detected = bool(res.detections) and not res.missed_detections
        if res.status != "ran":
            res.seconds_to_detect = None
        return mine, list(alerts.values())

    def _detect(self) -> list[Alert]:
        con = store.connect(self.feed.lake)
        try:
            return run_detections(con, self.detections, self.params).alerts
        finally:
            con.close()

    def _cleanup(self, t: Technique, ctx: Context, res: TechniqueResult, before: Mapping[str, Any]) -> None:
        ctx.phase = "cleanup"
        try:
            t.cleanup(ctx)
        except AWS_ERRORS as exc:
            res.left_behind.append(f"cleanup failed: {_error(exc)}")
        ctx.phase = "probe"
        try:
            res.left_behind += probe_diff(before, t.probe(ctx))
        except AWS_ERRORS as exc:
            res.left_behind.append(f"could not check what is left: {_error(exc)}")
        self.tagger.ctx = None

    # -- verification by scanning -------------------------------------------------------------------
    def _scan(self) -> dict[str, str]:
        """FAIL findings of the attacked account (finding id -> check id and resource)."""
        from secpillar.scan import ScanOptions, run_scan

        regions = sorted({self.target.region} | {r for t in self.techniques for r in t.regions})
        options = ScanOptions(
            endpoint_url=self.target.endpoint_url,
            use_org=self.target.kind == "sandbox",
            accounts=list(self.target.scan_accounts),
            regions=regions,
        )
        if self.progress.on_phase:
            self.progress.on_phase("scanning the attacked account")
        result = run_scan(options)
        return {
            f.finding_id: f"{f.check_id} {f.resource.arn}"
            for f in result.findings
            if f.status.value == "FAIL"
        }

    @staticmethod
    def _compare(before: Mapping[str, str], after: Mapping[str, str]) -> dict[str, Any]:
        return {
            "fail_before": len(before),
            "fail_after": len(after),
            "new_fail": sorted(after[k] for k in set(after) - set(before)),
            "resolved": sorted(before[k] for k in set(before) - set(after)),
        }


def run_gameday(target: Target, options: RunOptions, progress: Progress | None = None) -> GameDay:
    return GameDayRunner(target, options, progress).run()


DEMO_TECHNIQUES = (
    "aws.defense-evasion.cloudtrail-stop",
    "aws.defense-evasion.security-group-open-port-22",
    "aws.collection.s3-bucket-public-policy",
    "aws.persistence.iam-backdoor-access-key",
    "aws.impact.kms-key-deletion",
    "aws.credential-access.console-brute-force",
)
"""The short game day ``secpillar demo`` ends with: one technique per defence the demo shows."""


def short_gameday(url: str, accounts: Mapping[str, str]) -> GameDay:
    """:data:`DEMO_TECHNIQUES` against a seeded sandbox that is already running at ``url``."""
    from secpillar.gameday.target import sandbox_target

    target = sandbox_target(url, dict(accounts))
    return run_gameday(target, RunOptions(techniques=DEMO_TECHNIQUES, wait=5.0, poll=0.25))
