"""What an import counts for each threshold control, from its matching and its diff."""

from __future__ import annotations

from imports.matching import MatchResult
from imports.services.apply import Diff
from imports.thresholds.definitions import Control
from imports.thresholds.evaluation import Measure


def thresholds_measure(match: MatchResult, diff: Diff, coherence: int) -> list[Measure]:
    """Return the measures of every control (see :mod:`imports.thresholds.evaluation`)."""
    return [
        Measure(Control.SUBJECTS_CREATED, len(diff.subjects_new), diff.subjects_existing),
        Measure(Control.SERVICES_CREATED, diff.services_created, diff.services_existing),
        Measure(Control.SERVICES_MODIFIED, diff.services_modified, diff.services_existing),
        Measure(Control.SERVICES_DELETED, diff.services_deleted, diff.services_existing),
        Measure(
            Control.SESSIONS_DELTA,
            abs(diff.sessions_planned - diff.sessions_existing),
            diff.sessions_existing,
        ),
        Measure(Control.SESSIONS_INCOMPLETE, diff.sessions_new_incomplete, len(diff.sessions_new)),
        Measure(
            Control.COURSES_CANCELLED,
            max(diff.cancellations_planned - diff.cancellations_existing, 0),
            diff.cancellations_existing,
        ),
        Measure(Control.CLOSINGS_ADDED, len(diff.closings_added), diff.closings_existing),
        Measure(Control.CLOSINGS_REMOVED, len(diff.closings_removed), diff.closings_existing),
        Measure(Control.TEACHERS_UNMATCHED, match.teachers.unmatched_count, match.teachers.total),
        Measure(Control.STUDENTS_UNMATCHED, match.students.unmatched_count, match.students.total),
        Measure(Control.CLASSES_UNMATCHED, match.classes.unmatched_count, match.classes.total),
        Measure(Control.GROUPS_UNMATCHED, match.groups.unmatched_count, match.groups.total),
        Measure(Control.CLOSING_COHERENCE, coherence, 0),
    ]
