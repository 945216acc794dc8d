"""A re-import re-plans only the teaching services whose courses changed.

When nothing but the file changed since the last integrated run, the services whose courses
are the same keep their sessions without being planned or read again. Each test below runs
the same changed file twice on the same starting state, once this way and once through the
full plan (``IMPORT_INCREMENTAL`` off), and requires the same sessions, change list,
counters, thresholds, bilan and steps.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, transaction
from django.test import override_settings

from ent.models import GroupMembership, Person, Session, Subject, TeachingService
from imports import planning
from imports.models import ImportRun, ManualMatch, RunMatching, SessionChange
from imports.services import steps
from tests.imports.pipeline_support import (
    NOW,
    TEACHERS,
    WEEKS,
    CourseSpec,
    School,
    default_courses,
    edt_file,
    initialise,
    moved,
    run_import,
    school,
)

__all__ = ["school"]

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the incremental plan runs on PostgreSQL only"
)

REFERENCE_AT = NOW + dt.timedelta(hours=1)
# A Wednesday noon, nine days later: the day has sessions before and after the import time.
CHANGED_AT = NOW + dt.timedelta(days=9, hours=3)


def _export(tag: str, courses: list[CourseSpec] | None = None) -> bytes:
    return edt_file(courses) + f"\n<!-- export {tag} -->\n".encode()


def _steady(school: School) -> None:
    """Initialise (groups are created), then re-import once: the reference run."""
    initialise(school)
    run = run_import(school, _export("reference"), now=REFERENCE_AT)
    assert run.status == ImportRun.Status.INTEGRATED
    # Every service the file plans holds its course digest (the same statement as its
    # session digests, or its own).
    assert TeachingService.objects.filter(is_active=True).exists()
    assert not TeachingService.objects.filter(is_active=True, course_digest__isnull=True).exists()


class _PlanSpy:
    """Keeps the plans that the real ``plan_build`` returns during a run."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.plans: list[planning.Plan] = []
        real = planning.plan_build

        def spy(*args: Any, **kwargs: Any) -> planning.Plan:
            plan = real(*args, **kwargs)
            self.plans.append(plan)
            return plan

        monkeypatch.setattr(steps, "plan_build", spy)


def _outcome(run: ImportRun) -> dict[str, object]:
    """Everything a run produced, without database ids."""
    bilan = {k: v for k, v in run.bilan.items() if k != "text"}
    return {
        "status": run.status,
        "counters": run.counters,
        "bilan": bilan,
        "steps": [(s.name, s.outcome, s.message, s.action, s.details) for s in run.steps.all()],
        "changes": sorted(
            SessionChange.objects.filter(run=run).values_list(
                "kind",
                "starts_at",
                "ends_at",
                "subject",
                "teachers",
                "audience",
                "room",
                "old_starts_at",
                "old_ends_at",
                "old_teachers",
                "old_room",
            )
        ),
        "sessions": sorted(
            Session.objects.values_list(
                "teaching_service__key", "starts_at", "ends_at", "room", "source"
            )
        ),
        "services": sorted(
            TeachingService.objects.values_list(
                "key", "is_active", "weekly_minutes", "course_digest", "session_digests"
            ),
            key=lambda row: row[0],
        ),
        "subjects": sorted(Subject.objects.values_list("establishment_id", "code", "label")),
        "memberships": sorted(
            GroupMembership.objects.values_list("person_id", "group_id", "role", "source")
        ),
    }


def _both_ways(
    school: School,
    monkeypatch: pytest.MonkeyPatch,
    content: bytes,
    *,
    at: dt.datetime = CHANGED_AT,
    expect_incremental: bool = True,
) -> tuple[dict[str, object], dict[str, object], planning.Plan]:
    """Import ``content`` incrementally, roll back, then import it through the full plan."""
    spy = _PlanSpy(monkeypatch)
    with transaction.atomic():
        incremental = _outcome(run_import(school, content, now=at))
        transaction.set_rollback(True)
    assert len(spy.plans) == 1
    plan = spy.plans[0]
    assert bool(plan.services_skipped) == expect_incremental
    with override_settings(IMPORT_INCREMENTAL=False):
        full = _outcome(run_import(school, content, now=at))
    assert len(spy.plans) == 2
    assert not spy.plans[1].services_skipped
    return incremental, full, plan


def _same_both_ways(
    school: School, monkeypatch: pytest.MonkeyPatch, content: bytes, **options: Any
) -> dict[str, object]:
    incremental, full, plan = _both_ways(school, monkeypatch, content, **options)
    for part in full:
        assert incremental[part] == full[part], part
    counters = full["counters"]
    assert isinstance(counters, dict)
    # Most services were skipped: only the changed ones were planned session by session.
    assert len(plan.services_skipped) >= len(plan.services) - 4
    assert full["status"] == ImportRun.Status.INTEGRATED
    return full


def _replaced(content: bytes, old: bytes, new: bytes) -> bytes:
    assert old in content
    return content.replace(old, new)


CHANGES: dict[str, Callable[[], list[CourseSpec]]] = {
    "room": lambda: moved(default_courses(), 0, room=4),
    "day": lambda: moved(default_courses(), 1, day=2, place=3),
    "added": lambda: [
        *default_courses(),
        CourseSpec(day=3, place=2, subject="6", teacher=9, group=True, room=5),
    ],
    "removed": lambda: default_courses()[1:],
    "teacher": lambda: moved(default_courses(), 2, teacher=8),
    "teacher replaced for two weeks": lambda: moved(
        default_courses(), 2, replacement=(8, frozenset({15, 16}))
    ),
    "class": lambda: moved(default_courses(), 3, school_class=3),
    "weeks": lambda: moved(default_courses(), 4, weeks=WEEKS - {14, 20, 21}),
    "cancelled": lambda: moved(default_courses(), 5, cancelled=frozenset({14, 22})),
}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("change", list(CHANGES))
def test_a_changed_course_gives_the_same_result_incrementally_as_through_the_full_plan(
    school: School, monkeypatch: pytest.MonkeyPatch, change: str
) -> None:
    _steady(school)
    full = _same_both_ways(school, monkeypatch, _export("changed", CHANGES[change]()))
    counters = full["counters"]
    assert isinstance(counters, dict)
    changed = (
        counters["sessions_created"] + counters["sessions_updated"] + counters["sessions_deleted"]
    )
    assert changed > 0
    assert counters["sessions_unchanged"] > changed


@pytest.mark.django_db(transaction=True)
def test_a_renamed_subject_gives_the_same_result_incrementally_as_through_the_full_plan(
    school: School, monkeypatch: pytest.MonkeyPatch
) -> None:
    _steady(school)
    content = _replaced(_export("renamed"), b'Libelle="Latin"', b'Libelle="Latin (LCA)"')
    _same_both_ways(school, monkeypatch, content)


@pytest.mark.django_db(transaction=True)
def test_a_changed_subject_code_gives_the_same_result_incrementally_as_through_the_full_plan(
    school: School, monkeypatch: pytest.MonkeyPatch
) -> None:
    _steady(school)
    content = _replaced(_export("recoded"), b'Code="LCALA"', b'Code="LATIN"')
    full = _same_both_ways(school, monkeypatch, content)
    counters = full["counters"]
    assert isinstance(counters, dict)
    assert counters["subjects_created"] == 1
    assert counters["sessions_created"] > 0


@pytest.mark.django_db(transaction=True)
def test_a_change_on_the_import_day_itself_gives_the_same_result_both_ways(
    school: School, monkeypatch: pytest.MonkeyPatch
) -> None:
    _steady(school)
    _same_both_ways(
        school,
        monkeypatch,
        _export("same day", CHANGES["room"]()),
        at=REFERENCE_AT + dt.timedelta(hours=2),
    )


@pytest.mark.django_db(transaction=True)
def test_two_incremental_re_imports_in_a_row_give_the_same_result_as_the_full_plan(
    school: School, monkeypatch: pytest.MonkeyPatch
) -> None:
    _steady(school)
    first = run_import(school, _export("first", CHANGES["room"]()), now=CHANGED_AT)
    assert first.status == ImportRun.Status.INTEGRATED
    later = CHANGED_AT + dt.timedelta(days=8)
    _same_both_ways(school, monkeypatch, _export("second", CHANGES["teacher"]()), at=later)


@pytest.mark.django_db(transaction=True)
def test_a_session_edited_by_hand_sends_the_next_import_through_the_full_plan(
    school: School, monkeypatch: pytest.MonkeyPatch
) -> None:
    _steady(school)
    session = Session.objects.filter(
        starts_at__gte=CHANGED_AT + dt.timedelta(days=7), source=Session.Source.TIMETABLE
    ).first()
    assert session is not None
    room = session.room
    Session.objects.filter(pk=session.pk).update(room="Salle bricolée")

    incremental, full, _plan = _both_ways(
        school,
        monkeypatch,
        _export("after hand edit", CHANGES["room"]()),
        expect_incremental=False,
    )

    assert incremental == full
    session.refresh_from_db()
    assert session.room == room


@pytest.mark.django_db(transaction=True)
def test_a_directory_change_sends_the_next_import_through_the_full_plan(
    school: School, monkeypatch: pytest.MonkeyPatch
) -> None:
    _steady(school)
    Person.objects.filter(pk=school.students[0].pk).update(last_name="ARNAUD-MARTIN")

    incremental, full, _plan = _both_ways(
        school,
        monkeypatch,
        _export("after directory change", CHANGES["room"]()),
        expect_incremental=False,
    )

    assert incremental == full


@pytest.mark.django_db(transaction=True)
def test_an_import_time_earlier_than_the_reference_s_takes_the_full_plan(
    school: School, monkeypatch: pytest.MonkeyPatch
) -> None:
    _steady(school)
    incremental, full, _plan = _both_ways(
        school,
        monkeypatch,
        _export("earlier", CHANGES["room"]()),
        at=REFERENCE_AT - dt.timedelta(minutes=30),
        expect_incremental=False,
    )
    assert incremental == full


# Matching ---------------------------------------------------------------------------------

# A teacher the directory does not know: the bilan and the matching page list them.
WITH_UNKNOWN_TEACHER = [*TEACHERS, "INCONNU"]


class _MatchingSpy:
    """Counts the directory snapshots that matching takes: one per run that matches."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        real = steps.directory_snapshot

        def spy(**kwargs: Any) -> Any:
            self.calls += 1
            return real(**kwargs)

        monkeypatch.setattr(steps, "directory_snapshot", spy)


def _export_with_unknown_teacher(tag: str, courses: list[CourseSpec] | None = None) -> bytes:
    return edt_file(courses, teachers=WITH_UNKNOWN_TEACHER) + f"\n<!-- export {tag} -->\n".encode()


def _steady_with_unknown_teacher(school: School) -> ImportRun:
    initialise(school)
    run = run_import(school, _export_with_unknown_teacher("reference"), now=REFERENCE_AT)
    assert run.status == ImportRun.Status.INTEGRATED
    return run


@pytest.mark.django_db(transaction=True)
def test_a_re_import_with_the_same_people_reuses_the_reference_s_matching_with_the_same_result(
    school: School, monkeypatch: pytest.MonkeyPatch
) -> None:
    reference = _steady_with_unknown_teacher(school)
    assert RunMatching.objects.filter(run=reference).exists()
    spy = _MatchingSpy(monkeypatch)

    full = _same_both_ways(
        school, monkeypatch, _export_with_unknown_teacher("changed", CHANGES["room"]())
    )

    assert spy.calls == 1  # the full path only: the incremental run reused the matching
    bilan = full["bilan"]
    assert isinstance(bilan, dict)
    assert bilan["unmatched"]["teachers"] == ["INCONNU Claire"]
    assert bilan["unmatched_entries_total"] == 1


@pytest.mark.django_db(transaction=True)
def test_an_unchanged_re_export_keeps_the_matching_for_the_next_re_import(
    school: School, monkeypatch: pytest.MonkeyPatch
) -> None:
    reference = _steady_with_unknown_teacher(school)
    stored = RunMatching.objects.get(run=reference)
    spy = _MatchingSpy(monkeypatch)
    repeat = run_import(
        school,
        _export_with_unknown_teacher("same content"),
        now=REFERENCE_AT + dt.timedelta(hours=1),
    )
    assert repeat.status == ImportRun.Status.INTEGRATED
    assert spy.calls == 0  # recognised as unchanged: neither parsed nor matched
    kept = RunMatching.objects.get(run=repeat)
    assert (kept.inputs_digest, kept.results) == (stored.inputs_digest, stored.results)
    # One row per target: the reference's results now live in the run that repeats it.
    assert list(RunMatching.objects.values_list("run_id", flat=True)) == [repeat.pk]

    _same_both_ways(school, monkeypatch, _export_with_unknown_teacher("changed", CHANGES["day"]()))

    assert spy.calls == 1


@pytest.mark.django_db(transaction=True)
def test_a_file_whose_people_changed_is_matched_again_with_the_same_result_as_the_full_path(
    school: School, monkeypatch: pytest.MonkeyPatch
) -> None:
    _steady(school)
    spy = _MatchingSpy(monkeypatch)
    # The student is still found by INE, under another name.
    content = _replaced(_export("renamed", CHANGES["room"]()), b'Nom="BLANC"', b'Nom="BLANC-ROI"')

    _same_both_ways(school, monkeypatch, content)

    assert spy.calls == 2  # both ways: the file's people are not the reference's


@pytest.mark.django_db(transaction=True)
def test_a_manual_match_saved_since_the_reference_sends_matching_through_again(
    school: School, monkeypatch: pytest.MonkeyPatch
) -> None:
    reference = _steady_with_unknown_teacher(school)
    entry = reference.bilan["unmatched_entries"][0]
    ManualMatch.objects.create(
        school_group=school.group,
        kind=ManualMatch.Kind.TEACHER,
        source_key=entry["source_key"],
        person=school.teachers[0],
    )
    spy = _MatchingSpy(monkeypatch)

    incremental, full, _plan = _both_ways(
        school,
        monkeypatch,
        _export_with_unknown_teacher("after manual match", CHANGES["room"]()),
        expect_incremental=False,
    )

    assert incremental == full
    assert spy.calls == 2
    bilan = full["bilan"]
    assert isinstance(bilan, dict)
    assert bilan["unmatched"]["teachers"] == []
