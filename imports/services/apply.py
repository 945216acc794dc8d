"""Comparing a plan with the ENT (:func:`plan_diff`) and writing it (:func:`plan_apply`).

The diff only reads; the apply runs in one transaction with bulk operations, so a failure
anywhere leaves the previous timetable exactly as it was. Sessions compare on their natural
key (service key, start): unchanged sessions are not rewritten. Only generated sessions from
the import time to the end of the school year are touched: past sessions and sessions entered
by hand never are, nor closing periods and memberships dated before the file's school year.

Digests. The apply stores on each teaching service the plan's per-week digests of its
sessions (``TeachingService.session_digests``: the weeks from the first Monday after the
import time to the end of the window). Database triggers reset them to NULL whenever anything
writes that service's sessions (a hand edit, a script, the apply itself, which then writes
them back). So the next diff trusts a service whose stored digests equal the plan's for every
whole week after its own import time and whose stored range covers its window: it neither
reads nor compares those sessions. The days of the import's own week, and every service
without trusted digests, are compared row by row as before.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import Model

from ent.db import rows_insert
from ent.models import (
    CancelledCourse,
    ClosingPeriod,
    GroupMembership,
    Session,
    SessionContent,
    Subject,
    TeachingGroup,
    TeachingService,
)
from imports.content import content_diff, content_keep, content_move
from imports.planning import Plan, PlannedClosing, PlannedSession

SESSION_BATCH = 5000
# After writing this many sessions, refresh PostgreSQL's statistics at once (autovacuum would
# within a minute): the next import's queries are planned on the new row counts.
ANALYZE_AFTER_ROWS = 10_000
# What plan_apply counts, for the bilan.
APPLY_COUNTERS = (
    "subjects_created",
    "services_created",
    "services_modified",
    "services_deleted",
    "groups_created",
    "memberships_created",
    "memberships_removed",
    "sessions_created",
    "sessions_updated",
    "sessions_deleted",
    "sessions_unchanged",
    "closings_added",
    "closings_removed",
    "sessions_kept_for_content",
    "session_contents_moved",
    "cancellations_recorded",
)


@dataclass
class Diff:
    subjects_existing: int = 0
    subjects_new: list[tuple[int, str]] = field(default_factory=list)
    # The ENT's subject labels by (establishment id, code): names a deleted service's subject.
    subject_labels: dict[tuple[int, str], str] = field(default_factory=dict)
    services_existing: int = 0
    services_created: int = 0  # new identities (subject + audience)
    services_modified: int = 0  # same identity, other teachers or weekly volume
    services_deleted: int = 0  # identities the file no longer has
    service_rows_new: list[str] = field(default_factory=list)
    service_rows_retired: list[int] = field(default_factory=list)
    service_rows_reactivated: list[int] = field(default_factory=list)
    service_minutes: list[tuple[int, int]] = field(default_factory=list)
    sessions_existing: int = 0
    sessions_planned: int = 0
    sessions_new: list[PlannedSession] = field(default_factory=list)
    sessions_deleted: list[int] = field(default_factory=list)
    sessions_changed: list[tuple[int, dt.datetime, str]] = field(default_factory=list)
    # Existing sessions removed or changed, counted per teaching service (pk): the preview.
    sessions_deleted_per_service: Counter[int] = field(default_factory=Counter)
    sessions_changed_per_service: Counter[int] = field(default_factory=Counter)
    sessions_unchanged: int = 0
    sessions_new_incomplete: int = 0
    closings_existing: int = 0
    closings_added: list[PlannedClosing] = field(default_factory=list)
    closings_removed: list[int] = field(default_factory=list)
    # Sessions with content (cahier de textes) the diff would remove: see imports.content.
    content_sessions: int = 0  # future generated sessions with content, in the window
    content_moves: list[tuple[int, str, dt.datetime]] = field(default_factory=list)
    content_kept: list[int] = field(default_factory=list)
    # Service keys whose stored session digests match the plan (their sessions from
    # plan.digests_from on are not read), and those whose sessions the apply writes.
    services_trusted: set[str] = field(default_factory=set)
    services_written: set[str] = field(default_factory=set)
    # Both, as (service audience, start): what the bilan names.
    content_lost: list[tuple[str, dt.datetime]] = field(default_factory=list)
    # What the threshold controls count, for the bilan (identities of services, periods).
    service_audiences_created: list[str] = field(default_factory=list)
    service_audiences_modified: list[str] = field(default_factory=list)
    service_audiences_deleted: list[str] = field(default_factory=list)
    closings_removed_periods: list[PlannedClosing] = field(default_factory=list)
    # Course occurrences cancelled in [import time, end of year): held by the ENT, in the file.
    cancellations_existing: int = 0
    cancellations_planned: int = 0


def plan_diff(plan: Plan) -> Diff:
    """Compare ``plan`` with what the ENT holds for the targeted establishments."""
    diff = Diff()
    _diff_subjects(plan, diff)
    existing_services = _diff_services(plan, diff)
    _diff_sessions(plan, diff, existing_services)
    _diff_closings(plan, diff)
    content_diff(plan, diff)
    diff.cancellations_existing = CancelledCourse.objects.filter(
        establishment_id__in=plan.establishment_ids,
        starts_at__gte=plan.effective_at,
        starts_at__lt=plan.window_end,
    ).count()
    diff.cancellations_planned = len(plan.cancellations)
    return diff


def _diff_subjects(plan: Plan, diff: Diff) -> None:
    diff.subject_labels = {
        (establishment, code): label
        for establishment, code, label in Subject.objects.filter(
            establishment_id__in=plan.establishment_ids
        ).values_list("establishment_id", "code", "label")
    }
    existing = set(diff.subject_labels)
    diff.subjects_existing = len(existing)
    diff.subjects_new = sorted(set(plan.subjects) - existing)


def _diff_services(plan: Plan, diff: Diff) -> dict[str, tuple[int, bool]]:
    services = TeachingService.objects.filter(establishment_id__in=plan.establishment_ids)
    fields = ("pk", "key", "audience_key", "weekly_minutes", "is_active")
    # Services planned without their sessions: the ENT holds them (imports.services.incremental).
    # The stored digests of the others tell which need no comparison: only theirs are read
    # (a service's digests are a JSON document of some forty weeks).
    skipped = plan.services_skipped
    stored: list[tuple[str, object]]
    if skipped:
        rows = list(services.values_list(*fields))
        compared = [pk for pk, key, _a, _m, _on in rows if key not in skipped]
        stored = list(
            TeachingService.objects.filter(pk__in=compared).values_list("key", "session_digests")
        )
    else:
        read = list(services.values_list(*fields, "session_digests"))
        rows = [row[:5] for row in read]
        stored = [(row[1], row[5]) for row in read]
    by_key = {key: (pk, active) for pk, key, _a, _m, active in rows}
    diff.services_trusted = {key for key, digests in stored if _digests_hold(plan, key, digests)}
    diff.services_trusted |= skipped
    active = [(pk, key, audience, minutes) for pk, key, audience, minutes, on in rows if on]
    diff.services_existing = len(active)
    old_by_audience: dict[str, set[tuple[str, int]]] = defaultdict(set)
    for _pk, key, audience, minutes in active:
        old_by_audience[audience].add((key, minutes))
    new_by_audience: dict[str, set[tuple[str, int]]] = defaultdict(set)
    for service in plan.services.values():
        new_by_audience[service.audience_key].add((service.key, service.weekly_minutes))
    diff.service_audiences_created = sorted(new_by_audience.keys() - old_by_audience.keys())
    diff.service_audiences_deleted = sorted(old_by_audience.keys() - new_by_audience.keys())
    diff.service_audiences_modified = sorted(
        a
        for a in old_by_audience.keys() & new_by_audience.keys()
        if old_by_audience[a] != new_by_audience[a]
    )
    diff.services_created = len(diff.service_audiences_created)
    diff.services_deleted = sum(len(old_by_audience[a]) for a in diff.service_audiences_deleted)
    diff.services_modified = len(diff.service_audiences_modified)
    minutes_by_pk = {pk: minutes for pk, _k, _a, minutes in active}
    for key, service in plan.services.items():
        if key not in by_key:
            diff.service_rows_new.append(key)
            continue
        pk, is_active = by_key[key]
        if not is_active:
            diff.service_rows_reactivated.append(pk)
        if minutes_by_pk.get(pk) != service.weekly_minutes:
            diff.service_minutes.append((pk, service.weekly_minutes))
    diff.service_rows_retired = [pk for pk, key, _a, _m in active if key not in plan.services]
    return by_key


def _digests_hold(plan: Plan, key: str, stored: object) -> bool:
    """Tell whether the stored digests prove that the service's sessions from
    ``plan.digests_from`` on are already those of the plan (then none is read)."""
    if not isinstance(stored, dict) or plan.digests_from is None:
        return False
    since = int(plan.digests_from.timestamp())
    # The digests must cover the whole compared range [digests_from, window_end).
    if stored.get("from", since + 1) > since or stored.get("to", 0) < plan.window_end.timestamp():
        return False
    first = plan.digests_from.date().isoformat()
    weeks = stored.get("weeks")
    if not isinstance(weeks, dict):
        return False
    held = {week: digest for week, digest in weeks.items() if week >= first}
    return held == plan.week_digests.get(key, {})


def _diff_sessions(plan: Plan, diff: Diff, services: dict[str, tuple[int, bool]]) -> None:
    """Compare sessions row by row, except those that the services' digests prove equal.

    The sessions of a service whose stored digests match the plan's, from the first whole
    week after the import time on, are neither read nor compared: they are counted as
    unchanged. The days of the import's own week are always compared row by row.
    """
    skipped_ids = [services[key][0] for key in plan.services_skipped]
    key_of = {
        pk: key for key, (pk, _active) in services.items() if key not in plan.services_skipped
    }
    trusted = diff.services_trusted
    split = plan.digests_from or plan.window_end
    compared = [pk for key, (pk, _active) in services.items() if key not in trusted]
    # Compared as (service key, start in epoch seconds): no datetime to build per row.
    existing = {
        (key_of[service], starts): (pk, ends, room)
        for pk, service, starts, ends, room in [
            *_existing_sessions(list(key_of), plan.effective_at, min(split, plan.window_end)),
            *_existing_sessions(compared, max(split, plan.effective_at), plan.window_end),
        ]
    }
    # The skipped services' sessions are the plan's: counted, neither read nor planned.
    skipped = _sessions_count(skipped_ids, plan.effective_at, plan.window_end)
    diff.sessions_planned = skipped
    kept: set[tuple[str, int]] = set()
    for session in plan.sessions:
        if session.service_key in trusted and session.starts_at >= split:
            skipped += 1  # proven equal by the digests
            continue
        natural = (session.service_key, int(session.starts_at.timestamp()))
        current = existing.get(natural)
        if current is None:
            diff.sessions_new.append(session)
            diff.services_written.add(session.service_key)
            if plan.services[session.service_key].incomplete:
                diff.sessions_new_incomplete += 1
            continue
        kept.add(natural)
        pk, ends, room = current
        if (ends, room) == (int(session.ends_at.timestamp()), session.room):
            diff.sessions_unchanged += 1
        else:
            diff.sessions_changed.append((pk, session.ends_at, session.room))
            diff.sessions_changed_per_service[services[session.service_key][0]] += 1
            diff.services_written.add(session.service_key)
    for natural, (pk, _e, _r) in existing.items():
        if natural not in kept:
            diff.sessions_deleted.append(pk)
            diff.sessions_deleted_per_service[services[natural[0]][0]] += 1
            diff.services_written.add(natural[0])
    diff.sessions_existing = len(existing) + skipped
    diff.sessions_planned += len(plan.sessions)
    diff.sessions_unchanged += skipped


def _sessions_count(service_ids: list[int], since: dt.datetime, until: dt.datetime) -> int:
    """Count the generated sessions of these services in ``[since, until)``."""
    if not service_ids or since >= until:
        return 0
    return Session.objects.filter(
        source=Session.Source.TIMETABLE,
        teaching_service_id__in=service_ids,
        starts_at__gte=since,
        starts_at__lt=until,
    ).count()


def _existing_sessions(
    service_ids: list[int], since: dt.datetime, until: dt.datetime
) -> list[tuple[int, int, int, int, str]]:
    """Return the generated sessions of ``[since, until)``: (pk, service, start, end, room),
    times in epoch seconds."""
    if not service_ids or since >= until:
        return []
    if connection.vendor != "postgresql":
        rows = Session.objects.filter(
            source=Session.Source.TIMETABLE,
            teaching_service_id__in=service_ids,
            starts_at__gte=since,
            starts_at__lt=until,
        ).values_list("pk", "teaching_service_id", "starts_at", "ends_at", "room")
        return [(pk, sv, int(s.timestamp()), int(e.timestamp()), r) for pk, sv, s, e, r in rows]
    table = connection.ops.quote_name(Session._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, teaching_service_id, EXTRACT(EPOCH FROM starts_at)::bigint, "  # noqa: S608
            f"EXTRACT(EPOCH FROM ends_at)::bigint, room FROM {table} WHERE source = %s "
            "AND teaching_service_id = ANY(%s) AND starts_at >= %s AND starts_at < %s",
            [Session.Source.TIMETABLE.value, service_ids, since, until],
        )
        return cursor.fetchall()


def _diff_closings(plan: Plan, diff: Diff) -> None:
    # Only the file's own school year: earlier years' closings are the archive of the
    # cahier de textes (never deleted) and do not count in the closing thresholds.
    existing = {
        PlannedClosing(e, start, end, label): pk
        for pk, e, start, end, label in ClosingPeriod.objects.filter(
            establishment_id__in=plan.establishment_ids,
            source=ClosingPeriod.Source.TIMETABLE,
            start_date__gte=plan.year_start,
            start_date__lt=plan.year_end,
        ).values_list("pk", "establishment_id", "start_date", "end_date", "label")
    }
    by_period = {(c.establishment_id, c.start_date, c.end_date): pk for c, pk in existing.items()}
    planned = {(c.establishment_id, c.start_date, c.end_date) for c in plan.closings}
    diff.closings_existing = len(existing)
    diff.closings_added = sorted(
        (
            c
            for c in plan.closings
            if (c.establishment_id, c.start_date, c.end_date) not in by_period
        ),
        key=lambda c: (c.establishment_id, c.start_date),
    )
    diff.closings_removed = [pk for period, pk in by_period.items() if period not in planned]
    removed = set(diff.closings_removed)
    diff.closings_removed_periods = sorted(
        (c for c, pk in existing.items() if pk in removed),
        key=lambda c: (c.establishment_id, c.start_date),
    )


def plan_apply(plan: Plan, diff: Diff) -> dict[str, int]:
    """Write ``plan`` in one transaction; return the counters for the bilan."""
    with transaction.atomic():
        subject_ids = _apply_subjects(plan, diff)
        group_ids, groups_created = _apply_groups(plan)
        service_ids = _apply_services(plan, diff, subject_ids, group_ids)
        content_keep(diff)
        _apply_sessions(diff, service_ids)
        digested = _apply_digests(plan, diff, service_ids)
        _apply_course_digests(plan, service_ids, done=digested)
        _apply_closings(diff)
        _apply_cancellations(plan)
        created, removed = _apply_memberships(plan, group_ids)
    if len(diff.sessions_new) + len(diff.sessions_deleted) >= ANALYZE_AFTER_ROWS:
        _analyze(Session, SessionContent, GroupMembership)
    counters = {
        "subjects_created": len(diff.subjects_new),
        "services_created": diff.services_created,
        "services_modified": diff.services_modified,
        "services_deleted": diff.services_deleted,
        "groups_created": groups_created,
        "memberships_created": created,
        "memberships_removed": removed,
        "sessions_created": len(diff.sessions_new),
        "sessions_updated": len(diff.sessions_changed),
        "sessions_deleted": len(diff.sessions_deleted),
        "sessions_unchanged": diff.sessions_unchanged,
        "closings_added": len(diff.closings_added),
        "closings_removed": len(diff.closings_removed),
        "sessions_kept_for_content": len(diff.content_kept),
        "session_contents_moved": len(diff.content_moves),
        "cancellations_recorded": len(plan.cancellations),
    }
    assert counters.keys() == set(APPLY_COUNTERS)  # noqa: S101 (the bilan reads these keys)
    return counters


def _analyze(*models: type[Model]) -> None:
    if connection.vendor != "postgresql":
        return
    tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in models)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {tables}")


def _apply_subjects(plan: Plan, diff: Diff) -> dict[tuple[int, str], int]:
    Subject.objects.bulk_create(
        [
            Subject(establishment_id=e, code=code, label=plan.subjects[(e, code)])
            for e, code in diff.subjects_new
        ]
    )
    return {
        (e, code): pk
        for pk, e, code in Subject.objects.filter(
            establishment_id__in=plan.establishment_ids
        ).values_list("pk", "establishment_id", "code")
    }


def _group_ids(plan: Plan) -> dict[tuple[int, str], int]:
    return {
        (e, code): pk
        for pk, e, code in TeachingGroup.objects.filter(
            establishment_id__in=plan.establishment_ids
        ).values_list("pk", "establishment_id", "code")
    }


def _apply_groups(plan: Plan) -> tuple[dict[tuple[int, str], int], int]:
    existing = _group_ids(plan)
    new = [g for key, g in plan.groups.items() if key not in existing]
    TeachingGroup.objects.bulk_create(
        [
            TeachingGroup(
                establishment_id=g.establishment_id,
                code=g.code,
                name=g.name,
                source=TeachingGroup.Source.TIMETABLE,
            )
            for g in new
        ]
    )
    ids = _group_ids(plan)
    through = TeachingGroup.classes.through
    through.objects.bulk_create(
        [
            through(teachinggroup_id=ids[(g.establishment_id, g.code)], schoolclass_id=class_id)
            for g in new
            for class_id in g.class_ids
        ]
    )
    return ids, len(new)


def _apply_services(
    plan: Plan,
    diff: Diff,
    subject_ids: dict[tuple[int, str], int],
    group_ids: dict[tuple[int, str], int],
) -> dict[str, int]:
    new = [plan.services[key] for key in diff.service_rows_new]
    TeachingService.objects.bulk_create(
        [
            TeachingService(
                establishment_id=s.establishment_id,
                key=s.key,
                audience_key=s.audience_key,
                subject_id=subject_ids[(s.establishment_id, s.subject_code)],
                weekly_minutes=s.weekly_minutes,
                unmatched_teachers=", ".join(s.unmatched_teachers),
            )
            for s in new
        ]
    )
    services = TeachingService.objects.filter(establishment_id__in=plan.establishment_ids)
    ids: dict[str, int] = {}
    unnamed: list[TeachingService] = []
    for key, pk, unmatched in services.values_list("key", "pk", "unmatched_teachers"):
        ids[key] = pk
        # A service imported before its unmatched teachers were kept: named from now on.
        if unmatched is None and key in plan.services:
            names = ", ".join(plan.services[key].unmatched_teachers)
            unnamed.append(TeachingService(pk=pk, unmatched_teachers=names))
    TeachingService.objects.bulk_update(unnamed, ["unmatched_teachers"], batch_size=1000)
    links = [
        (
            TeachingService.teachers.through,
            "person_id",
            [(ids[s.key], t) for s in new for t in s.teacher_ids],
        ),
        (
            TeachingService.classes.through,
            "schoolclass_id",
            [(ids[s.key], c) for s in new for c in s.class_ids],
        ),
        (
            TeachingService.groups.through,
            "teachinggroup_id",
            [(ids[s.key], group_ids[g]) for s in new for g in s.group_keys],
        ),
    ]
    for through, column, rows in links:
        rows_insert(through, ("teachingservice_id", column), rows)
    TeachingService.objects.filter(pk__in=diff.service_rows_reactivated).update(is_active=True)
    TeachingService.objects.filter(pk__in=diff.service_rows_retired).update(is_active=False)
    for pk, minutes in diff.service_minutes:
        TeachingService.objects.filter(pk=pk).update(weekly_minutes=minutes)
    return ids


def _apply_sessions(diff: Diff, service_ids: dict[str, int]) -> None:
    _sessions_update(diff.sessions_changed)
    source = Session.Source.TIMETABLE.value
    rows_insert(
        Session,
        ("teaching_service_id", "starts_at", "ends_at", "room", "source"),
        [
            (service_ids[s.service_key], s.starts_at, s.ends_at, s.room, source)
            for s in diff.sessions_new
        ],
    )
    # Content moves to its new session before the old one goes (imports.content).
    content_move(diff, service_ids)
    _sessions_delete(diff.sessions_deleted)


def _sessions_update(changed: list[tuple[int, dt.datetime, str]]) -> None:
    """Give each changed session (pk, end, room) its new end and room.

    PostgreSQL gets one ``UPDATE … FROM unnest(…)`` joining the three arrays on the ids:
    Django's ``bulk_update`` would build (and the server parse) a ``CASE WHEN`` per row and
    column. Other databases (the embedded SQLite) get ``bulk_update``.
    """
    if not changed:
        return
    if connection.vendor != "postgresql":
        Session.objects.bulk_update(
            [Session(pk=pk, ends_at=ends_at, room=room) for pk, ends_at, room in changed],
            ["ends_at", "room"],
            batch_size=SESSION_BATCH,
        )
        return
    table = connection.ops.quote_name(Session._meta.db_table)
    ids, ends, rooms = (list(column) for column in zip(*changed, strict=True))
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS s SET ends_at = v.ends_at, room = v.room "  # noqa: S608
            "FROM unnest(%s::bigint[], %s::timestamptz[], %s::text[]) AS v(id, ends_at, room) "
            "WHERE s.id = v.id",
            [ids, ends, rooms],
        )


def _sessions_delete(ids: list[int]) -> None:
    """Delete these sessions, and the content (cahier de textes) still hanging on them.

    Content the import keeps or moves is out of the way already (imports.content); what a
    teacher wrote since the diff goes with its session, as Django's cascade would have it.
    PostgreSQL gets the two DELETEs that cascade issues, by id arrays, without loading the
    sessions first; other databases (the embedded SQLite) get Django's delete.
    """
    if connection.vendor != "postgresql":
        for start in range(0, len(ids), SESSION_BATCH):
            Session.objects.filter(pk__in=ids[start : start + SESSION_BATCH]).delete()
        return
    if not ids:
        return
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {quote(SessionContent._meta.db_table)} WHERE session_id = ANY(%s)",  # noqa: S608
            [ids],
        )
        cursor.execute(
            f"DELETE FROM {quote(Session._meta.db_table)} WHERE id = ANY(%s)",  # noqa: S608
            [ids],
        )


def _apply_digests(plan: Plan, diff: Diff, service_ids: dict[str, int]) -> set[int]:
    """Store the plan's week digests of every service whose sessions were compared or written.

    Runs after the session writes, whose triggers reset the digests of the services touched.
    Services the digests proved unchanged (and not written in the import's own week) keep
    theirs. On PostgreSQL the same statement stores their course digests: return the ids of
    the services it wrote.
    """
    if plan.digests_from is None:
        return set()
    since, until = int(plan.digests_from.timestamp()), int(plan.window_end.timestamp())
    documents = {
        pk: {"from": since, "to": until, "weeks": plan.week_digests.get(key, {})}
        for key, pk in service_ids.items()
        if key not in diff.services_trusted or key in diff.services_written
    }
    if not documents:
        return set()
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(TeachingService._meta.db_table)
        course_digests = plan.course_digests
        both = {
            pk: {"s": document, "c": course_digests.get(key)}
            for key, pk in service_ids.items()
            if (document := documents.get(pk)) is not None
        }
        # One JSON parameter (id → documents): cheaper to send than arrays of documents.
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} AS t SET session_digests = d.value->'s', "  # noqa: S608
                "course_digest = COALESCE(d.value->>'c', t.course_digest) "
                "FROM jsonb_each(%s::jsonb) AS d WHERE t.id = d.key::bigint",
                [json.dumps(both, separators=(",", ":"))],
            )
        return set(documents)
    TeachingService.objects.bulk_update(
        [TeachingService(pk=pk, session_digests=d) for pk, d in documents.items()],
        ["session_digests"],
        batch_size=500,
    )
    return set()


def _apply_course_digests(plan: Plan, service_ids: dict[str, int], *, done: set[int]) -> None:
    """Store the course digest of every planned service the ENT now holds as planned.

    The skipped services keep theirs (it is the same), ``done`` are already stored.
    """
    documents = {
        pk: digest
        for key, digest in plan.course_digests.items()
        if key not in plan.services_skipped and (pk := service_ids[key]) not in done
    }
    if not documents:
        return
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(TeachingService._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} AS t SET course_digest = d.value "  # noqa: S608
                "FROM jsonb_each_text(%s::jsonb) AS d WHERE t.id = d.key::bigint "
                "AND t.course_digest IS DISTINCT FROM d.value",
                [json.dumps(documents, separators=(",", ":"))],
            )
        return
    TeachingService.objects.bulk_update(
        [TeachingService(pk=pk, course_digest=d) for pk, d in documents.items()],
        ["course_digest"],
        batch_size=500,
    )


def _apply_cancellations(plan: Plan) -> None:
    """Hold the file's cancellations from the import time on, in place of the previous ones."""
    CancelledCourse.objects.filter(
        establishment_id__in=plan.establishment_ids, starts_at__gte=plan.effective_at
    ).delete()
    CancelledCourse.objects.bulk_create(
        CancelledCourse(establishment_id=e, starts_at=starts_at)
        for e, starts_at in plan.cancellations
    )


def _apply_closings(diff: Diff) -> None:
    ClosingPeriod.objects.filter(pk__in=diff.closings_removed).delete()
    ClosingPeriod.objects.bulk_create(
        [
            ClosingPeriod(
                establishment_id=c.establishment_id,
                start_date=c.start_date,
                end_date=c.end_date,
                label=c.label,
            )
            for c in diff.closings_added
        ]
    )


def _apply_memberships(plan: Plan, group_ids: dict[tuple[int, str], int]) -> tuple[int, int]:
    """Bring the timetable's group memberships of the targeted establishments in line.

    On PostgreSQL each group's memberships are compared by digest first
    (:func:`membership_digests`, stored in ``TeachingGroup.membership_digest``, reset by
    triggers on any write to the group's memberships): only the groups whose digest does
    not hold have their memberships read and compared. Elsewhere every group is compared.
    """
    wanted = {
        (person, group_ids[(e, code)], role)
        for person, e, code, role in plan.group_memberships
        if (e, code) in group_ids
    }
    existing_qs = GroupMembership.objects.filter(
        source=GroupMembership.Source.TIMETABLE,
        group__establishment_id__in=plan.establishment_ids,
    ).exclude(end_date__lte=plan.year_start)  # memberships of past years are the archive
    digests: dict[int, str] = {}
    if connection.vendor == "postgresql":
        digests = membership_digests(wanted, group_ids.values(), year_start=plan.year_start)
        stored = TeachingGroup.objects.filter(pk__in=list(digests)).values_list(
            "pk", "membership_digest"
        )
        unsure = {pk for pk, digest in stored if digest != digests[pk]}
        if not unsure:
            return 0, 0
        if len(unsure) < len(digests):
            existing_qs = existing_qs.filter(group_id__in=sorted(unsure))
            wanted = {row for row in wanted if row[1] in unsure}
        digests = {pk: digests[pk] for pk in unsure}
    existing = {
        (person, group, role): pk
        for pk, person, group, role in existing_qs.values_list(
            "pk", "person_id", "group_id", "role"
        )
    }
    stale = [pk for key, pk in existing.items() if key not in wanted]
    GroupMembership.objects.filter(pk__in=stale).delete()
    source = GroupMembership.Source.TIMETABLE.value
    new = [(person, group, role, source) for person, group, role in wanted - existing.keys()]
    rows_insert(GroupMembership, ("person_id", "group_id", "role", "source"), new)
    if digests:
        # After the writes, whose triggers reset the digests of the groups touched.
        table = connection.ops.quote_name(TeachingGroup._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} AS t SET membership_digest = d.value "  # noqa: S608
                "FROM jsonb_each_text(%s::jsonb) AS d WHERE t.id = d.key::bigint",
                [json.dumps(digests, separators=(",", ":"))],
            )
    return len(new), len(stale)


# Roles as integers in the membership digests: the hash of a tuple of integers does not
# depend on the process (a string's does).
_ROLE_CODES = {GroupMembership.Role.STUDENT.value: 1, GroupMembership.Role.TEACHER.value: 2}


def membership_digests(
    memberships: set[tuple[int, int, str]], group_ids: Iterable[int], *, year_start: dt.date
) -> dict[int, str]:
    """Return, per group, a digest of its timetable memberships (person, group, role).

    ``group_ids`` are the groups to digest (a group without membership gets the empty set's
    digest). The digest names the school year's start (memberships ending before it are
    the archive, out of the comparison), the count, and the sum of the members' 64-bit
    hashes: independent of their order, and any added, removed or changed member changes it.
    """
    totals = dict.fromkeys(group_ids, 0)
    counts = dict.fromkeys(totals, 0)
    for person, group, role in memberships:
        if group in totals:
            totals[group] += hash((person, _ROLE_CODES.get(role, 0)))
            counts[group] += 1
    start = year_start.isoformat()
    return {
        group: f"{start}:{counts[group]}:{total & 0xFFFFFFFFFFFFFFFF:016x}"
        for group, total in totals.items()
    }
