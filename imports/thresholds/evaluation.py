"""Evaluation of the threshold controls ("seuils"). Pure: no database access.

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
- courses cancelled: (cancelled occurrences in the file − cancellations the ENT holds) ÷
  the latter × 100, 0 when the file cancels fewer. Both count over the same window, from
  the import time to the end of the school year: an occurrence counts when its course has a
  resource active that week and the day is a school day (not in a closing period); the ENT
  holds the cancellations of its last integrated import (``ent.CancelledCourse``, replaced
  from each import's time on);
- not matched (teachers, students, classes, groups): unmatched ÷ those in the file × 100;
- sessions with content removed or moved: sessions from the import time on whose content
  (cahier de textes) the file would remove, moved to another session or kept "hors emploi
  du temps" (:mod:`imports.content`) ÷ future sessions with content × 100;
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

from imports.thresholds.definitions import CONTROLS, DEFAULT_SETTINGS, Control, Setting


@dataclass(frozen=True, slots=True)
class Measure:
    """What the import counted for one control: ``numerator`` out of ``denominator``."""

    control: Control
    numerator: int
    denominator: int
    # The first of what the numerator counts, as users know them (closings, services…).
    items: tuple[str, ...] = ()


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
    items: tuple[str, ...] = ()

    @property
    def items_more(self) -> int:
        """Return how many of the counted items are not named in :attr:`items`."""
        return max(self.numerator - len(self.items), 0) if self.items else 0


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
                items=measure.items,
            )
        )
    return evaluations


def blocking_exceeded(evaluations: Iterable[Evaluation]) -> list[Evaluation]:
    """Return the evaluations that are both exceeded and blocking."""
    return [e for e in evaluations if e.exceeded and e.blocking]
