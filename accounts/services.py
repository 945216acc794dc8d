"""Writes of the accounts app: internal messaging, ending users' web sessions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from importlib import import_module

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.utils import timezone

from accounts.models import Message, User


def message_send(
    *,
    recipient: User,
    subject: str,
    body: str,
    now: dt.datetime,
    link: str = "",
    link_label: str = "",
) -> Message:
    """Deliver an internal message to ``recipient``; ``link_label`` says what ``link`` opens."""
    return Message.objects.create(
        recipient=recipient,
        subject=subject,
        body=body,
        link=link,
        link_label=link_label,
        created_at=now,
    )


def message_mark_read(*, message: Message, now: dt.datetime) -> None:
    """Mark ``message`` as read (once: the first reading time is kept)."""
    if message.read_at is None:
        Message.objects.filter(pk=message.pk, read_at__isnull=True).update(read_at=now)
        message.read_at = now


def user_sessions_end(*, user_ids: Iterable[int]) -> int:
    """End the open web sessions of these users; return how many were ended.

    Sessions kept in the database (the ``db`` and ``cached_db`` engines) are read once, in
    a single pass. Other engines cannot be listed: there, the closed login alone refuses the
    session at its next request (Django's ``ModelBackend`` lets no inactive user in).
    """
    wanted = {str(pk) for pk in user_ids}
    store_class = import_module(settings.SESSION_ENGINE).SessionStore
    if not wanted or not hasattr(store_class, "get_model_class"):
        return 0
    rows = (
        store_class.get_model_class()
        .objects.filter(expire_date__gt=timezone.now())
        .values_list("session_key", "session_data")
    )
    ended = 0
    for key, data in rows.iterator(chunk_size=2000):
        if str(store_class().decode(data).get(SESSION_KEY)) in wanted:
            store_class(session_key=key).delete()
            ended += 1
    return ended
