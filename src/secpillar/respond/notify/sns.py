"""Amazon SNS: publish the notification to a topic (subject ≤ 100 characters, as SNS requires)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from secpillar.respond.notify.message import Notification


def sns_subject(subject: str) -> str:
    """SNS subjects: ASCII, no line breaks, at most 100 characters."""
    text = subject.encode("ascii", "replace").decode("ascii")
    return text if len(text) <= 100 else text[:99] + "~"


def send_sns(client: Any, note: Notification, params: Mapping[str, Any]) -> str:
    topic = params.get("topic_arn")
    if not isinstance(topic, str) or not topic:
        raise ValueError("notify.sns needs params.topic_arn")
    client.publish(TopicArn=topic, Subject=sns_subject(note.subject), Message=note.text)
    return f"SNS message to {topic}"
