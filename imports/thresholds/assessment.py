"""One import's thresholds, measured and evaluated with its school group's settings."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from imports.matching import MatchResult
from imports.services.apply import Diff
from imports.thresholds.evaluation import Evaluation, blocking_exceeded, evaluate
from imports.thresholds.measurement import thresholds_measure
from imports.thresholds.persistence import threshold_settings_for
from imports.thresholds.rendering import threshold_line


@dataclass(frozen=True, slots=True)
class Assessment:
    """Every control's result, in the order of :data:`~imports.thresholds.CONTROLS`."""

    evaluations: list[Evaluation]

    @property
    def exceeded(self) -> list[Evaluation]:
        return [e for e in self.evaluations if e.exceeded]

    @property
    def blocking(self) -> list[Evaluation]:
        return blocking_exceeded(self.evaluations)

    def details(self) -> list[str]:
        """Return the French lines of the exceeded and the relaxed controls."""
        return [
            threshold_line(e) for e in self.evaluations if e.exceeded or e.relaxed_until is not None
        ]


def thresholds_assess(
    *,
    school_group_id: int,
    at: dt.datetime,
    match: MatchResult,
    diff: Diff,
    coherence: int,
    subject_labels: Mapping[tuple[int, str], str] | None = None,
    establishments: Mapping[int, str] | None = None,
) -> Assessment:
    """Measure an import's controls and evaluate them with the settings in force ``at``.

    ``establishments`` names the run's establishments by id (see ``thresholds_measure``).
    """
    settings = threshold_settings_for(school_group_id=school_group_id, at=at)
    measures = thresholds_measure(match, diff, coherence, subject_labels, establishments)
    return Assessment(evaluate(measures, settings))
