"""Thresholds as the pipeline computes and applies them: each control at its boundary.

For each control a scenario makes the import measure a known value; the control is then set
just below it (exceeded: a blocking control stops the run as BLOCKED and nothing is written)
and at it, rounded up to the whole percent the setting holds (not exceeded: the run goes on).
Every other control is made non-blocking so that only the one under test can block.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

import pytest

from ent.models import (
    CancelledCourse,
    ClosingPeriod,
    Person,
    SchoolClass,
    Session,
    Subject,
    TeachingService,
)
from imports.models import ImportRun, ImportStep
from imports.thresholds import CONTROLS, Control, Setting, threshold_settings_save
from tests.imports.pipeline_support import (
    PARIS,
    TEACHERS,
    WEEKS,
    CourseSpec,
    School,
    default_courses,
    edt_file,
    initialise,
    run_import,
    school,
)

__all__ = ["school"]

Status = ImportRun.Status
MANUAL = ImportRun.Mode.MANUAL
AUTOMATIC = ImportRun.Mode.AUTOMATIC
# Evening times: no session starts between two runs, so each run measures the same window.
EVENING = dt.datetime(2026, 11, 16, 19, 0, tzinfo=PARIS)


def evaluation(run: ImportRun, control: Control) -> dict[str, object]:
    (found,) = [t for t in run.bilan["thresholds"] if t["control"] == control.value]
    return found


def only_blocking(school: School, control: Control, percent: int | None) -> None:
    settings = {
        spec.control: Setting(100 if spec.default_percent is not None else None, False)
        for spec in CONTROLS
    }
    settings[control] = Setting(percent, True)
    threshold_settings_save(school_group_id=school.group.pk, settings=settings)


def assert_boundary(
    school: School, control: Control, content: bytes, *, mode: str = AUTOMATIC
) -> dict[str, object]:
    """Check ``control`` just below and at the measured value; return the measure."""
    only_blocking(school, control, 0)
    probe = run_import(school, content, mode=mode, now=EVENING)
    assert probe.status == Status.BLOCKED, [s.message for s in probe.steps.all()]
    measured = evaluation(probe, control)
    value = Decimal(str(measured["value"]))
    assert value > 0
    sessions = Session.objects.count()

    only_blocking(school, control, math.ceil(value) - 1)
    below = run_import(school, content, mode=mode, now=EVENING + dt.timedelta(minutes=1))

    assert below.status == Status.BLOCKED
    assert evaluation(below, control)["exceeded"] is True
    assert below.steps.get(name="seuils").outcome == ImportStep.Outcome.INTERRUPTED
    assert Decimal(str(evaluation(below, control)["value"])) == value
    assert Session.objects.count() == sessions  # a blocked run writes nothing

    only_blocking(school, control, math.ceil(value))
    at = run_import(school, content, mode=mode, now=EVENING + dt.timedelta(minutes=2))

    assert at.status == Status.INTEGRATED, [s.message for s in at.steps.all()]
    assert evaluation(at, control)["exceeded"] is False
    assert Decimal(str(evaluation(at, control)["value"])) == value
    return measured


# Controls measured on a first (manual) import --------------------------------------------


def test_unmatched_teachers_at_the_boundary(school: School) -> None:
    Person.objects.filter(pk=school.teachers[0].pk).update(pronote_idpn="", last_name="AUTRE")

    measured = assert_boundary(school, Control.TEACHERS_UNMATCHED, edt_file(), mode=MANUAL)

    assert (measured["numerator"], measured["denominator"], measured["value"]) == (1, 10, "10.00")


def test_unmatched_students_at_the_boundary(school: School) -> None:
    Person.objects.filter(pk__in=[p.pk for p in school.students[:2]]).update(ine=None)

    measured = assert_boundary(school, Control.STUDENTS_UNMATCHED, edt_file(), mode=MANUAL)

    assert (measured["numerator"], measured["denominator"], measured["value"]) == (2, 8, "25.00")


def test_unmatched_classes_at_the_boundary(school: School) -> None:
    SchoolClass.objects.filter(code="5B").update(code="5EME-B", name="5EME-B")

    measured = assert_boundary(school, Control.CLASSES_UNMATCHED, edt_file(), mode=MANUAL)

    assert (measured["numerator"], measured["denominator"], measured["value"]) == (1, 4, "25.00")


def test_unmatched_groups_at_the_boundary(school: School) -> None:
    measured = assert_boundary(school, Control.GROUPS_UNMATCHED, edt_file(), mode=MANUAL)

    # The group LATIN and the eight half-classes ("6A GR1"…), all absent from the directory:
    # half-classes are the directory's groups, counted and listed with them.
    assert (measured["numerator"], measured["denominator"], measured["value"]) == (9, 9, "100.00")


def test_subjects_created_at_the_boundary(school: School) -> None:
    for code in ("MATHS", "FRANC", "AGL1", "EPS", "TECHN", "MUSIQ"):
        Subject.objects.create(establishment=school.establishment, code=code, label=code)

    measured = assert_boundary(school, Control.SUBJECTS_CREATED, edt_file(), mode=MANUAL)

    assert (measured["numerator"], measured["denominator"], measured["value"]) == (3, 6, "50.00")


# Controls measured against a previous import ----------------------------------------------


def _without_class(index: int) -> list[CourseSpec]:
    return [c for c in default_courses() if c.school_class != index]


def test_services_created_at_the_boundary(school: School) -> None:
    initialise(school)
    existing = TeachingService.objects.filter(is_active=True).count()
    extra = [CourseSpec(day=d, place=0, subject="6", teacher=0, school_class=3) for d in (1, 2)]

    measured = assert_boundary(
        school, Control.SERVICES_CREATED, edt_file(default_courses() + extra)
    )

    assert (measured["numerator"], measured["denominator"]) == (1, existing)
    # The subject by its label, not its code ("LCALA").
    assert measured["items"] == ["Latin (5B)"]


def test_services_modified_at_the_boundary(school: School) -> None:
    initialise(school)
    existing = TeachingService.objects.filter(is_active=True).count()
    courses = default_courses()
    courses[0] = CourseSpec(**{**courses[0].__dict__, "teacher": 7})

    measured = assert_boundary(school, Control.SERVICES_MODIFIED, edt_file(courses))

    assert (measured["numerator"], measured["denominator"]) == (1, existing)


def test_services_deleted_and_sessions_delta_at_the_boundary(school: School) -> None:
    initialise(school)
    existing = TeachingService.objects.filter(is_active=True).count()
    of_5b = TeachingService.objects.filter(is_active=True, classes__code="5B").count()

    deleted = assert_boundary(school, Control.SERVICES_DELETED, edt_file(_without_class(3)))

    assert (deleted["numerator"], deleted["denominator"]) == (of_5b, existing)
    items = deleted["items"]
    assert items and all(str(item).endswith("(5B)") for item in items)  # type: ignore[attr-defined]
    assert not Session.objects.filter(
        starts_at__gte=EVENING, teaching_service__classes__code="5B"
    ).exists()


def test_sessions_more_or_fewer_at_the_boundary(school: School) -> None:
    initialise(school)
    window = Session.objects.filter(starts_at__gte=EVENING)
    total = window.count()
    sessions_5b = window.filter(teaching_service__classes__code="5B").count()

    measured = assert_boundary(school, Control.SESSIONS_DELTA, edt_file(_without_class(3)))

    assert (measured["numerator"], measured["denominator"]) == (sessions_5b, total)


def test_sessions_on_incomplete_services_at_the_boundary(school: School) -> None:
    initialise(school)
    newcomer = len(TEACHERS)  # in the file, not in the directory
    extra = [
        CourseSpec(day=1, place=3, subject="6", teacher=newcomer, school_class=2),
        CourseSpec(day=1, place=3, subject="6", teacher=0, school_class=3),
    ]

    measured = assert_boundary(
        school,
        Control.SESSIONS_INCOMPLETE,
        edt_file(default_courses() + extra, teachers=[*TEACHERS, "NOUVEAU"]),
    )

    assert measured["value"] == "50.00"
    assert measured["numerator"] * 2 == measured["denominator"]


def test_closings_added_at_the_boundary(school: School) -> None:
    initialise(school)
    existing = ClosingPeriod.objects.count()
    off = WEEKS - {30}
    courses = [CourseSpec(**{**c.__dict__, "weeks": off}) for c in default_courses()]

    measured = assert_boundary(school, Control.CLOSINGS_ADDED, edt_file(courses))

    assert (measured["numerator"], measured["denominator"]) == (1, existing)
    assert measured["items"] == ["Semaine(s) sans cours du 22/03/2027 au 28/03/2027"]
    assert ClosingPeriod.objects.count() == existing + 1


def test_closings_removed_at_the_boundary(school: School) -> None:
    initialise(school)
    existing = ClosingPeriod.objects.count()
    on = WEEKS | {17, 18}
    courses = [CourseSpec(**{**c.__dict__, "weeks": on}) for c in default_courses()]

    measured = assert_boundary(school, Control.CLOSINGS_REMOVED, edt_file(courses))

    assert (measured["numerator"], measured["denominator"]) == (1, existing)
    assert ClosingPeriod.objects.count() == existing - 1


def test_courses_cancelled_at_the_boundary(school: School) -> None:
    def cancelling(weeks_by_course: dict[int, frozenset[int]]) -> bytes:
        courses = default_courses()
        for index, weeks in weeks_by_course.items():
            courses[index] = CourseSpec(**{**courses[index].__dict__, "cancelled": weeks})
        return edt_file(courses)

    # The ENT holds 4 cancellations to come (two courses, weeks 20 and 21)…
    initialise(school, cancelling({0: frozenset({20, 21}), 1: frozenset({20, 21})}))
    assert CancelledCourse.objects.count() == 4
    # …the new file cancels 7 of them (one past week, 7, never counts): 3 more for 4 held.
    content = cancelling(
        {0: frozenset({7, 20, 21, 22}), 1: frozenset({20, 21}), 2: frozenset({25, 26})}
    )

    measured = assert_boundary(school, Control.COURSES_CANCELLED, content)

    assert (measured["numerator"], measured["denominator"]) == (3, 4)
    assert measured["value"] == "75.00"
    assert CancelledCourse.objects.count() == 7


# Blocking or not --------------------------------------------------------------------------


def test_a_session_inside_an_ent_closing_blocks_an_automatic_import(school: School) -> None:
    initialise(school)
    ClosingPeriod.objects.create(
        establishment=school.establishment,
        start_date=dt.date(2027, 2, 8),
        end_date=dt.date(2027, 2, 13),
        label="Fermeture saisie dans l'ENT",
        source=ClosingPeriod.Source.MANUAL,
    )

    run = run_import(school, edt_file(comment="après fermeture"), now=EVENING)

    assert run.status == Status.BLOCKED
    coherence = evaluation(run, Control.CLOSING_COHERENCE)
    assert coherence["exceeded"] is True and coherence["blocking"] is True
    assert coherence["numerator"] == len(run.bilan["coherence"]) > 0
    assert "08/02/2027" in " ".join(run.bilan["coherence"])


def test_with_coherence_not_blocking_sessions_inside_ent_closings_are_not_created(
    school: School,
) -> None:
    initialise(school)
    ClosingPeriod.objects.create(
        establishment=school.establishment,
        start_date=dt.date(2027, 2, 8),
        end_date=dt.date(2027, 2, 13),
        source=ClosingPeriod.Source.MANUAL,
    )
    threshold_settings_save(
        school_group_id=school.group.pk, settings={Control.CLOSING_COHERENCE: Setting(None, False)}
    )

    run = run_import(school, edt_file(comment="après fermeture"), now=EVENING)

    assert run.status == Status.INTEGRATED
    assert run.steps.get(name="seuils").outcome == ImportStep.Outcome.WARNING
    closed = Session.objects.filter(
        starts_at__gte=dt.datetime(2027, 2, 8, tzinfo=PARIS),
        starts_at__lt=dt.datetime(2027, 2, 13, tzinfo=PARIS),
    )
    assert not closed.exists()
    assert (
        run.counters["sessions_deleted"] == evaluation(run, Control.CLOSING_COHERENCE)["numerator"]
    )


def test_a_non_blocking_threshold_exceeded_alerts_and_the_import_goes_on(school: School) -> None:
    initialise(school)
    Person.objects.filter(pk=school.teachers[0].pk).update(pronote_idpn="", last_name="AUTRE")

    run = run_import(school, edt_file(comment="un enseignant inconnu"), now=EVENING)

    assert run.status == Status.INTEGRATED
    teachers = evaluation(run, Control.TEACHERS_UNMATCHED)
    assert (teachers["exceeded"], teachers["blocking"], teachers["value"]) == (True, False, "10.00")
    step = run.steps.get(name="seuils")
    assert step.outcome == ImportStep.Outcome.WARNING
    assert "non bloquants" in step.message
    assert run.bilan["unmatched"]["teachers"] == ["DUPONT Claire"]
    assert "DÉPASSÉ" in run.bilan["text"]


def test_a_blocking_threshold_does_not_stop_a_run_applied_anyway(school: School) -> None:
    initialise(school)

    only_6a = [c for c in default_courses() if c.school_class in (0, None)]

    run = run_import(school, edt_file(only_6a), now=EVENING, mode=MANUAL, apply_anyway=True)

    assert run.status == Status.INTEGRATED
    deleted = evaluation(run, Control.SERVICES_DELETED)
    assert (deleted["exceeded"], deleted["blocking"]) == (True, True)
    assert not Session.objects.filter(
        starts_at__gte=EVENING, teaching_service__classes__code="5B"
    ).exists()
    assert "confirmé malgré les seuils" in run.steps.get(name="seuils").message


@pytest.mark.parametrize("mode", [AUTOMATIC, MANUAL])
def test_an_unchanged_timetable_exceeds_no_threshold(school: School, mode: str) -> None:
    initialise(school)

    run = run_import(school, edt_file(comment="même contenu"), now=EVENING, mode=mode)

    assert run.status == Status.INTEGRATED
    assert [t["control"] for t in run.bilan["thresholds"] if t["exceeded"]] == []
    assert run.steps.get(name="seuils").outcome == ImportStep.Outcome.OK
