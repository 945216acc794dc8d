"""The threshold controls ("seuils"): what each one is, its French label and default setting.

How each control's value is computed is told in :mod:`imports.thresholds.evaluation`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum


class Control(StrEnum):
    SUBJECTS_CREATED = "SUBJECTS_CREATED"
    SERVICES_CREATED = "SERVICES_CREATED"
    SERVICES_MODIFIED = "SERVICES_MODIFIED"
    SERVICES_DELETED = "SERVICES_DELETED"
    SESSIONS_DELTA = "SESSIONS_DELTA"
    SESSIONS_INCOMPLETE = "SESSIONS_INCOMPLETE"
    COURSES_CANCELLED = "COURSES_CANCELLED"
    CLOSINGS_ADDED = "CLOSINGS_ADDED"
    CLOSINGS_REMOVED = "CLOSINGS_REMOVED"
    TEACHERS_UNMATCHED = "TEACHERS_UNMATCHED"
    STUDENTS_UNMATCHED = "STUDENTS_UNMATCHED"
    CLASSES_UNMATCHED = "CLASSES_UNMATCHED"
    GROUPS_UNMATCHED = "GROUPS_UNMATCHED"
    CLOSING_COHERENCE = "CLOSING_COHERENCE"
    SESSION_CONTENT_LOST = "SESSION_CONTENT_LOST"


@dataclass(frozen=True, slots=True)
class ControlSpec:
    control: Control
    label: str
    default_percent: int | None  # None for the on/off coherence check
    default_blocking: bool


CONTROLS: tuple[ControlSpec, ...] = (
    ControlSpec(Control.SUBJECTS_CREATED, "% de matières créées", 50, True),
    ControlSpec(Control.SERVICES_CREATED, "% de services d'enseignement créés", 50, True),
    ControlSpec(Control.SERVICES_MODIFIED, "% de services d'enseignement modifiés", 30, True),
    ControlSpec(Control.SERVICES_DELETED, "% de services d'enseignement supprimés", 50, True),
    ControlSpec(
        Control.SESSIONS_DELTA,
        "% de séances en plus ou en moins par rapport au dernier import",
        50,
        True,
    ),
    ControlSpec(
        Control.SESSIONS_INCOMPLETE,
        "% de séances créées sur des services d'enseignement incomplets",
        40,
        False,
    ),
    # Cancellations come and go every week (absences, trips): only a file that more than
    # doubles those the ENT holds raises an alert, never a block.
    ControlSpec(Control.COURSES_CANCELLED, "% de cours annulés", 100, False),
    ControlSpec(Control.CLOSINGS_ADDED, "% de périodes de fermeture ajoutées", 10, True),
    ControlSpec(Control.CLOSINGS_REMOVED, "% de périodes de fermeture supprimées", 10, True),
    ControlSpec(Control.TEACHERS_UNMATCHED, "% d'enseignants non rapprochés", 5, False),
    ControlSpec(Control.STUDENTS_UNMATCHED, "% d'élèves non rapprochés", 5, False),
    ControlSpec(Control.CLASSES_UNMATCHED, "% de classes non rapprochées", 5, False),
    ControlSpec(Control.GROUPS_UNMATCHED, "% de groupes non rapprochés", 5, False),
    ControlSpec(Control.CLOSING_COHERENCE, "Cohérence avec les périodes de fermeture", None, True),
    # Sessions with content the file removes (kept "hors emploi du temps") or moves (its
    # content follows) ÷ future sessions with content × 100 (see imports.content).
    ControlSpec(
        Control.SESSION_CONTENT_LOST, "% de séances avec contenu supprimées ou déplacées", 0, True
    ),
)
SPECS: Mapping[Control, ControlSpec] = {spec.control: spec for spec in CONTROLS}


@dataclass(frozen=True, slots=True)
class Setting:
    percent: int | None
    blocking: bool
    # Set when a time-boxed relaxation replaces the school group's setting until then.
    relaxed_until: dt.datetime | None = None


DEFAULT_SETTINGS: Mapping[Control, Setting] = {
    spec.control: Setting(spec.default_percent, spec.default_blocking) for spec in CONTROLS
}
