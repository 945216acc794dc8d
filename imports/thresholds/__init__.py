"""Threshold controls ("seuils"): the safety net between a parsed file and the timetable.

- :mod:`~imports.thresholds.definitions`: the controls, their labels and default settings;
- :mod:`~imports.thresholds.evaluation`: measures against settings (pure, with the rules);
- :mod:`~imports.thresholds.measurement`: what an import counts for each control;
- :mod:`~imports.thresholds.persistence`: a school group's settings and relaxations;
- :mod:`~imports.thresholds.rendering`: the French line of a result;
- :mod:`~imports.thresholds.assessment`: all of the above for one import, called once by
  the pipeline (:func:`thresholds_assess`).
"""

from __future__ import annotations

from imports.thresholds.assessment import Assessment, thresholds_assess
from imports.thresholds.definitions import (
    CONTROLS,
    DEFAULT_SETTINGS,
    SPECS,
    Control,
    ControlSpec,
    Setting,
)
from imports.thresholds.evaluation import (
    Evaluation,
    Measure,
    blocking_exceeded,
    evaluate,
    percentage,
)
from imports.thresholds.measurement import thresholds_measure
from imports.thresholds.persistence import (
    RELAXATION_MAX_DAYS,
    RelaxationRefused,
    threshold_relaxation_create,
    threshold_relaxation_end,
    threshold_relaxations_pending,
    threshold_settings_for,
    threshold_settings_save,
)
from imports.thresholds.rendering import threshold_line

__all__ = [
    "CONTROLS",
    "DEFAULT_SETTINGS",
    "RELAXATION_MAX_DAYS",
    "SPECS",
    "Assessment",
    "Control",
    "ControlSpec",
    "Evaluation",
    "Measure",
    "RelaxationRefused",
    "Setting",
    "blocking_exceeded",
    "evaluate",
    "percentage",
    "threshold_line",
    "threshold_relaxation_create",
    "threshold_relaxation_end",
    "threshold_relaxations_pending",
    "threshold_settings_for",
    "threshold_settings_save",
    "thresholds_assess",
    "thresholds_measure",
]
