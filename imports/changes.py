"""The change list of a run: every session it adds, removes or changes, with readable labels.

Built from a plan and its diff when the run compares the file with the ENT, and stored as
:class:`~imports.models.SessionChange` rows (replacing any list of an earlier attempt). For an
INTEGRATED run the list is what was applied; for a PREVIEWED or BLOCKED run, what applying
would have done at that moment.

A session removed and a session added for the same subject and audience in the same week are
shown as one change, old → new (a course moved, or given by another teacher); other removals
and additions stay as such. Session ends or rooms changed in place are changes too.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet

from ent.db import rows_insert
from ent.models import Person, SchoolClass, Session, TeachingService
from imports.models import UNMATCHED_MARK, ImportRun, SessionChange
from imports.planning import Plan, PlannedSession

BATCH = 2000
Kind = SessionChange.Kind
COLUMNS = (
    "run_id",
    "kind",
    "starts_at",
    "ends_at",
    "room",
    "subject",
    "teachers",
    "audience",
    "old_starts_at",
    "old_ends_at",
    "old_room",
    "old_teachers",
)


@dataclass(frozen=True, slots=True)
class _Labels:
    """A service's labels, cut to the lengths of the change list's columns."""

    subject: str
    teachers: str
    audience: str
    audience_key: str

    @classmethod
    def cut(cls, subject: str, teachers: str, audience: str, audience_key: str) -> _Labels:
        return cls(subject[:200], teachers[:500], audience[:500], audience_key)


@dataclass(frozen=True, slots=True)
class _Old:
    service_id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    room: str


def session_changes_store(
    run: ImportRun,
    plan: Plan,
    *,
    added: Iterable[PlannedSession],
    removed: Iterable[int],
    changed: Iterable[tuple[int, dt.datetime, str]],
    kept: Iterable[int] = (),
) -> int:
    """Replace the change list of ``run``; return how many rows it has.

    ``added`` are planned sessions, ``removed`` and ``kept`` existing session ids (kept: a
    session with content that stays, "hors emploi du temps"), ``changed`` (session id, new
    end, new room) triples.
    """
    tz = ZoneInfo(settings.TIME_ZONE)
    added = list(added)
    removed, kept, changed = list(removed), list(kept), list(changed)
    old = _existing(removed + kept + [pk for pk, _e, _r in changed])
    labels = _existing_labels({o.service_id for o in old.values()})
    new_labels = _planned_labels(plan, {s.service_key for s in added})
    rows: list[tuple[object, ...]] = []
    run_id = run.pk

    # Removed and added for the same subject and audience in the same week: one change.
    def week(moment: dt.datetime) -> tuple[int, int]:
        iso = moment.astimezone(tz).isocalendar()
        return iso.year, iso.week

    def row(
        kind: int,
        starts_at: dt.datetime,
        ends_at: dt.datetime,
        room: str,
        labels: _Labels,
        before: tuple[_Old, _Labels] | None = None,
    ) -> tuple[object, ...]:
        old, old_labels = before if before else (None, None)
        return (
            run.pk,
            kind,
            starts_at,
            ends_at,
            room[:100],
            labels.subject,
            labels.teachers,
            labels.audience,
            old.starts_at if old else None,
            old.ends_at if old else None,
            old.room[:100] if old else "",
            old_labels.teachers if old_labels else "",
        )

    pending: dict[tuple[str, tuple[int, int]], list[int]] = defaultdict(list)
    for pk in sorted(removed, key=lambda pk: old[pk].starts_at):
        key = (labels[old[pk].service_id].audience_key, week(old[pk].starts_at))
        pending[key].append(pk)
    added_kind = Kind.ADDED.value
    for session in sorted(added, key=_starts_at):
        new = new_labels[session.service_key]
        # A first import removes nothing: its sessions are all added, no week to compute.
        candidates = pending.get((new.audience_key, week(session.starts_at))) if pending else None
        if candidates:
            before = old[candidates.pop(0)]
            rows.append(
                row(
                    Kind.CHANGED,
                    session.starts_at,
                    session.ends_at,
                    session.room,
                    new,
                    (before, labels[before.service_id]),
                )
            )
        else:  # the most frequent row (every session of a first import): built inline
            rows.append(
                (
                    run_id,
                    added_kind,
                    session.starts_at,
                    session.ends_at,
                    session.room[:100],
                    new.subject,
                    new.teachers,
                    new.audience,
                    None,
                    None,
                    "",
                    "",
                )
            )
    for pks in pending.values():
        for pk in pks:
            o = old[pk]
            rows.append(row(Kind.REMOVED, o.starts_at, o.ends_at, o.room, labels[o.service_id]))
    for pk in kept:
        o = old[pk]
        rows.append(row(Kind.KEPT, o.starts_at, o.ends_at, o.room, labels[o.service_id]))
    for pk, ends_at, room in changed:
        o = old[pk]
        o_labels = labels[o.service_id]
        rows.append(row(Kind.CHANGED, o.starts_at, ends_at, room, o_labels, (o, o_labels)))
    with transaction.atomic():
        SessionChange.objects.filter(run=run).delete()
        rows_insert(SessionChange, COLUMNS, rows)
    return len(rows)


def _starts_at(session: PlannedSession) -> dt.datetime:
    return session.starts_at


def _existing(pks: list[int]) -> dict[int, _Old]:
    found: dict[int, _Old] = {}
    for start in range(0, len(pks), BATCH):
        for pk, service, starts, ends, room in Session.objects.filter(
            pk__in=pks[start : start + BATCH]
        ).values_list("pk", "teaching_service_id", "starts_at", "ends_at", "room"):
            found[pk] = _Old(service, starts, ends, room)
    return found


def _names(person_ids: Iterable[int]) -> dict[int, str]:
    return {
        pk: f"{last.upper()} {first}".strip()
        for pk, last, first in Person.objects.filter(pk__in=set(person_ids)).values_list(
            "pk", "last_name", "first_name"
        )
    }


def _teachers_label(names: Iterable[str], unmatched: Iterable[str]) -> str:
    """Return the teachers of a service, those the directory lacks marked « (non rapproché) »."""
    return ", ".join(sorted([*names, *(f"{name}{UNMATCHED_MARK}" for name in unmatched if name)]))


def _existing_labels(service_ids: set[int]) -> dict[int, _Labels]:
    audiences: dict[int, list[str]] = defaultdict(list)
    teachers: dict[int, list[int]] = defaultdict(list)
    ids = list(service_ids)
    for service, code in TeachingService.classes.through.objects.filter(
        teachingservice_id__in=ids
    ).values_list("teachingservice_id", "schoolclass__code"):
        audiences[service].append(code)
    for service, code in TeachingService.groups.through.objects.filter(
        teachingservice_id__in=ids
    ).values_list("teachingservice_id", "teachinggroup__code"):
        audiences[service].append(code)
    for service, person in TeachingService.teachers.through.objects.filter(
        teachingservice_id__in=ids
    ).values_list("teachingservice_id", "person_id"):
        teachers[service].append(person)
    names = _names(p for people in teachers.values() for p in people)
    return {
        pk: _Labels.cut(
            subject=label,
            teachers=_teachers_label(
                (names.get(t, "") for t in teachers[pk]), (unmatched or "").split(", ")
            ),
            audience=", ".join(sorted(audiences[pk])),
            audience_key=audience_key,
        )
        for pk, label, audience_key, unmatched in TeachingService.objects.filter(
            pk__in=ids
        ).values_list("pk", "subject__label", "audience_key", "unmatched_teachers")
    }


def _planned_labels(plan: Plan, keys: set[str]) -> dict[str, _Labels]:
    services = [plan.services[key] for key in keys]
    class_codes = dict(
        SchoolClass.objects.filter(pk__in={c for s in services for c in s.class_ids}).values_list(
            "pk", "code"
        )
    )
    names = _names(t for s in services for t in s.teacher_ids)
    return {
        s.key: _Labels.cut(
            subject=s.subject_label,
            teachers=_teachers_label(
                (names.get(t, "") for t in s.teacher_ids), s.unmatched_teachers
            ),
            audience=", ".join(
                sorted(
                    [class_codes[c] for c in s.class_ids if c in class_codes]
                    + [code for _e, code in s.group_keys]
                )
            ),
            audience_key=s.audience_key,
        )
        for s in services
    }


# Reading the list ------------------------------------------------------------------------


def session_changes_for(
    run: ImportRun, *, audience: str = "", teacher: str = "", kind: int | None = None
) -> QuerySet[SessionChange]:
    """Return the change list of ``run``, filtered by class/group, teacher and kind."""
    changes = SessionChange.objects.filter(run=run)
    if audience:
        changes = changes.filter(audience__icontains=audience)
    if teacher:
        changes = changes.filter(
            Q(teachers__icontains=teacher) | Q(old_teachers__icontains=teacher)
        )
    if kind is not None:
        changes = changes.filter(kind=kind)
    return changes.order_by("starts_at", "pk")


def session_changes_totals(run: ImportRun) -> dict[int, int]:
    """Return how many changes of each kind ``run`` has."""
    totals = dict.fromkeys(Kind.values, 0)
    for kind in SessionChange.objects.filter(run=run).values_list("kind", flat=True).iterator():
        totals[kind] += 1
    return totals


CSV_HEADER = (
    "Changement",
    "Date",
    "Début",
    "Fin",
    "Matière",
    "Enseignants",
    "Classes et groupes",
    "Salle",
    "Ancienne date",
    "Ancien début",
    "Ancienne fin",
    "Anciens enseignants",
    "Ancienne salle",
)


def session_changes_csv(changes: QuerySet[SessionChange]) -> Iterator[str]:
    """Yield the CSV lines (semicolon-separated, for French spreadsheets) of ``changes``."""
    tz = ZoneInfo(settings.TIME_ZONE)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    buffer.write("\ufeff")  # spreadsheets read the file as UTF-8
    writer.writerow(CSV_HEADER)
    yield flush()
    for change in changes.iterator(chunk_size=BATCH):
        starts, ends = change.starts_at.astimezone(tz), change.ends_at.astimezone(tz)
        old_starts = change.old_starts_at.astimezone(tz) if change.old_starts_at else None
        old_ends = change.old_ends_at.astimezone(tz) if change.old_ends_at else None
        writer.writerow(
            (
                change.get_kind_display(),
                f"{starts:%d/%m/%Y}",
                f"{starts:%H:%M}",
                f"{ends:%H:%M}",
                change.subject,
                change.teachers,
                change.audience,
                change.room,
                f"{old_starts:%d/%m/%Y}" if old_starts else "",
                f"{old_starts:%H:%M}" if old_starts else "",
                f"{old_ends:%H:%M}" if old_ends else "",
                change.old_teachers,
                change.old_room,
            )
        )
        yield flush()
