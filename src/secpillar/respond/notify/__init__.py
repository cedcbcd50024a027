"""Notifications: compose what happened / who / what was done / how to roll back, and deliver it
by e-mail (SMTP), Amazon SNS or a Slack-compatible webhook."""

from secpillar.respond.notify.message import Notification, build_notification

__all__ = ["Notification", "build_notification"]
