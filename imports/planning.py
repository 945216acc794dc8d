"""What the ENT should hold after an import: planned subjects, services, sessions, closings.

:func:`plan_build` turns a parsed timetable and its matches into these plain records (pure: no
ORM); :func:`imports.services.apply.plan_diff` compares them with the database and
:func:`imports.services.apply.plan_apply` writes them.

Which establishment a service, a new group or a subject belongs to (a cité scolaire shares one
file between several establishments): the establishment of its matched classes and groups
(the most frequent one, the smallest id on a tie), else the establishment whose UAI the file
names, else the first establishment given to :func:`plan_build` (the run's target).
"""

from __future__ import annotations

import bisect
import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple
from zoneinfo import ZoneInfo

from ent.text import name_key
from imports.matching import DirectoryUnit, person_source_key
from imports.sessions import Occurrence, closed_days, course_occurrence_runs
from imports.timetable import Course, Resource, SourceClosing, Timetable, UnitKind

ROOM_MAX = 100
AUDIENCE_KEY_MAX = 1024
CODE_MAX = 64
NAME_MAX = 200
ROLE_STUDENT = "STUDENT"
ROLE_TEACHER = "TEACHER"
# Part of every course digest: change it when planning changes what a course yields.
PLAN_DIGEST_VERSION = 1


def service_key(
    establishment_id: int, subject_code: str, audience: list[str], teachers: list[str]
) -> str:
    """Return the natural key of a teaching service: subject, audience and teachers."""
    raw = "\x1f".join(
        [
            str(establishment_id),
            subject_code,
            "|".join(sorted(audience)),
            "|".join(sorted(teachers)),
        ]
    )
    return hashlib.sha256(raw.encode()).hexdigest()[:40]


def audience_key(subject_code: str, audience: list[str]) -> str:
    """Return a service's identity without its teachers (to tell "modified" from "created")."""
    raw = "\x1f".join([subject_code, "|".join(sorted(audience))])
    if len(raw) <= AUDIENCE_KEY_MAX:
        return raw
    # A very large audience: keep the column's size, stay unique.
    return f"{raw[: AUDIENCE_KEY_MAX - 41]}#{hashlib.sha256(raw.encode()).hexdigest()[:40]}"


@dataclass(frozen=True, slots=True)
class PlannedGroup:
    """A teaching group of the file that the directory lacks: the import creates it."""

    establishment_id: int
    code: str
    name: str
    class_ids: frozenset[int] = frozenset()


@dataclass(frozen=True, slots=True)
class PlannedService:
    key: str
    audience_key: str
    establishment_id: int
    subject_code: str
    subject_label: str
    teacher_ids: frozenset[int]
    class_ids: frozenset[int]
    # (establishment id, code) of its groups; new groups are created at apply time
    group_keys: frozenset[tuple[int, str]]
    weekly_minutes: int
    incomplete: bool  # a teacher, a class/group or the subject could not be matched
    # The file's names of its teachers not matched to the directory (in ``key``, not in
    # ``teacher_ids``), sorted: "DUPONT Claire".
    unmatched_teachers: tuple[str, ...] = ()


class PlannedSession(NamedTuple):
    """One session to hold (a tuple: tens of thousands are built per import)."""

    service_key: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    room: str


@dataclass(frozen=True, slots=True)
class PlannedClosing:
    establishment_id: int
    start_date: dt.date
    end_date: dt.date
    label: str


@dataclass
class Plan:
    establishment_ids: frozenset[int]
    effective_at: dt.datetime  # sessions are generated from here…
    window_end: dt.datetime  # …to the end of the school year (exclusive)
    # The file's school year [start, end): closings and memberships dated before it are the
    # archive, which an import never modifies or deletes.
    year_start: dt.date = dt.date.min
    year_end: dt.date = dt.date.max
    subjects: dict[tuple[int, str], str] = field(default_factory=dict)  # → label
    groups: dict[tuple[int, str], PlannedGroup] = field(default_factory=dict)
    services: dict[str, PlannedService] = field(default_factory=dict)
    sessions: list[PlannedSession] = field(default_factory=list)
    closings: set[PlannedClosing] = field(default_factory=set)
    # (person id, establishment id, group code, role) from the file
    group_memberships: set[tuple[int, int, str, str]] = field(default_factory=set)
    coherence_violations: list[str] = field(default_factory=list)
    sessions_before_effective: int = 0  # occurrences before the import time, never touched
    # Start of the first whole week after the import time: ``week_digests`` cover the
    # sessions of [digests_from, window_end), week by week (see :func:`session_week_digests`).
    digests_from: dt.datetime | None = None
    week_digests: dict[str, dict[str, str]] = field(default_factory=dict)
    # (establishment id, start) of each occurrence the file cancels in the window
    cancellations: list[tuple[int, dt.datetime]] = field(default_factory=list)
    # Per service key, a digest of what its sessions are planned from (see course_digests)
    course_digests: dict[str, str] = field(default_factory=dict)
    # Keys of the services planned without their sessions: the ENT already holds them
    # (``reusable`` of plan_build); ``sessions`` and ``week_digests`` leave them out.
    services_skipped: set[str] = field(default_factory=set)


@dataclass(frozen=True, slots=True)
class TimetableMatches:
    """What matching found, by the file's idents: directory ids and units."""

    teachers: Mapping[str, int] = field(default_factory=dict)  # teacher ident → person id
    students: Mapping[str, int] = field(default_factory=dict)  # student ident → person id
    classes: Mapping[str, DirectoryUnit] = field(default_factory=dict)
    groups: Mapping[str, DirectoryUnit] = field(default_factory=dict)
    parts: Mapping[str, DirectoryUnit] = field(default_factory=dict)  # parts found as groups


@dataclass(frozen=True, slots=True)
class _Unit:
    """A class or group of an audience, resolved to the ENT (``code`` empty: unmatched)."""

    kind: str  # "c" (class) or "g" (group)
    establishment_id: int | None
    code: str
    class_id: int | None = None
    label: str = ""

    @property
    def token(self) -> str:
        return f"{self.kind}:{self.code}" if self.code else f"{self.kind}?:{self.label}"


def plan_build(
    timetable: Timetable,
    match: TimetableMatches,
    *,
    establishments: Sequence[tuple[int, str]],
    effective_at: dt.datetime,
    window_end: dt.datetime,
    tz: ZoneInfo,
    ent_closings: Iterable[tuple[int, dt.date, dt.date]] = (),
    reusable: Mapping[str, str] | None = None,
) -> Plan:
    """Return what the ENT should hold once ``timetable`` is imported.

    ``establishments`` are the targeted (id, UAI), the run's own target first;
    ``ent_closings`` the closing periods entered by hand in the ENT. Sessions are planned
    for ``[effective_at, window_end)`` only; occurrences inside an ENT closing period or after
    ``window_end`` are dropped and reported as coherence violations.

    ``reusable`` (service key → course digest) names services whose sessions the ENT holds
    as planned from courses of that digest, from an import time no later than
    ``effective_at``: a service whose digest is the same now is planned without its
    sessions (``plan.services_skipped``); everything else in the plan is complete and the
    same as without ``reusable``, counts of days before the import time included.
    """
    builder = _PlanBuilder(timetable, match, establishments, tz, list(ent_closings))
    builder.reusable = reusable or {}
    plan = Plan(
        establishment_ids=frozenset(e for e, _uai in establishments),
        effective_at=effective_at,
        window_end=window_end,
        year_start=timetable.year.start,
        year_end=timetable.year.end,
    )
    builder.build(plan)
    return plan


class _PlanBuilder:
    def __init__(
        self,
        timetable: Timetable,
        match: TimetableMatches,
        establishments: Sequence[tuple[int, str]],
        tz: ZoneInfo,
        ent_closings: list[tuple[int, dt.date, dt.date]],
    ) -> None:
        self.timetable = timetable
        self.match = match
        self.establishments = establishments
        self.tz = tz
        self.ent_closings = ent_closings
        by_uai = {uai.upper(): pk for pk, uai in establishments}
        self.file_establishment = by_uai.get(timetable.uai.upper(), establishments[0][0])
        self.closed: dict[int, frozenset[dt.date]] = defaultdict(frozenset)
        for pk in {e for e, _s, _e in ent_closings}:
            self.closed[pk] = closed_days(
                SourceClosing(start, end) for e, start, end in ent_closings if e == pk
            )
        self.room_names: dict[tuple[str, ...], str] = {}
        self.reusable: Mapping[str, str] = {}
        self.days_of: dict[tuple[int, frozenset[int]], list[dt.date]] = {}
        self.weeks_text: dict[frozenset[int], str] = {}
        self.new_groups: dict[tuple[int, str], PlannedGroup] = {}
        self.units: dict[tuple[str, str], _Unit] = {}
        self._resolve_units()

    # Units ------------------------------------------------------------------------------

    def _resolve_units(self) -> None:
        timetable, match = self.timetable, self.match
        for ident, school_class in timetable.classes.items():
            unit = match.classes.get(ident)
            self.units[("class", ident)] = (
                _Unit("c", unit.establishment_id, unit.code, unit.id, school_class.name)
                if unit
                else _Unit("c", None, "", None, school_class.name)
            )
        for ident, group in timetable.groups.items():
            classes = [*group.class_idents]
            classes += [
                timetable.parts[p].class_ident for p in group.part_idents if p in timetable.parts
            ]
            self.units[("group", ident)] = self._group_unit(
                match.groups.get(ident), group.name, classes
            )
        used_parts = {p for course in timetable.courses for p in (r.ident for r in course.parts)}
        used_parts |= {
            e.ident
            for student in timetable.students.values()
            for e in student.enrolments
            if e.kind == UnitKind.PART
        }
        for ident in sorted(used_parts & timetable.parts.keys()):
            part = timetable.parts[ident]
            self.units[("part", ident)] = self._group_unit(
                match.parts.get(ident), timetable.part_name(ident), [part.class_ident]
            )

    def _group_unit(self, found: DirectoryUnit | None, name: str, class_idents: list[str]) -> _Unit:
        if found is not None:
            return _Unit("g", found.establishment_id, found.code, None, name)
        classes = [self.units.get(("class", c)) for c in class_idents]
        matched = [c for c in classes if c is not None and c.class_id is not None]
        establishment = self._majority([c.establishment_id for c in matched])
        code = self._free_code(establishment, name)
        self.new_groups[(establishment, code)] = PlannedGroup(
            establishment_id=establishment,
            code=code,
            name=name[:NAME_MAX],
            class_ids=frozenset(c.class_id for c in matched if c.class_id is not None),
        )
        return _Unit("g", establishment, code, None, name)

    def _free_code(self, establishment: int, name: str) -> str:
        code = name[:CODE_MAX] or "groupe"
        taken = {c for e, c in self.new_groups if e == establishment}
        taken |= {
            u.code
            for u in self.match.groups.values()
            if u.establishment_id == establishment and name_key(u.name) != name_key(name)
        }
        number = 1
        while code in taken:
            number += 1
            suffix = f" ({number})"
            code = name[: CODE_MAX - len(suffix)] + suffix
        return code

    def _majority(self, establishment_ids: Iterable[int | None]) -> int:
        # A handful of ids per call, thousands of calls: a plain dict beats Counter here.
        counts: dict[int, int] = {}
        for e in establishment_ids:
            if e is not None:
                counts[e] = counts.get(e, 0) + 1
        if not counts:
            return self.file_establishment
        best = max(counts.values())
        return min(e for e, n in counts.items() if n == best)

    # Plan -------------------------------------------------------------------------------

    def build(self, plan: Plan) -> None:
        services: dict[str, _ServiceDraft] = {}
        sessions: dict[tuple[str, dt.date, dt.time], PlannedSession] = {}
        # Most weeks of a course have the same resources: resolve each combination once.
        drafts: dict[tuple[object, ...], _ServiceDraft] = {}
        closed = closed_days(self.timetable.closings)
        # Days before the import time are only counted: no session is built for them.
        # In the plan's own zone, so that comparing with it needs no UTC offset.
        self.effective_local = plan.effective_at.astimezone(self.tz)
        effective_day = self.effective_local.date()
        expanded: list[tuple[Occurrence, list[dt.date], _ServiceDraft]] = []
        courses_of: dict[str, dict[int, Course]] = defaultdict(dict)
        for course in self.timetable.courses:
            for occurrence, days in self._expand(course, closed):
                combination = (
                    id(course),
                    occurrence.teachers,
                    occurrence.classes,
                    occurrence.parts,
                    occurrence.groups,
                )
                draft = drafts.get(combination)
                if draft is None:
                    draft = drafts[combination] = self._service(occurrence, services)
                expanded.append((occurrence, days, draft))
                courses_of[draft.key][id(course)] = course
        plan.course_digests = self._course_digests(plan, courses_of)
        plan.services_skipped = {
            key for key, digest in plan.course_digests.items() if self.reusable.get(key) == digest
        }
        skipped = plan.services_skipped
        for occurrence, days, draft in expanded:
            past = bisect.bisect_left(days, effective_day)  # days are in date order
            plan.sessions_before_effective += past
            if draft.key in skipped:
                self._held(plan, occurrence, days[past:], draft)
                continue
            for day in days[past:]:
                self._session(plan, occurrence, day, draft, sessions)
        for draft in services.values():
            if draft.in_window:
                self._teacher_memberships(plan, draft)
        plan.sessions = sorted(sessions.values(), key=lambda s: (s.starts_at, s.service_key))
        monday = effective_day - dt.timedelta(days=effective_day.weekday())
        plan.digests_from = dt.datetime.combine(
            monday + dt.timedelta(days=7), dt.time(0), tzinfo=self.tz
        )
        plan.week_digests = session_week_digests(plan.sessions, since=plan.digests_from)
        for key, draft in services.items():
            plan.services[key] = draft.freeze(key)
            plan.subjects.setdefault(
                (draft.establishment_id, draft.subject_code), draft.subject_label
            )
        plan.groups = dict(self.new_groups)
        for course in self.timetable.courses:
            if course.cancelled_weeks:
                self._cancellations(plan, course, closed)
        self._closings(plan)
        self._student_memberships(plan)

    def _expand(
        self, course: Course, closed: frozenset[dt.date]
    ) -> Iterator[tuple[Occurrence, list[dt.date]]]:
        """Yield the course's occurrences grouped by active resources, with their dates.

        Same result as :func:`imports.sessions.course_occurrences`, faster for the usual
        course whose resources all share the same weeks (one group, no per-week work).
        """
        if len({r.weeks for r in course.resources}) > 1:
            yield from course_occurrence_runs(self.timetable, course, closed=closed)
            return
        # Most courses share their weekday and weeks: their dates are computed once (callers
        # only slice the list).
        weeks = course.weeks()
        days = self.days_of.get((course.day, weeks))
        if days is None:
            year = self.timetable.year
            days = [year.day(week, course.day) for week in sorted(weeks)]
            days = [day for day in days if year.contains(day) and day not in closed]
            self.days_of[(course.day, weeks)] = days
        if not days:
            return
        yield (
            Occurrence(
                course=course,
                date=days[0],
                start=course.start,
                end=course.end,
                teachers=tuple(sorted(r.ident for r in course.teachers)),
                classes=tuple(sorted(r.ident for r in course.classes)),
                parts=tuple(sorted(r.ident for r in course.parts)),
                groups=tuple(sorted(r.ident for r in course.groups)),
                rooms=tuple(sorted(r.ident for r in course.rooms)),
            ),
            days,
        )

    def _service(self, occurrence: Occurrence, services: dict[str, _ServiceDraft]) -> _ServiceDraft:
        units = [self.units[("class", i)] for i in occurrence.classes if ("class", i) in self.units]
        units += [self.units[("part", i)] for i in occurrence.parts if ("part", i) in self.units]
        units += [self.units[("group", i)] for i in occurrence.groups if ("group", i) in self.units]
        establishment = self._majority([u.establishment_id for u in units if u.code])
        subject = self.timetable.subjects.get(occurrence.course.subject_ident)
        code = (subject.code or subject.label or subject.ident) if subject else ""
        code = code[:CODE_MAX] or f"MAT-{occurrence.course.subject_ident}"[:CODE_MAX]
        teacher_tokens, teacher_ids, unmatched_teacher = [], [], False
        unmatched_names: list[str] = []
        for ident in occurrence.teachers:
            person = self.match.teachers.get(ident)
            if person is not None:
                teacher_tokens.append(f"p:{person}")
                teacher_ids.append(person)
            else:
                unmatched_teacher = True
                teacher = self.timetable.teachers.get(ident)
                if teacher:
                    unmatched_names.append(
                        f"{teacher.last_name.upper()} {teacher.first_name}".strip()
                    )
                teacher_tokens.append(
                    person_source_key(teacher, teacher.idpn, teacher.sts_id)
                    if teacher
                    else f"t:{ident}"
                )
        audience = sorted({u.token for u in units})
        key = service_key(establishment, code, audience, teacher_tokens)
        draft = services.get(key)
        if draft is None:
            draft = services[key] = _ServiceDraft(
                key=key,
                establishment_id=establishment,
                subject_code=code,
                subject_label=(subject.label or code)[:NAME_MAX] if subject else code,
                # Class codes are unique per establishment only: the identity names it.
                audience_key=audience_key(code, [f"e:{establishment}", *audience]),
                teacher_ids=frozenset(teacher_ids),
                unmatched_teachers=tuple(sorted(set(unmatched_names))),
                class_ids=frozenset(u.class_id for u in units if u.class_id is not None),
                group_keys=frozenset(
                    (u.establishment_id, u.code)
                    for u in units
                    if u.kind == "g" and u.establishment_id is not None
                ),
                incomplete=(
                    subject is None
                    or not teacher_tokens
                    or unmatched_teacher
                    or not units
                    or any(not u.code for u in units)
                ),
            )
        start, end = occurrence.course.start, occurrence.course.end
        minutes = (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)
        draft.course_minutes[occurrence.course.ident] = max(minutes, 0)
        return draft

    def _course_digests(
        self, plan: Plan, courses_of: dict[str, dict[int, Course]]
    ) -> dict[str, str]:
        """Return, per service key, a digest of everything its sessions are planned from.

        The service's courses (day, times, subject, every resource with its weeks, room
        names, cancelled weeks) and the frame they are planned in: the file's school year and
        closings, the ENT's closings, the establishments, the time zone and the window's end.
        The key itself names the service's subject, audience and teachers as matched. The
        import time is not in it: a service's sessions from a later import time on are the
        earlier plan's from that time on.
        """
        year = self.timetable.year
        frame = repr(
            (
                PLAN_DIGEST_VERSION,
                year.start,
                year.end,
                year.day(1, 1),
                sorted((c.start, c.end) for c in self.timetable.closings),
                sorted(self.ent_closings),
                list(self.establishments),
                self.tz.key,
                plan.window_end.isoformat(),
            )
        )
        tokens: dict[int, str] = {}
        digests: dict[str, str] = {}
        for key, courses in courses_of.items():
            parts = []
            for pk, course in courses.items():
                token = tokens.get(pk)
                if token is None:
                    token = tokens[pk] = self._course_token(course)
                parts.append(token)
            parts.sort()
            digests[key] = hashlib.sha256("\n".join([frame, *parts]).encode()).hexdigest()
        return digests

    def _course_token(self, course: Course) -> str:
        rooms = self.timetable.rooms
        weeks_text = self.weeks_text

        def weeks(items: frozenset[int]) -> str:
            text = weeks_text.get(items)
            if text is None:
                text = weeks_text[items] = ",".join(map(str, sorted(items)))
            return text

        def resources(kind: str, items: tuple[Resource, ...]) -> list[tuple[str, ...]]:
            return sorted(
                (
                    kind,
                    r.ident,
                    rooms[r.ident].name if kind == "r" and r.ident in rooms else "",
                    weeks(r.weeks),
                )
                for r in items
            )

        return repr(
            (
                course.day,
                course.start.isoformat(),
                course.end.isoformat(),
                course.subject_ident,
                resources("t", course.teachers),
                resources("c", course.classes),
                resources("p", course.parts),
                resources("g", course.groups),
                resources("r", course.rooms),
                sorted(course.cancelled_weeks),
            )
        )

    def _held(
        self, plan: Plan, occurrence: Occurrence, days: list[dt.date], draft: _ServiceDraft
    ) -> None:
        """Account for the sessions of a skipped service as :meth:`_session` would, unbuilt.

        The usual case (every day after the import's own day, before the window's end, none
        closed by the ENT) is decided without a loop; anything else goes day by day.
        """
        if not days:
            return
        closed = self.closed[draft.establishment_id]
        if (
            occurrence.start < occurrence.end
            and days[0] > self.effective_local.date()
            and days[-1] < plan.window_end.astimezone(self.tz).date()
            and not (closed and any(day in closed for day in days))
        ):
            draft.in_window = True
            return
        for day in days:
            if self._placed(plan, occurrence, day, draft) is not None:
                draft.in_window = True

    def _placed(
        self, plan: Plan, occurrence: Occurrence, day: dt.date, draft: _ServiceDraft
    ) -> tuple[dt.datetime, dt.datetime] | None:
        """The start and end of ``occurrence`` on ``day`` if it is a session of the window.

        Otherwise account for it: counted before the import time, or reported as after the
        ENT's school year or in one of its closings (a non-positive duration is dropped).
        """
        starts_at = dt.datetime.combine(day, occurrence.start, tzinfo=self.tz)
        ends_at = dt.datetime.combine(day, occurrence.end, tzinfo=self.tz)
        if starts_at < self.effective_local:
            plan.sessions_before_effective += 1
            return None
        if ends_at <= starts_at:
            return None
        if starts_at >= plan.window_end:
            plan.coherence_violations.append(
                f"Séance de {_label(draft, day, occurrence)} après la fin de l'année scolaire de "
                "l'ENT : non créée."
            )
            return None
        if day in self.closed[draft.establishment_id]:
            plan.coherence_violations.append(
                f"Séance de {_label(draft, day, occurrence)} pendant une période de fermeture de "
                "l'ENT : non créée."
            )
            return None
        return starts_at, ends_at

    def _session(
        self,
        plan: Plan,
        occurrence: Occurrence,
        day: dt.date,
        draft: _ServiceDraft,
        sessions: dict[tuple[str, dt.date, dt.time], PlannedSession],
    ) -> None:
        placed = self._placed(plan, occurrence, day, draft)
        if placed is None:
            return
        starts_at, ends_at = placed
        draft.in_window = True
        room = self.room_names.get(occurrence.rooms)
        if room is None:
            room = self.room_names[occurrence.rooms] = self._rooms(occurrence.rooms)
        # The local day and time name the start: hashing an aware datetime asks its zone for
        # the UTC offset, which costs more than the rest of this method.
        natural = (draft.key, day, occurrence.start)
        previous = sessions.get(natural)
        if previous is not None:
            # The same service twice at the same time (a duplicated course): one session.
            rooms = {*room.split(", "), *previous.room.split(", ")} - {""}
            room = ", ".join(sorted(rooms))[:ROOM_MAX]
            ends_at = max(ends_at, previous.ends_at)
        sessions[natural] = PlannedSession(
            service_key=draft.key, starts_at=starts_at, ends_at=ends_at, room=room
        )

    def _cancellations(self, plan: Plan, course: Course, closed: frozenset[dt.date]) -> None:
        """Record the occurrences ``course`` would have in the window but for a cancellation.

        A cancelled week counts when a resource of the course is active that week and the day
        is a school day (inside the year, outside the file's and the ENT's closings).
        """
        idents = [("class", r.ident) for r in course.classes]
        idents += [("part", r.ident) for r in course.parts]
        idents += [("group", r.ident) for r in course.groups]
        units = [self.units[i] for i in idents if i in self.units]
        establishment = self._majority([u.establishment_id for u in units if u.code])
        year = self.timetable.year
        for week in sorted(course.cancelled_weeks):
            if not any(week in r.weeks for r in course.resources):
                continue
            day = year.day(week, course.day)
            if not year.contains(day) or day in closed or day in self.closed[establishment]:
                continue
            starts_at = dt.datetime.combine(day, course.start, tzinfo=self.tz)
            if plan.effective_at <= starts_at < plan.window_end:
                plan.cancellations.append((establishment, starts_at))

    def _rooms(self, idents: tuple[str, ...]) -> str:
        rooms = self.timetable.rooms
        return ", ".join(sorted({rooms[r].name for r in idents if r in rooms}))[:ROOM_MAX]

    def _teacher_memberships(self, plan: Plan, draft: _ServiceDraft) -> None:
        for establishment, code in draft.group_keys:
            for teacher in draft.teacher_ids:
                plan.group_memberships.add((teacher, establishment, code, ROLE_TEACHER))

    def _closings(self, plan: Plan) -> None:
        # One period per establishment and dates (the database's key), the first label wins.
        taken = {(e, start, end) for e, start, end in self.ent_closings}
        for pk, _uai in self.establishments:
            for closing in self.timetable.closings:
                period = (pk, closing.start, closing.end)
                if period in taken or closing.end <= closing.start:
                    continue
                if not plan.year_start <= closing.start < plan.year_end:
                    continue  # another school year's closing: its own year's files own it
                taken.add(period)
                plan.closings.add(PlannedClosing(*period, closing.label[:NAME_MAX]))

    def _student_memberships(self, plan: Plan) -> None:
        since = plan.effective_at.astimezone(self.tz).date()
        until = plan.window_end.astimezone(self.tz).date()
        kinds = {UnitKind.GROUP: "group", UnitKind.PART: "part"}
        for ident, student in self.timetable.students.items():
            person = self.match.students.get(ident)
            if person is None:
                continue
            for enrolment in student.enrolments:
                kind = kinds.get(enrolment.kind)
                unit = self.units.get((kind, enrolment.ident)) if kind else None
                if unit is None or unit.establishment_id is None:
                    continue
                if (enrolment.end is not None and enrolment.end <= since) or (
                    enrolment.start is not None and enrolment.start >= until
                ):
                    continue
                plan.group_memberships.add((person, unit.establishment_id, unit.code, ROLE_STUDENT))


def session_week_digests(
    sessions: Iterable[PlannedSession], *, since: dt.datetime
) -> dict[str, dict[str, str]]:
    """Return, per service key, a digest of its sessions of each week starting from ``since``.

    Weeks run from Monday to Sunday in the sessions' own time zone (the plan's) and are named
    by their Monday (ISO date). A week's digest covers the start, end and room of each of its
    sessions, so any change of time, room, teacher (another service key) or week mask changes
    the digest of every week concerned. The ENT stores them at apply time
    (``TeachingService.session_digests``), so that a re-import compares digests before reading
    any session row.

    Tens of thousands of sessions are digested per import, so each session is reduced to a
    64-bit hash of integers (local minutes and a BLAKE2 code of its room; the hash of a tuple
    of integers does not depend on the process) and a week's digest is the sum of its
    sessions' hashes modulo 2**64: independent of their order, and any change of one
    session changes it. Should the hash change with the Python version, digests stored by
    the previous one simply no longer match and sessions are compared row by row again.
    """
    weeks: dict[tuple[str, int], int] = {}
    rooms: dict[str, int] = {}
    for session in sessions:
        starts, ends = session.starts_at, session.ends_at
        if starts < since:
            continue
        day = starts.toordinal()
        room = rooms.get(session.room)
        if room is None:
            room = rooms[session.room] = int.from_bytes(
                hashlib.blake2b(session.room.encode(), digest_size=8).digest()
            )
        natural = (session.service_key, day - starts.weekday())
        weeks[natural] = weeks.get(natural, 0) + hash(
            (
                day * 1440 + starts.hour * 60 + starts.minute,
                ends.toordinal() * 1440 + ends.hour * 60 + ends.minute,
                room,
            )
        )
    mondays: dict[int, str] = {}
    digests: dict[str, dict[str, str]] = defaultdict(dict)
    for (key, monday), total in weeks.items():
        name = mondays.get(monday)
        if name is None:
            name = mondays[monday] = dt.date.fromordinal(monday).isoformat()
        digests[key][name] = f"{total & 0xFFFFFFFFFFFFFFFF:016x}"
    return dict(digests)


def _label(draft: _ServiceDraft, day: dt.date, occurrence: Occurrence) -> str:
    return f"{draft.subject_label} le {day:%d/%m/%Y} à {occurrence.start:%H:%M}"


@dataclass
class _ServiceDraft:
    key: str
    establishment_id: int
    subject_code: str
    subject_label: str
    audience_key: str
    teacher_ids: frozenset[int]
    class_ids: frozenset[int]
    group_keys: frozenset[tuple[int, str]]
    incomplete: bool
    unmatched_teachers: tuple[str, ...] = ()
    course_minutes: dict[str, int] = field(default_factory=dict)
    in_window: bool = False  # has a session from the import time on

    def freeze(self, key: str) -> PlannedService:
        return PlannedService(
            key=key,
            audience_key=self.audience_key,
            establishment_id=self.establishment_id,
            subject_code=self.subject_code,
            subject_label=self.subject_label,
            teacher_ids=self.teacher_ids,
            class_ids=self.class_ids,
            group_keys=self.group_keys,
            weekly_minutes=sum(self.course_minutes.values()),
            incomplete=self.incomplete,
            unmatched_teachers=self.unmatched_teachers,
        )
