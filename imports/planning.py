"""What the ENT should hold after an import: planned subjects, services, sessions, closings.

These plain records are built from a parsed timetable and its matches
(:mod:`imports.services.pipeline`), compared with the database (:mod:`imports.diff`) and
written by :mod:`imports.services.apply`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field


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
    return "\x1f".join([subject_code, "|".join(sorted(audience))])


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
    group_codes: frozenset[str]  # the directory's codes; new groups are created at apply time
    weekly_minutes: int
    incomplete: bool  # a teacher, a class/group or the subject could not be matched


@dataclass(frozen=True, slots=True)
class PlannedSession:
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
    subjects: dict[tuple[int, str], str] = field(default_factory=dict)  # → label
    groups: dict[tuple[int, str], PlannedGroup] = field(default_factory=dict)
    services: dict[str, PlannedService] = field(default_factory=dict)
    sessions: list[PlannedSession] = field(default_factory=list)
    closings: set[PlannedClosing] = field(default_factory=set)
    # (person id, establishment id, group code, role) from the file
    group_memberships: set[tuple[int, int, str, str]] = field(default_factory=set)
    coherence_violations: list[str] = field(default_factory=list)
