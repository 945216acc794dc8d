"""Writes of the accounts app: internal messaging."""

from __future__ import annotations

import datetime as dt

from accounts.models import Message, User


def message_send(
    *, recipient: User, subject: str, body: str, now: dt.datetime, link: str = ""
) -> Message:
    """Deliver an internal message to ``recipient``."""
    return Message.objects.create(
        recipient=recipient, subject=subject, body=body, link=link, created_at=now
    )


def message_mark_read(*, message: Message, now: dt.datetime) -> None:
    """Mark ``message`` as read (once: the first reading time is kept)."""
    if message.read_at is None:
        Message.objects.filter(pk=message.pk, read_at__isnull=True).update(read_at=now)
        message.read_at = now
