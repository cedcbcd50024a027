"""Notification actions: e-mail (SMTP), Amazon SNS, Slack-compatible webhook.

They run after the rule's other actions and report them: what happened, who did it, what was
done (or would have been, in dry-run) and how to roll back. Sending is not reversible.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from secpillar.respond.actions.base import ActionContext, Invocation, ResponseAction, Target, register
from secpillar.respond.notify.email import recipients, send_email
from secpillar.respond.notify.message import Notification
from secpillar.respond.notify.sns import send_sns
from secpillar.respond.notify.webhook import send_webhook, webhook_url


class NotifyAction(ResponseAction):
    kind = "notify"
    reversible = False
    wa = ("SEC10-BP01", "SEC04-BP03")

    def targets(self, event: Mapping[str, Any], params: Mapping[str, Any]) -> list[Target]:
        return [{"channel": self.id, "to": self.recipient(params)}]

    def recipient(self, params: Mapping[str, Any]) -> str:
        raise NotImplementedError

    def send(self, note: Notification, inv: Invocation, ctx: ActionContext, change_id: str) -> str:
        raise NotImplementedError


@register
class NotifyEmail(NotifyAction):
    id = "notify.email"
    title = "E-mail the responders over SMTP"
    permissions = ()
    params_schema = {
        "to": {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}, "minItems": 1}]},
        "from": {"type": "string"},
        "host": {"type": "string"},
        "port": {"type": "integer", "minimum": 1, "maximum": 65535},
        "starttls": {"type": "boolean"},
        "ssl": {"type": "boolean"},
        "timeout": {"type": "number", "exclusiveMinimum": 0},
    }

    def recipient(self, params: Mapping[str, Any]) -> str:
        return ", ".join(recipients(params))

    def send(self, note: Notification, inv: Invocation, ctx: ActionContext, change_id: str) -> str:
        return send_email(note, inv.params, change_id)


@register
class NotifySns(NotifyAction):
    id = "notify.sns"
    title = "Publish to an Amazon SNS topic"
    permissions = ("sns:Publish",)
    params_schema = {"topic_arn": {"type": "string"}, "region": {"type": "string"}}

    def recipient(self, params: Mapping[str, Any]) -> str:
        return str(params.get("topic_arn", ""))

    def send(self, note: Notification, inv: Invocation, ctx: ActionContext, change_id: str) -> str:
        topic = str(inv.params.get("topic_arn", ""))
        region = inv.params.get("region") or (topic.split(":")[3] if topic.count(":") >= 5 else None)
        return send_sns(ctx.client("sns", region or None), note, inv.params)


@register
class NotifyWebhook(NotifyAction):
    id = "notify.webhook"
    title = "Post to a Slack-compatible incoming webhook"
    permissions = ()
    params_schema = {
        "url": {"type": "string", "pattern": "^https?://"},
        "url_env": {"type": "string"},
        "timeout": {"type": "number", "exclusiveMinimum": 0},
    }

    def recipient(self, params: Mapping[str, Any]) -> str:
        try:
            from urllib.parse import urlsplit

            return f"webhook {urlsplit(webhook_url(params)).hostname}"
        except ValueError:
            return "webhook (URL not set)"

    def send(self, note: Notification, inv: Invocation, ctx: ActionContext, change_id: str) -> str:
        return send_webhook(note, inv.params, change_id)
