"""The change store (owner-only files, append-only log, torn last line after a crash, exemptions)
and the notification text (what / who / what was done / how to roll back; values from events
cannot inject headers or lines)."""

from __future__ import annotations

import json
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

from secpillar.respond.changes import Change, ChangeStore, change_id
from secpillar.respond.notify.email import build_email
from secpillar.respond.notify.message import build_notification
from secpillar.respond.notify.sns import sns_subject
from secpillar.respond.notify.webhook import slack_escape


def _change(status: str = "applied", cid: str = "chg-aaaaaaaaaaaaaaaaaaaa") -> Change:
    return Change(
        id=cid,
        action="s3.restore-bucket-policy",
        target={"account": "123456789012", "region": "us-east-1", "bucket": "data"},
        description="put back the known good bucket policy of bucket data",
        status=status,
    )


def test_store_is_owner_only_and_logs_every_transition(tmp_path: Path) -> None:
    store = ChangeStore(tmp_path / "state").init()
    ch = _change("planned")
    store.save(ch)
    store.save(ch, "applying")
    store.save(ch, "applied")
    assert stat.S_IMODE((tmp_path / "state").stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "state" / "changes" / f"{ch.id}.json").stat().st_mode) == 0o600
    assert stat.S_IMODE(store.log_path.stat().st_mode) == 0o600
    assert [e["status"] for e in store.log()] == ["planned", "applying", "applied"]
    assert store.require(ch.id).status == "applied" and len(store.require(ch.id).history) == 3
    with store.log_path.open("a") as fh:
        fh.write('{"torn": ')  # a crash in the middle of a line
    assert len(list(store.log())) == 3


def test_change_ids_are_stable_and_mode_specific() -> None:
    t = {"bucket": "b", "account": "1"}
    assert change_id("e1", "r", "a", t) == change_id("e1", "r", "a", dict(reversed(list(t.items()))))
    assert change_id("e1", "r", "a", t, "apply") != change_id("e1", "r", "a", t, "dry-run")
    assert change_id("e1", "r", "a", t) != change_id("e2", "r", "a", t)


def test_exemptions_expire(tmp_path: Path) -> None:
    store = ChangeStore(tmp_path).init()
    now = datetime(2026, 11, 28, 12, tzinfo=UTC)
    store.exempt("x.y", {"bucket": "b"}, now + timedelta(minutes=5))
    assert store.exempt_until("x.y", {"bucket": "b"}, now)
    assert not store.exempt_until("x.y", {"bucket": "b"}, now + timedelta(minutes=6))
    assert not store.exempt_until("x.y", {"bucket": "other"}, now)


def _event() -> dict[str, object]:
    return {
        "id": "e-1",
        "source": "aws.s3",
        "detail-type": "AWS API Call via CloudTrail",
        "account": "123456789012",
        "region": "us-east-1",
        "detail": {
            "eventName": "PutBucketPolicy\r\nBcc: victim@example.com",
            "eventTime": "2026-11-28T12:00:00Z",
            "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::123456789012:user/mallory"},
            "sourceIPAddress": "203.0.113.9",
            "userAgent": "curl\nInjected: line",
        },
    }


def test_notification_says_what_who_done_rollback() -> None:
    note = build_notification(_event(), "r1", "apply", [_change()])
    assert "\n" not in note.subject and "\r" not in note.subject
    text = note.text
    for part in ("What happened", "Who did it", "What was done", "How to roll back"):
        assert part in text
    assert "arn:aws:iam::123456789012:user/mallory" in text and "203.0.113.9" in text
    assert "secpillar respond rollback chg-aaaaaaaaaaaaaaaaaaaa" in text
    assert "\nInjected: line" not in text and "\nBcc:" not in text
    msg = build_email(note, "bot@example.com", ["secops@example.com"])
    assert msg["Bcc"] is None and msg.get_all("Subject") == [note.subject]
    assert note.fields["changes"][0]["rollback"] == "secpillar respond rollback chg-aaaaaaaaaaaaaaaaaaaa"
    json.dumps(note.fields)  # JSON-safe for webhooks


def test_dry_run_and_failed_wording() -> None:
    dry = build_notification(_event(), "r1", "dry-run", [_change("dry-run")])
    assert dry.subject.startswith("[secpillar] DRY-RUN") and "would put back" in dry.text
    assert "nothing to roll back" in dry.text and "rollback chg-" not in dry.text
    failed = _change("failed")
    failed.error = "apply: denied: Access Denied"
    out = build_notification(_event(), "r1", "apply", [failed])
    assert (
        "[FAILED]" in out.text
        and "Access Denied" in out.text
        and out.subject.startswith("[secpillar] NO CHANGE")
    )


def test_channel_escaping() -> None:
    assert sns_subject("é" * 150) == "?" * 99 + "~"
    assert slack_escape("<!channel> & <http://x|y>") == "&lt;!channel&gt; &amp; &lt;http://x|y&gt;"
