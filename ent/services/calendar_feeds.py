"""Calendar feed addresses: one secret token per feed, revocable, regenerated as a new feed.

The token (256 random bits) is handed out once, when the feed is created; the database keeps
only its SHA-256, and a feed is found by the hash of the token its address carries. A token
of this entropy needs no salt nor slow hash: nobody can guess one from its hash.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from ent.calendar import calendar_build
from ent.models import CalendarFeed, Establishment
from ent.services.timetable import (
    Target,
    TargetKind,
    TargetUnknown,
    timetable_sessions,
    timetable_target,
)

# Past weeks a feed still shows, and how far ahead it goes.
FEED_PAST = dt.timedelta(weeks=4)
FEED_AHEAD = dt.timedelta(weeks=52)

_KINDS = {
    TargetKind.CLASS: CalendarFeed.Kind.CLASS,
    TargetKind.GROUP: CalendarFeed.Kind.GROUP,
    TargetKind.TEACHER: CalendarFeed.Kind.TEACHER,
    TargetKind.ROOM: CalendarFeed.Kind.ROOM,
}
_TARGET_KINDS = {value: key for key, value in _KINDS.items()}
# Characters of the token kept in clear, so the page can tell two addresses apart.
TOKEN_PREFIX_LENGTH = 4


@dataclass(frozen=True)
class NewCalendarFeed:
    """A feed just created, with the only copy of its token (never stored)."""

    feed: CalendarFeed
    token: str


def calendar_feed_token_hash(token: str) -> str:
    """Return the hex SHA-256 of ``token``, the only form the database keeps."""
    return hashlib.sha256(token.encode()).hexdigest()


def _target_fields(target: Target) -> dict[str, object]:
    fields: dict[str, object] = {"establishment": target.establishment, "kind": _KINDS[target.kind]}
    if target.kind == TargetKind.CLASS:
        fields["school_class_id"] = int(target.key)
    elif target.kind == TargetKind.GROUP:
        fields["group_id"] = int(target.key)
    elif target.kind == TargetKind.TEACHER:
        fields["teacher_id"] = int(target.key)
    else:
        fields["room"] = target.key
    return fields


def calendar_feeds_active(target: Target) -> list[CalendarFeed]:
    """Return the feeds of ``target`` that still answer, newest first."""
    return list(
        CalendarFeed.objects.filter(**_target_fields(target), revoked_at__isnull=True).order_by(
            "-created_at", "-pk"
        )
    )


class CalendarFeedExists(Exception):
    """``target`` already has a feed in force (one per timetable, see ``CalendarFeed``)."""

    def __init__(self, feed: CalendarFeed | None) -> None:
        super().__init__("This timetable already has an active calendar feed.")
        self.feed = feed


def calendar_feed_create(target: Target, *, now: dt.datetime) -> NewCalendarFeed:
    """Create a feed of ``target`` behind a new unguessable token (256 bits).

    The token is returned for the caller to show once; only its hash is saved. Raises
    :class:`CalendarFeedExists` when ``target`` already has a feed in force: its address
    cannot be shown again, renewing it is the way to get a new one.
    """
    token = secrets.token_urlsafe(32)
    try:
        with transaction.atomic():
            feed = CalendarFeed.objects.create(
                **_target_fields(target),
                token_hash=calendar_feed_token_hash(token),
                token_prefix=token[:TOKEN_PREFIX_LENGTH],
                created_at=now,
            )
    except IntegrityError:
        active = calendar_feeds_active(target)
        if not active:
            raise
        raise CalendarFeedExists(active[0]) from None
    return NewCalendarFeed(feed=feed, token=token)


def calendar_feed_revoke(feed: CalendarFeed, *, now: dt.datetime) -> None:
    """Stop the feed for good: its address answers 404 from now on."""
    CalendarFeed.objects.filter(pk=feed.pk, revoked_at__isnull=True).update(revoked_at=now)


def calendar_feed_regenerate(feed: CalendarFeed, *, now: dt.datetime) -> NewCalendarFeed:
    """Revoke ``feed`` and create a new one for the same target, with a new address."""
    with transaction.atomic():
        calendar_feed_revoke(feed, now=now)
        return calendar_feed_create(calendar_feed_target(feed), now=now)


def calendar_feed_target(feed: CalendarFeed) -> Target:
    kind = _TARGET_KINDS[CalendarFeed.Kind(feed.kind)]
    key = {
        TargetKind.CLASS: str(feed.school_class_id),
        TargetKind.GROUP: str(feed.group_id),
        TargetKind.TEACHER: str(feed.teacher_id),
        TargetKind.ROOM: feed.room,
    }[kind]
    return timetable_target(establishment=feed.establishment, kind=kind, key=key)


def calendar_for_target(target: Target, *, now: dt.datetime) -> bytes:
    """Return the iCalendar document of ``target`` from four weeks ago to a year ahead."""
    sessions = timetable_sessions(target, starts=now - FEED_PAST, ends=now + FEED_AHEAD)
    return calendar_build(target, sessions, now=now)


def calendar_feed_by_token(token: str) -> CalendarFeed | None:
    """Return the active feed whose address carries ``token``, or None (unknown or revoked)."""
    return (
        CalendarFeed.objects.select_related("establishment")
        .filter(token_hash=calendar_feed_token_hash(token), revoked_at__isnull=True)
        .first()
    )


def calendar_feed_token_matches(feed: CalendarFeed, token: str) -> bool:
    """Tell, in constant time, whether ``token`` is the one of ``feed``."""
    return hmac.compare_digest(feed.token_hash, calendar_feed_token_hash(token))


def calendar_feed_document(token: str, *, now: dt.datetime) -> bytes | None:
    """Return the document of the active feed with ``token``, or None (unknown or revoked)."""
    feed = calendar_feed_by_token(token)
    if feed is None:
        return None
    try:
        target = calendar_feed_target(feed)
    except TargetUnknown:
        return None
    return calendar_for_target(target, now=now)


def calendar_feed_for(*, establishment: Establishment, feed_id: int) -> CalendarFeed | None:
    return CalendarFeed.objects.filter(pk=feed_id, establishment=establishment).first()
