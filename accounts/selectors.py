"""Reads of the accounts app: internal messages."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import Message, User


def message_list(*, user: User) -> QuerySet[Message]:
    """Return the user's messages, newest first."""
    return Message.objects.filter(recipient=user).order_by("-created_at", "-pk")


def message_unread_count(*, user: User) -> int:
    """Return how many of the user's messages are unread."""
    return Message.objects.filter(recipient=user, read_at__isnull=True).count()


def message_get(*, user: User, message_id: int) -> Message:
    """Return one of the user's messages (``DoesNotExist`` otherwise)."""
    return Message.objects.get(recipient=user, pk=message_id)
