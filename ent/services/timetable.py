"""The ENT's own timetable, read back: a week of one class, group, teacher or room.

Reads only. A week is a handful of indexed queries whatever the size of the timetable:
the services of the target (a class also sees the services of the groups it is part of),
then the sessions of those services in ``[Monday, next Monday)``, then the labels of those
sessions' services in bulk. Closing periods entered by hand or imported mark their days.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from enum import StrEnum
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q

from ent.models import (
    ClosingPeriod,
    Establishment,
    Person,
    SchoolClass,
    SchoolGroup,
    Session,
    SessionContent,
    TeachingGroup,
    TeachingService,
)
from ent.text import name_key

DAY_NAMES = ("Lundi", "Mardi", "Mercredi", "Jeudi", "Vendredi", "Samedi", "Dimanche")
SEARCH_MAX = 20


class TargetKind(StrEnum):
    CLASS = "classe"
    GROUP = "groupe"
    TEACHER = "enseignant"
    ROOM = "salle"


KIND_LABELS = {
    TargetKind.CLASS: "Classe",
    TargetKind.GROUP: "Groupe",
    TargetKind.TEACHER: "Enseignant",
    TargetKind.ROOM: "Salle",
}


class TargetUnknown(LookupError):
    """No class, group, teacher or room of the establishment matches."""


@dataclass(frozen=True, slots=True)
class Target:
    kind: TargetKind
    establishment: Establishment
    key: str  # the pk of the class, group or teacher; the room's name
    label: str

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]


@dataclass(frozen=True, slots=True)
class WeekSession:
    pk: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    subject: str
    teachers: tuple[tuple[int, str], ...]
    classes: tuple[tuple[int, str], ...]
    groups: tuple[tuple[int, str], ...]
    room: str
    source: int
    content: str = ""
    homework: str = ""
    lane: int = 0
    lanes: int = 1

    @property
    def is_manual(self) -> bool:
        return self.source == Session.Source.MANUAL

    @property
    def is_off_timetable(self) -> bool:
        return self.source == Session.Source.OFF_TIMETABLE


@dataclass(slots=True)
class WeekDay:
    date: dt.date
    name: str
    closing: str | None = None  # the closing period's label when the day is closed
    sessions: list[WeekSession] = field(default_factory=list)


@dataclass(slots=True)
class Week:
    target: Target
    monday: dt.date
    days: list[WeekDay]
    first_minute: int  # the grid's first and last minute of the day (multiples of 60)
    last_minute: int

    @property
    def previous(self) -> dt.date:
        return self.monday - dt.timedelta(days=7)

    @property
    def next(self) -> dt.date:
        return self.monday + dt.timedelta(days=7)

    @property
    def session_count(self) -> int:
        return sum(len(day.sessions) for day in self.days)


def week_monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def timetable_target(*, establishment: Establishment, kind: TargetKind, key: str) -> Target:
    """Return the class, group, teacher or room ``key`` of ``establishment``.

    Raises :class:`TargetUnknown` when it is not one of the establishment's.
    """
    if kind == TargetKind.ROOM:
        if not key or not timetable_rooms(establishment, contains=key, exact=True):
            raise TargetUnknown(key)
        return Target(kind, establishment, key, key)
    if not key.isdigit():
        raise TargetUnknown(key)
    label: str | None
    if kind == TargetKind.CLASS:
        school_class = SchoolClass.objects.filter(establishment=establishment, pk=key).first()
        label = school_class.code if school_class else None
    elif kind == TargetKind.GROUP:
        group = TeachingGroup.objects.filter(establishment=establishment, pk=key).first()
        label = group.code if group else None
    else:
        teacher = Person.objects.filter(
            establishments=establishment, kind=Person.Kind.TEACHER, pk=key
        ).first()
        label = teacher.display_name if teacher else None
    if label is None:
        raise TargetUnknown(key)
    return Target(kind, establishment, key, label)


def timetable_sessions(
    target: Target, *, starts: dt.datetime, ends: dt.datetime
) -> list[WeekSession]:
    """Return the sessions of ``target`` starting in ``[starts, ends)``, with their labels."""
    tz = ZoneInfo(settings.TIME_ZONE)
    sessions = Session.objects.filter(starts_at__gte=starts, starts_at__lt=ends)
    if target.kind == TargetKind.ROOM:
        sessions = sessions.filter(
            room=target.key, teaching_service__establishment__school_group_id=_group_id(target)
        )
    else:
        sessions = sessions.filter(teaching_service_id__in=timetable_service_ids(target))
    rows = list(
        sessions.values_list(
            "pk", "teaching_service_id", "starts_at", "ends_at", "room", "source"
        ).order_by("starts_at", "pk")
    )
    labels = _service_labels({service for _pk, service, *_rest in rows})
    contents: dict[int, tuple[str, str]] = {}
    ids = [row[0] for row in rows]
    for start in range(0, len(ids), 5000):
        for pk, content, homework in SessionContent.objects.filter(
            session_id__in=ids[start : start + 5000]
        ).values_list("session_id", "content", "homework"):
            contents[pk] = (content, homework)
    found = []
    for pk, service, session_starts, session_ends, room, source in rows:
        subject, teachers, classes, groups = labels[service]
        content, homework = contents.get(pk, ("", ""))
        found.append(
            WeekSession(
                pk=pk,
                starts_at=session_starts.astimezone(tz),
                ends_at=session_ends.astimezone(tz),
                subject=subject,
                teachers=teachers,
                classes=classes,
                groups=groups,
                room=room,
                source=source,
                content=content,
                homework=homework,
            )
        )
    return found


def timetable_week(target: Target, *, day: dt.date) -> Week:
    """Return the week containing ``day`` for ``target``, Monday to Saturday (Sunday if used)."""
    tz = ZoneInfo(settings.TIME_ZONE)
    monday = week_monday(day)
    starts = dt.datetime.combine(monday, dt.time(), tzinfo=tz)
    ends = dt.datetime.combine(monday + dt.timedelta(days=7), dt.time(), tzinfo=tz)
    days = [WeekDay(date=monday + dt.timedelta(days=n), name=DAY_NAMES[n]) for n in range(7)]
    for session in timetable_sessions(target, starts=starts, ends=ends):
        days[session.starts_at.weekday()].sessions.append(session)
    _mark_closings(target, days)
    for weekday in days:
        weekday.sessions = _lanes(weekday.sessions)
    if not days[6].sessions:
        days = days[:6]
    first, last = _hours(days)
    return Week(target=target, monday=monday, days=days, first_minute=first, last_minute=last)


def _group_id(target: Target) -> int:
    return target.establishment.school_group_id


def timetable_service_ids(target: Target) -> list[int]:
    """Return the ids of the teaching services of ``target`` in its school group.

    A teacher may also teach in another school group's establishment (the directory attaches
    her to both): that group's services are not this page's nor this feed's to show.
    """
    key = int(target.key)
    if target.kind == TargetKind.CLASS:
        group_ids = TeachingGroup.classes.through.objects.filter(schoolclass_id=key).values(
            "teachinggroup_id"
        )
        condition = Q(classes=key) | Q(groups__in=group_ids)
    elif target.kind == TargetKind.GROUP:
        condition = Q(groups=key)
    else:
        condition = Q(teachers=key)
    services = TeachingService.objects.filter(
        condition, establishment__school_group_id=_group_id(target)
    )
    return list(services.values_list("pk", flat=True).distinct())


_Labelled = tuple[int, str]
_ServiceLabels = tuple[str, tuple[_Labelled, ...], tuple[_Labelled, ...], tuple[_Labelled, ...]]


def _service_labels(service_ids: set[int]) -> dict[int, _ServiceLabels]:
    ids = list(service_ids)
    teachers: dict[int, list[tuple[int, str]]] = defaultdict(list)
    classes: dict[int, list[tuple[int, str]]] = defaultdict(list)
    groups: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for service, pk, last, first in TeachingService.teachers.through.objects.filter(
        teachingservice_id__in=ids
    ).values_list("teachingservice_id", "person_id", "person__last_name", "person__first_name"):
        teachers[service].append((pk, f"{last.upper()} {first}"))
    for service, pk, code in TeachingService.classes.through.objects.filter(
        teachingservice_id__in=ids
    ).values_list("teachingservice_id", "schoolclass_id", "schoolclass__code"):
        classes[service].append((pk, code))
    for service, pk, code in TeachingService.groups.through.objects.filter(
        teachingservice_id__in=ids
    ).values_list("teachingservice_id", "teachinggroup_id", "teachinggroup__code"):
        groups[service].append((pk, code))
    return {
        pk: (
            label,
            tuple(sorted(teachers[pk], key=lambda t: t[1])),
            tuple(sorted(classes[pk], key=lambda c: c[1])),
            tuple(sorted(groups[pk], key=lambda g: g[1])),
        )
        for pk, label in TeachingService.objects.filter(pk__in=ids).values_list(
            "pk", "subject__label"
        )
    }


def _mark_closings(target: Target, days: list[WeekDay]) -> None:
    closings = ClosingPeriod.objects.filter(
        establishment=target.establishment,
        start_date__lt=days[-1].date + dt.timedelta(days=1),
        end_date__gt=days[0].date,
    ).values_list("start_date", "end_date", "label", "source")
    for start, end, label, source in closings:
        text = label or "Fermeture"
        if source == ClosingPeriod.Source.MANUAL:
            text += " (saisie manuelle)"
        for day in days:
            if start <= day.date < end:
                day.closing = text


def _lanes(sessions: list[WeekSession]) -> list[WeekSession]:
    """Place overlapping sessions side by side: each gets a lane among its cluster's lanes."""
    placed: list[WeekSession] = []
    cluster: list[tuple[WeekSession, int]] = []
    cluster_end: dt.datetime | None = None

    def flush() -> None:
        width = max((lane for _s, lane in cluster), default=0) + 1
        placed.extend(dataclasses.replace(s, lane=lane, lanes=width) for s, lane in cluster)
        cluster.clear()

    lane_ends: list[dt.datetime] = []
    for session in sessions:
        if cluster_end is not None and session.starts_at >= cluster_end:
            flush()
            lane_ends = []
            cluster_end = None
        lane = next((n for n, end in enumerate(lane_ends) if end <= session.starts_at), None)
        if lane is None:
            lane = len(lane_ends)
            lane_ends.append(session.ends_at)
        else:
            lane_ends[lane] = session.ends_at
        cluster.append((session, lane))
        cluster_end = max(cluster_end or session.ends_at, session.ends_at)
    flush()
    return placed


def _hours(days: list[WeekDay]) -> tuple[int, int]:
    first, last = 8 * 60, 18 * 60
    for day in days:
        for s in day.sessions:
            first = min(first, s.starts_at.hour * 60)
            end = s.ends_at.hour * 60 + s.ends_at.minute
            last = max(last, -(-end // 60) * 60)
    return first, last


# Search -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SearchHit:
    kind: TargetKind
    establishment: Establishment
    key: str
    label: str

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]


def timetable_rooms(
    establishment: Establishment, *, contains: str = "", exact: bool = False
) -> list[str]:
    """Return the rooms the timetable uses in the establishment's school group, sorted."""
    rooms = Session.objects.filter(
        teaching_service__establishment__school_group_id=establishment.school_group_id
    ).exclude(room="")
    if exact:
        rooms = rooms.filter(room=contains)
    elif contains:
        rooms = rooms.filter(room__icontains=contains)
    return sorted(rooms.values_list("room", flat=True).distinct())


def timetable_search(school_group: SchoolGroup, query: str) -> list[SearchHit]:
    """Find classes, groups, teachers and rooms of the school group whose name contains
    ``query`` (accents and case ignored for teachers); an exact match comes first."""
    query = query.strip()
    if not query:
        return []
    establishments = {e.pk: e for e in school_group.establishments.all()}
    hits: list[SearchHit] = []
    for pk, establishment_id, code in SchoolClass.objects.filter(
        establishment_id__in=establishments, code__icontains=query
    ).values_list("pk", "establishment_id", "code")[:SEARCH_MAX]:
        hits.append(SearchHit(TargetKind.CLASS, establishments[establishment_id], str(pk), code))
    for pk, establishment_id, code in TeachingGroup.objects.filter(
        establishment_id__in=establishments, code__icontains=query
    ).values_list("pk", "establishment_id", "code")[:SEARCH_MAX]:
        hits.append(SearchHit(TargetKind.GROUP, establishments[establishment_id], str(pk), code))
    key = name_key(query)
    if key:
        teachers = (
            Person.objects.filter(kind=Person.Kind.TEACHER, search_key__contains=key)
            .filter(establishments__in=list(establishments))
            .prefetch_related("establishments")
            .distinct()[:SEARCH_MAX]
        )
        for person in teachers:
            for establishment in person.establishments.all():
                if establishment.pk in establishments:
                    hits.append(
                        SearchHit(
                            TargetKind.TEACHER, establishment, str(person.pk), person.display_name
                        )
                    )
    if establishments:
        first = next(iter(establishments.values()))
        for room in timetable_rooms(first, contains=query)[:SEARCH_MAX]:
            hits.append(SearchHit(TargetKind.ROOM, first, room, room))
    folded = name_key(query)
    hits.sort(key=lambda h: (name_key(h.label) != folded, h.kind != TargetKind.CLASS, h.label))
    return hits


def timetable_search_single(hits: list[SearchHit], query: str) -> SearchHit | None:
    """Return the hit to open directly: the only one, or the only exact name among several."""
    if len(hits) == 1:
        return hits[0]
    exact = [hit for hit in hits if name_key(hit.label) == name_key(query)]
    return exact[0] if len(exact) == 1 else None


def timetable_directory(establishment: Establishment) -> dict[TargetKind, list[tuple[str, str]]]:
    """Return the establishment's classes, groups, teachers and rooms: (key, label) lists."""
    return {
        TargetKind.CLASS: [
            (str(pk), code)
            for pk, code in establishment.classes.order_by("code").values_list("pk", "code")
        ],
        TargetKind.GROUP: [
            (str(pk), code)
            for pk, code in establishment.teaching_groups.order_by("code").values_list("pk", "code")
        ],
        TargetKind.TEACHER: [
            (str(p.pk), p.display_name)
            for p in establishment.people.filter(kind=Person.Kind.TEACHER).order_by(
                "last_name", "first_name"
            )
        ],
        TargetKind.ROOM: [(room, room) for room in timetable_rooms(establishment)],
    }


def timetable_target_named(*, establishment: Establishment, kind: TargetKind, name: str) -> Target:
    """Return the class or group with code ``name``, the teacher "NOM Prénom" or the room.

    Raises :class:`TargetUnknown` when none, or several teachers, match.
    """
    if kind == TargetKind.ROOM:
        return timetable_target(establishment=establishment, kind=kind, key=name)
    if kind == TargetKind.CLASS:
        pks = list(establishment.classes.filter(code__iexact=name).values_list("pk", flat=True)[:2])
    elif kind == TargetKind.GROUP:
        pks = list(
            establishment.teaching_groups.filter(code__iexact=name).values_list("pk", flat=True)[:2]
        )
    else:
        pks = list(
            establishment.people.filter(
                kind=Person.Kind.TEACHER, search_key=name_key(name)
            ).values_list("pk", flat=True)[:2]
        )
    if len(pks) != 1:
        raise TargetUnknown(name)
    return timetable_target(establishment=establishment, kind=kind, key=str(pks[0]))
