"""Compare timetables from different sources on what they mean, not on their idents.

Parsers and writers may renumber idents (UnDeuxTEMPS codes, EDT ``Ident`` values), so the
helpers here resolve every ident to a name or a code. A class part counts as a group under
its name (its ident when it has none): UnDeuxTEMPS, for one, has no class parts, only groups
of one division.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

from imports.sessions import timetable_occurrences
from imports.timetable import Teacher, Timetable

OccurrenceKey = tuple[
    dt.date,
    dt.time,
    dt.time,
    str,
    tuple[str, ...],
    tuple[str, ...],
    tuple[str, ...],
    tuple[str, ...],
]


def teacher_name(teacher: Teacher) -> str:
    return f"{teacher.last_name} {teacher.first_name}"


def part_names(timetable: Timetable) -> dict[str, str]:
    """Map class-part idents to the name they are compared on (parts and groups may share
    idents, so they are kept apart)."""
    return {ident: timetable.part_name(ident) for ident in timetable.parts}


def group_names(timetable: Timetable) -> dict[str, str]:
    return {ident: group.name for ident, group in timetable.groups.items()}


def occurrence_keys(timetable: Timetable) -> Counter[OccurrenceKey]:
    """Count the dated occurrences by (date, start, end, subject code, teacher, class, group
    and room names), each name tuple sorted."""
    parts, groups = part_names(timetable), group_names(timetable)
    keys: Counter[OccurrenceKey] = Counter()
    for occurrence in timetable_occurrences(timetable):
        subject = timetable.subjects[occurrence.course.subject_ident]
        keys[
            (
                occurrence.date,
                occurrence.start,
                occurrence.end,
                subject.code,
                tuple(sorted(teacher_name(timetable.teachers[i]) for i in occurrence.teachers)),
                tuple(sorted(timetable.classes[i].name for i in occurrence.classes)),
                tuple(
                    sorted(
                        [parts[i] for i in occurrence.parts]
                        + [groups[i] for i in occurrence.groups]
                    )
                ),
                tuple(sorted(timetable.rooms[i].name for i in occurrence.rooms)),
            )
        ] += 1
    return keys


def entity_names(timetable: Timetable) -> dict[str, set[object]]:
    """Return the subjects (code, label), teachers, classes, groups, rooms and students by name."""
    return {
        "subjects": {(s.code, s.label) for s in timetable.subjects.values()},
        "teachers": {(teacher_name(t), t.birth_date) for t in timetable.teachers.values()},
        "classes": {c.name for c in timetable.classes.values()},
        "groups": set(part_names(timetable).values()) | set(group_names(timetable).values()),
        "rooms": {r.name for r in timetable.rooms.values()},
        "students": {
            (s.last_name, s.first_name, s.birth_date) for s in timetable.students.values()
        },
    }


def closing_spans(timetable: Timetable) -> list[tuple[dt.date, dt.date, str]]:
    return sorted((c.start, c.end, c.label) for c in timetable.closings)
