from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest

from imports.thresholds import (
    CONTROLS,
    DEFAULT_SETTINGS,
    Control,
    Measure,
    Setting,
    blocking_exceeded,
    evaluate,
    percentage,
    threshold_line,
)
from imports.thresholds.rendering import threshold_counts, threshold_explanation


def _one(control: Control, numerator: int, denominator: int, **setting: object) -> object:
    settings = dict(DEFAULT_SETTINGS)
    if setting:
        settings[control] = Setting(**setting)  # type: ignore[arg-type]
    return next(
        e
        for e in evaluate([Measure(control, numerator, denominator)], settings)
        if e.control == control
    )


def test_defaults_match_the_vendor_guides() -> None:
    defaults = {spec.control: (spec.default_percent, spec.default_blocking) for spec in CONTROLS}

    assert defaults == {
        Control.SUBJECTS_CREATED: (50, True),
        Control.SERVICES_CREATED: (50, True),
        Control.SERVICES_MODIFIED: (30, True),
        Control.SERVICES_DELETED: (50, True),
        Control.SESSIONS_DELTA: (50, True),
        Control.SESSIONS_INCOMPLETE: (40, False),
        Control.COURSES_CANCELLED: (100, False),
        Control.CLOSINGS_ADDED: (10, True),
        Control.CLOSINGS_REMOVED: (10, True),
        Control.TEACHERS_UNMATCHED: (5, False),
        Control.STUDENTS_UNMATCHED: (5, False),
        Control.CLASSES_UNMATCHED: (5, False),
        Control.GROUPS_UNMATCHED: (5, False),
        Control.CLOSING_COHERENCE: (None, True),
        # Not in the vendor guides: the ENT's own guard for cahier de textes content.
        Control.SESSION_CONTENT_LOST: (0, True),
    }


@pytest.mark.parametrize("spec", [s for s in CONTROLS if s.default_percent is not None])
def test_a_value_equal_to_the_setting_is_not_exceeded(spec: object) -> None:
    evaluation = _one(spec.control, spec.default_percent, 100)  # type: ignore[attr-defined]

    assert evaluation.value == Decimal(spec.default_percent)  # type: ignore[attr-defined]
    assert not evaluation.exceeded  # type: ignore[attr-defined]


@pytest.mark.parametrize("spec", [s for s in CONTROLS if s.default_percent is not None])
def test_a_value_just_above_the_setting_is_exceeded(spec: object) -> None:
    percent = spec.default_percent  # type: ignore[attr-defined]

    evaluation = _one(spec.control, percent * 100 + 1, 10000)  # type: ignore[attr-defined]

    assert evaluation.value == Decimal(percent) + Decimal("0.01")  # type: ignore[attr-defined]
    assert evaluation.exceeded  # type: ignore[attr-defined]


def test_cancelled_courses_alert_only_beyond_double_the_cancellations_held() -> None:
    doubled = _one(Control.COURSES_CANCELLED, 4, 4)  # 8 cancelled in the file, 4 held
    beyond = _one(Control.COURSES_CANCELLED, 5, 4)
    first_ones = _one(Control.COURSES_CANCELLED, 3, 0)  # none held yet: 100 %

    assert (doubled.value, doubled.exceeded) == (Decimal(100), False)  # type: ignore[attr-defined]
    assert (beyond.value, beyond.exceeded, beyond.blocking) == (Decimal(125), True, False)  # type: ignore[attr-defined]
    assert not first_ones.exceeded  # type: ignore[attr-defined]


def test_zero_over_zero_is_zero_percent() -> None:
    assert percentage(0, 0) == Decimal(0)


def test_something_over_nothing_is_a_hundred_percent() -> None:
    assert percentage(3, 0) == Decimal(100)


def test_percentages_round_half_up_to_two_decimals() -> None:
    assert percentage(1, 3) == Decimal("33.33")
    assert percentage(2, 3) == Decimal("66.67")


def test_coherence_is_exceeded_by_a_single_violation() -> None:
    assert _one(Control.CLOSING_COHERENCE, 1, 0).exceeded  # type: ignore[attr-defined]
    assert not _one(Control.CLOSING_COHERENCE, 0, 0).exceeded  # type: ignore[attr-defined]


def test_only_blocking_exceeded_controls_block() -> None:
    evaluations = evaluate(
        [
            Measure(Control.TEACHERS_UNMATCHED, 50, 100),  # non-blocking by default
            Measure(Control.SUBJECTS_CREATED, 10, 100),  # blocking, under its setting
        ]
    )

    assert blocking_exceeded(evaluations) == []
    assert [e.control for e in evaluations if e.exceeded] == [Control.TEACHERS_UNMATCHED]


def test_a_setting_made_blocking_blocks() -> None:
    settings = {**DEFAULT_SETTINGS, Control.TEACHERS_UNMATCHED: Setting(5, True)}

    evaluations = evaluate([Measure(Control.TEACHERS_UNMATCHED, 6, 100)], settings)

    assert [e.control for e in blocking_exceeded(evaluations)] == [Control.TEACHERS_UNMATCHED]


def test_every_control_is_evaluated_even_without_a_measure() -> None:
    assert len(evaluate([])) == len(CONTROLS)


def test_a_value_above_a_hundred_percent_is_shown_with_its_counts_items_and_why() -> None:
    evaluation = dataclasses.replace(
        _one(Control.CLOSINGS_ADDED, 9, 4),  # type: ignore[type-var]
        items=("Vacances du 01/12/2026 au 05/12/2026",),
    )

    line = threshold_line(evaluation)

    assert line.startswith("% de périodes de fermeture ajoutées : 225\u202f% (seuil 10\u202f%, ")
    assert "— 9 période(s) ajoutée(s) pour 4 existante(s), plus de 100\u202f% parce que" in line
    assert line.endswith(": Vacances du 01/12/2026 au 05/12/2026 et 8 autre(s)")
    assert threshold_counts(_one(Control.SUBJECTS_CREATED, 2, 0)) == (  # type: ignore[arg-type]
        "2 matière(s) créée(s) pour 0 existante(s)"
    )
    assert "100\u202f% par convention" in threshold_explanation(
        _one(Control.SUBJECTS_CREATED, 2, 0)  # type: ignore[arg-type]
    )
