"""Threshold controls ("seuils") and their evaluation. Pure: no database access.

Each control compares a percentage computed by the import with the school group's setting; a
control is exceeded when the value is **strictly greater** than the setting (seeds 001/002).
How each value is computed (scope: the establishments the import targets; "existing" means
what the ENT holds before this import):

- subjects / services / closing periods created (added): created ÷ existing × 100;
- services modified: services whose identity (subject + classes/groups) exists on both sides
  but whose teachers or weekly volume changed ÷ existing × 100;
- services deleted, closing periods removed: existing absent from the file ÷ existing × 100;
- sessions more or fewer: |sessions the file yields from the import time to the end of the
  school year − sessions the ENT holds over the same window| ÷ the latter × 100;
- sessions on incomplete services: new sessions whose service lacks a matched teacher, a
  matched class/group or a subject ÷ all new sessions × 100;
- not matched (teachers, students, classes, groups): unmatched ÷ those in the file × 100;
- coherence with closing periods (an on/off check): exceeded when the file's school year is
  not the ENT's current one, or when a session would fall inside a closing period or before
  the import time.

A zero denominator gives 0 % when the numerator is zero too, 100 % otherwise.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum


class Control(StrEnum):
    SUBJECTS_CREATED = "SUBJECTS_CREATED"
    SERVICES_CREATED = "SERVICES_CREATED"
    SERVICES_MODIFIED = "SERVICES_MODIFIED"
    SERVICES_DELETED = "SERVICES_DELETED"
    SESSIONS_DELTA = "SESSIONS_DELTA"
    SESSIONS_INCOMPLETE = "SESSIONS_INCOMPLETE"
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


@dataclass(frozen=True, slots=True)
class Measure:
    """What the import counted for one control: ``numerator`` out of ``denominator``."""

    control: Control
    numerator: int
    denominator: int


@dataclass(frozen=True, slots=True)
class Evaluation:
    control: Control
    label: str
    numerator: int
    denominator: int
    value: Decimal
    setting: int | None
    blocking: bool
    exceeded: bool
    relaxed_until: dt.datetime | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "relaxed_until": self.relaxed_until.isoformat() if self.relaxed_until else None,
            "control": self.control.value,
            "label": self.label,
            "numerator": self.numerator,
            "denominator": self.denominator,
            "value": str(self.value),
            "setting": self.setting,
            "blocking": self.blocking,
            "exceeded": self.exceeded,
        }


def percentage(numerator: int, denominator: int) -> Decimal:
    """Return ``numerator ÷ denominator × 100`` to two decimals; see the module's zero rule."""
    if denominator == 0:
        return Decimal("0.00") if numerator == 0 else Decimal("100.00")
    return (Decimal(numerator) * 100 / Decimal(denominator)).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )


def evaluate(
    measures: Iterable[Measure], settings: Mapping[Control, Setting] = DEFAULT_SETTINGS
) -> list[Evaluation]:
    """Evaluate each measure against its setting, in the order of :data:`CONTROLS`."""
    by_control = {m.control: m for m in measures}
    evaluations = []
    for spec in CONTROLS:
        measure = by_control.get(spec.control, Measure(spec.control, 0, 0))
        setting = settings.get(spec.control, DEFAULT_SETTINGS[spec.control])
        if spec.default_percent is None:
            value = Decimal(measure.numerator)
            exceeded = measure.numerator > 0
        else:
            value = percentage(measure.numerator, measure.denominator)
            exceeded = value > Decimal(setting.percent or 0)
        evaluations.append(
            Evaluation(
                control=spec.control,
                label=spec.label,
                numerator=measure.numerator,
                denominator=measure.denominator,
                value=value,
                setting=setting.percent,
                blocking=setting.blocking,
                exceeded=exceeded,
                relaxed_until=setting.relaxed_until,
            )
        )
    return evaluations


def blocking_exceeded(evaluations: Iterable[Evaluation]) -> list[Evaluation]:
    """Return the evaluations that are both exceeded and blocking."""
    return [e for e in evaluations if e.exceeded and e.blocking]
