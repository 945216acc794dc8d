"""Session content (cahier de textes) is never lost by an import or a rollback.

When the diff would remove a session from the import time on that carries content:

- if the same teaching service gets a new session in the same week, the content moves to it
  (the closest in time);
- otherwise the session is kept, as "hors emploi du temps" (``Session.Source.OFF_TIMETABLE``):
  later imports no longer see it, the bilan lists it, and the manager decides.

Both cases count in the ``SESSION_CONTENT_LOST`` control (0 % and blocking by default), so an
import touching content waits for a confirmation.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Protocol
from zoneinfo import ZoneInfo

from django.conf import settings

from ent.models import Session, SessionContent
from imports.planning import Plan, PlannedSession


class Diff(Protocol):
    """What this module reads and fills of :class:`imports.services.apply.Diff`.

    A protocol, so that the apply module (which calls this one) is not imported back.
    """

    sessions_deleted: list[int]
    sessions_new: list[PlannedSession]
    content_sessions: int
    content_moves: list[tuple[int, str, dt.datetime]]
    content_kept: list[int]
    content_lost: list[tuple[str, dt.datetime]]


BATCH = 5000


def content_diff(plan: Plan, diff: Diff) -> None:
    """Fill ``diff.content_moves``, ``diff.content_kept``, ``diff.content_lost`` and
    ``diff.content_sessions``.

    Kept sessions leave ``diff.sessions_deleted``; moved ones stay in it (their content is
    re-pointed before they go). ``content_lost`` names both (service audience, start), in
    time order, for the bilan.
    """
    deleted = diff.sessions_deleted
    with_content: dict[int, tuple[str, dt.datetime]] = {}
    audiences: dict[int, str] = {}  # the service's identity as users read it, for the bilan
    for start in range(0, len(deleted), BATCH):
        for pk, key, audience, subject, starts in SessionContent.objects.filter(
            session_id__in=deleted[start : start + BATCH]
        ).values_list(
            "session_id",
            "session__teaching_service__key",
            "session__teaching_service__audience_key",
            "session__teaching_service__subject__code",
            "session__starts_at",
        ):
            with_content[pk] = (key, starts)
            audiences[pk] = audience or subject
    diff.content_sessions = SessionContent.objects.filter(
        session__source=Session.Source.TIMETABLE,
        session__teaching_service__establishment_id__in=plan.establishment_ids,
        session__starts_at__gte=plan.effective_at,
        session__starts_at__lt=plan.window_end,
    ).count()
    if not with_content:
        return
    tz = ZoneInfo(settings.TIME_ZONE)

    def week(moment: dt.datetime) -> tuple[int, int]:
        iso = moment.astimezone(tz).isocalendar()
        return iso.year, iso.week

    wanted = {(key, week(starts)) for key, starts in with_content.values()}
    free: dict[tuple[str, tuple[int, int]], list[dt.datetime]] = defaultdict(list)
    for session in diff.sessions_new:
        slot = (session.service_key, week(session.starts_at))
        if slot in wanted:
            free[slot].append(session.starts_at)
    moves: list[tuple[int, str, dt.datetime]] = []
    kept: list[int] = []
    lost = sorted(with_content.items(), key=lambda item: item[1][1])
    diff.content_lost = [(audiences[pk], starts) for pk, (_key, starts) in lost]
    for pk, (key, starts) in lost:
        candidates = free.get((key, week(starts)))
        if candidates:
            target = min(candidates, key=lambda moment: abs(moment - starts))
            candidates.remove(target)
            moves.append((pk, key, target))
        else:
            kept.append(pk)
    diff.content_moves = moves
    diff.content_kept = kept
    kept_set = set(kept)
    diff.sessions_deleted = [pk for pk in deleted if pk not in kept_set]


def content_keep(diff: Diff) -> None:
    """Turn the kept sessions into sessions "hors emploi du temps" (inside the apply)."""
    Session.objects.filter(pk__in=diff.content_kept).update(source=Session.Source.OFF_TIMETABLE)


def content_move(diff: Diff, service_ids: dict[str, int]) -> None:
    """Re-point moved content to the new sessions (inside the apply, after the inserts)."""
    for old_pk, key, starts_at in diff.content_moves:
        new_pk = (
            Session.objects.filter(
                teaching_service_id=service_ids[key],
                starts_at=starts_at,
                source=Session.Source.TIMETABLE,
            )
            .values_list("pk", flat=True)
            .get()
        )
        SessionContent.objects.filter(session_id=old_pk).update(session_id=new_pk)


def content_kept_lines(diff: Diff, tz: ZoneInfo) -> list[str]:
    """Describe each kept session for the bilan, in French."""
    kept = diff.content_kept
    rows = (
        Session.objects.filter(pk__in=kept)
        .select_related("teaching_service__subject")
        .order_by("starts_at")
    )
    return [
        f"{s.teaching_service.subject.label} du {s.starts_at.astimezone(tz):%d/%m/%Y à %H:%M}"
        f"{' en ' + s.room if s.room else ''} : séance avec contenu que le fichier supprime, "
        "conservée hors emploi du temps"
        for s in rows
    ]
