"""What an import counts for each threshold control, from its matching and its diff."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

from ent.formatting import format_moment
from imports.matching import MatchResult
from imports.planning import PlannedClosing
from imports.services.apply import Diff
from imports.thresholds.definitions import Control
from imports.thresholds.evaluation import Measure

# How many of the items behind a control the bilan names (the count says the rest).
ITEMS_MAX = 10


def thresholds_measure(
    match: MatchResult,
    diff: Diff,
    coherence: int,
    subject_labels: Mapping[tuple[int, str], str] | None = None,
    establishments: Mapping[int, str] | None = None,
) -> list[Measure]:
    """Return the measures of every control (see :mod:`imports.thresholds.evaluation`).

    ``subject_labels`` names the file's subjects by (establishment id, code); subjects the
    file no longer has (a deleted service's) are named by the ENT's labels, which the diff
    read. ``establishments`` names the run's establishments by id: when there are several
    (a cité scolaire), each item says which one it belongs to.
    """
    labels = {**diff.subject_labels, **(subject_labels or {})}
    where = _Where(establishments or {})
    subjects = sorted(
        (labels.get(key) or key[1], where.suffix(key[0])) for key in diff.subjects_new
    )
    return [
        Measure(
            Control.SUBJECTS_CREATED,
            len(diff.subjects_new),
            diff.subjects_existing,
            _first(label + suffix for label, suffix in subjects),
        ),
        Measure(
            Control.SERVICES_CREATED,
            diff.services_created,
            diff.services_existing,
            _services(diff.service_audiences_created, labels, where),
        ),
        Measure(
            Control.SERVICES_MODIFIED,
            diff.services_modified,
            diff.services_existing,
            _services(diff.service_audiences_modified, labels, where),
        ),
        Measure(
            Control.SERVICES_DELETED,
            diff.services_deleted,
            diff.services_existing,
            _services(diff.service_audiences_deleted, labels, where),
        ),
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
        Measure(
            Control.CLOSINGS_ADDED,
            len(diff.closings_added),
            diff.closings_existing,
            _closings(diff.closings_added, where),
        ),
        Measure(
            Control.CLOSINGS_REMOVED,
            len(diff.closings_removed),
            diff.closings_existing,
            _closings(diff.closings_removed_periods, where),
        ),
        Measure(Control.TEACHERS_UNMATCHED, match.teachers.unmatched_count, match.teachers.total),
        Measure(Control.STUDENTS_UNMATCHED, match.students.unmatched_count, match.students.total),
        Measure(Control.CLASSES_UNMATCHED, match.classes.unmatched_count, match.classes.total),
        Measure(
            Control.GROUPS_UNMATCHED,
            match.group_entities.unmatched_count,
            match.group_entities.total,
        ),
        Measure(Control.CLOSING_COHERENCE, coherence, 0),
        Measure(
            Control.SESSION_CONTENT_LOST,
            len(diff.content_moves) + len(diff.content_kept),
            diff.content_sessions,
            _first(
                f"{service_label(audience, labels)} du {format_moment(starts)}"
                + where.suffix(_establishment_of(audience))
                for audience, starts in diff.content_lost
            ),
        ),
    ]


class _Where:
    """Names the establishment of an item when the run covers several, else nothing."""

    def __init__(self, establishments: Mapping[int, str]) -> None:
        self.names = establishments if len(establishments) > 1 else {}

    def suffix(self, establishment_id: int | None) -> str:
        """Return " — Lycée Jules Verne" for an item of that establishment, or ""."""
        name = self.names.get(establishment_id) if establishment_id is not None else None
        return f" — {name}" if name else ""


def _first(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(items)[:ITEMS_MAX]


def service_label(audience: str, labels: Mapping[tuple[int, str], str] | None = None) -> str:
    """Return a service identity ("MATHS\x1fc:6A|g:LATIN|e:1") as "MATHS (6A, LATIN)".

    The subject is named by its label in ``labels`` (by establishment id and code) when the
    file gave one ("Mathématiques (6A, LATIN)"): a code such as "113900" means nothing to
    users.
    """
    subject, tokens = _audience_parts(audience)
    establishment = _establishment_of(audience)
    if establishment is not None and labels:
        subject = labels.get((establishment, subject)) or subject
    names = [value for kind, value in tokens if kind != "e"]
    return f"{subject} ({', '.join(names)})" if names else subject


def _audience_parts(audience: str) -> tuple[str, list[list[str]]]:
    raw = audience.split("#", 1)[0]  # a very large audience keeps its readable start
    subject, _sep, units = raw.partition("\x1f")
    return subject, [token.split(":", 1) for token in units.split("|") if ":" in token]


def _establishment_of(audience: str) -> int | None:
    """Return the establishment id a service identity names ("…|e:1"), if any."""
    _subject, tokens = _audience_parts(audience)
    ids = [value for kind, value in tokens if kind == "e" and value.isdigit()]
    return int(ids[0]) if ids else None


def _services(
    audiences: list[str], labels: Mapping[tuple[int, str], str], where: _Where
) -> tuple[str, ...]:
    return _first(service_label(a, labels) + where.suffix(_establishment_of(a)) for a in audiences)


def _closings(closings: Iterable[PlannedClosing], where: _Where) -> tuple[str, ...]:
    return _first(
        f"{c.label or 'Fermeture'} du {c.start_date:%d/%m/%Y} au "
        f"{c.end_date - dt.timedelta(days=1):%d/%m/%Y}" + where.suffix(c.establishment_id)
        for c in closings
    )
