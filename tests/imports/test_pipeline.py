"""The import pipeline end to end (in-process): each status a run can reach, and what it wrote."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from ent.models import (
    ClosingPeriod,
    GroupMembership,
    Session,
    Subject,
    TeachingGroup,
    TeachingService,
)
from imports.models import ImportRun, ImportStep
from imports.selectors import establishments_initialised
from tests.factories import ImportRunFactory
from tests.imports.pipeline_support import (
    NOW,
    OTHER_UAI,
    PARIS,
    WEEKS,
    School,
    default_courses,
    deposit,
    edt_file,
    initialise,
    moved,
    process,
    run_import,
    school,
    timetable_sessions,
)

__all__ = ["school"]  # the fixture, imported for pytest

Status = ImportRun.Status


def steps(run: ImportRun) -> list[tuple[str, str]]:
    return list(run.steps.values_list("name", "outcome"))


def test_a_confirmed_manual_import_integrates_and_initialises_the_year(school: School) -> None:
    run = run_import(school, edt_file(), mode=ImportRun.Mode.MANUAL, apply_anyway=True)

    assert run.status == Status.INTEGRATED
    assert run.source_format == ImportRun.SourceFormat.INDEX_EDUCATION
    assert run.effective_at == NOW
    assert [name for name, _ in steps(run)] == [
        "validation",
        "rapprochement",
        "seuils",
        "groupes",
        "séances",
    ]
    sessions = Session.objects.filter(source=Session.Source.TIMETABLE)
    assert sessions.count() == run.counters["sessions_created"] > 2000
    assert not sessions.filter(starts_at__lt=NOW).exists()
    assert not sessions.filter(starts_at__gte=dt.datetime(2027, 7, 4, tzinfo=PARIS)).exists()
    halves = {f"{c} GR{n}" for c in ("6A", "6B", "5A", "5B") for n in (1, 2)}
    assert set(TeachingGroup.objects.values_list("code", flat=True)) == {"LATIN", *halves}
    assert set(TeachingGroup.objects.values_list("source", flat=True)) == {
        TeachingGroup.Source.TIMETABLE
    }
    assert Subject.objects.count() == 6
    assert establishments_initialised(school.group, today=NOW.date()) == {school.establishment.pk}
    assert run.bilan["unmatched"]["teachers"] == []
    assert "Bilan de l'import" in run.bilan["text"]


def test_sessions_are_stored_at_the_paris_wall_clock_time_across_the_dst_change(
    school: School,
) -> None:
    initialise(school)

    # The 6A Monday course of place 0 (08:00-09:00), before and after 28 March 2027.
    french = TeachingService.objects.get(
        classes=school.classes[0], subject__code="FRANC", teachers=school.teachers[1]
    )
    starts = set(french.sessions.values_list("starts_at", flat=True))
    assert dt.datetime(2027, 3, 22, 7, 0, tzinfo=dt.UTC) in starts
    assert dt.datetime(2027, 3, 29, 6, 0, tzinfo=dt.UTC) in starts
    assert {s.astimezone(PARIS).time() for s in starts} == {dt.time(8, 0)}


def test_no_session_is_generated_in_the_holidays_of_the_file(school: School) -> None:
    initialise(school)

    days = {s.astimezone(PARIS).date() for s in Session.objects.values_list("starts_at", flat=True)}
    christmas = {dt.date(2026, 12, 21) + dt.timedelta(days=n) for n in range(14)}
    assert days.isdisjoint(christmas)
    assert ClosingPeriod.objects.filter(
        establishment=school.establishment, start_date=dt.date(2026, 12, 21)
    ).exists()


def test_half_class_and_group_members_and_teachers_are_attached(school: School) -> None:
    initialise(school)

    latin = TeachingGroup.objects.get(code="LATIN")
    assert set(latin.classes.values_list("code", flat=True)) == {"6A", "6B"}
    members = GroupMembership.objects.filter(group=latin, source=GroupMembership.Source.TIMETABLE)
    assert set(members.filter(role="STUDENT").values_list("person__last_name", flat=True)) == {
        "ARNAUD",
        "BLANC",
        "CARON",
        "DENIS",
    }
    assert set(members.filter(role="TEACHER").values_list("person__last_name", flat=True)) == {
        "MICHEL"
    }
    half = TeachingGroup.objects.get(code="6A GR1")
    assert set(half.memberships.values_list("person__last_name", "role")) == {
        ("ARNAUD", "STUDENT"),
        ("DURAND", "TEACHER"),
    }


def test_a_first_manual_import_not_confirmed_is_blocked_and_writes_nothing(school: School) -> None:
    run = run_import(school, edt_file(), mode=ImportRun.Mode.MANUAL)

    assert run.status == Status.BLOCKED
    assert steps(run)[-1] == ("seuils", ImportStep.Outcome.INTERRUPTED)
    exceeded = {t["control"] for t in run.bilan["thresholds"] if t["exceeded"]}
    assert {"SUBJECTS_CREATED", "SERVICES_CREATED", "SESSIONS_DELTA"} <= exceeded
    assert Session.objects.count() == 0
    assert TeachingService.objects.count() == 0
    assert establishments_initialised(school.group, today=NOW.date()) == set()


def test_an_automatic_deposit_before_the_manual_initialisation_waits(school: School) -> None:
    run = run_import(school, edt_file())

    assert run.status == Status.WAITING_INITIALISATION
    step = run.steps.get(name="initialisation")
    assert "Un import manuel d'initialisation de l'année scolaire 2026-2027 est nécessaire" in (
        step.message
    )
    assert "assistant d'initialisation" in step.action
    assert Session.objects.count() == 0


def test_an_initialisation_of_last_year_does_not_count_this_year(school: School) -> None:
    ImportRunFactory(
        school_group=school.group,
        establishment=school.establishment,
        mode=ImportRun.Mode.MANUAL,
        status=Status.INTEGRATED,
        original_filename="old.xml",
        sha256="0" * 64,
        received_at=dt.datetime(2026, 6, 1, 9, 0, tzinfo=PARIS),
    )

    run = run_import(school, edt_file())

    assert run.status == Status.WAITING_INITIALISATION


def test_an_automatic_deposit_after_initialisation_integrates(school: School) -> None:
    initialise(school)
    later = NOW + dt.timedelta(days=1)

    run = run_import(school, edt_file(comment="export du lendemain"), now=later)

    assert run.status == Status.INTEGRATED
    assert run.counters["sessions_created"] == 0
    assert run.counters["sessions_deleted"] == 0


def test_the_same_bytes_as_the_last_integrated_file_are_a_duplicate(school: School) -> None:
    content = edt_file()
    initialise(school, content)

    run = run_import(school, content, now=NOW + dt.timedelta(hours=2))

    assert run.status == Status.DUPLICATE
    step = run.steps.get(name="doublon")
    assert "identique" in step.message
    assert step.outcome == ImportStep.Outcome.INTERRUPTED


def test_a_manual_import_of_the_same_bytes_is_not_a_duplicate(school: School) -> None:
    content = edt_file()
    initialise(school, content)

    run = run_import(school, content, mode=ImportRun.Mode.MANUAL, now=NOW + dt.timedelta(hours=2))

    assert run.status == Status.INTEGRATED


def test_a_file_that_is_no_timetable_is_rejected_with_an_action(school: School) -> None:
    run = run_import(school, b"<html><body>Bonjour</body></html>", mode=ImportRun.Mode.MANUAL)

    assert run.status == Status.REJECTED
    step = run.steps.get()
    assert step.name == "validation"
    assert step.outcome == ImportStep.Outcome.INTERRUPTED
    assert "n'est ni un export EDT" in step.message
    assert step.message.count(f"« {run.original_filename} »") == 1  # named once
    assert step.action
    assert run.bilan["problems"][0]["code"] == "unknown_format"


def test_a_truncated_file_is_rejected_in_one_french_sentence(school: School) -> None:
    run = run_import(school, edt_file()[:500], mode=ImportRun.Mode.MANUAL)

    message = run.steps.get().message

    assert run.status == Status.REJECTED
    assert message.startswith(
        f"Le fichier « {run.original_filename} » n'est pas importable : le fichier XML est "
        "incomplet ou mal formé"
    )


def test_a_file_of_another_establishment_is_rejected(school: School) -> None:
    run = run_import(school, edt_file(uai=OTHER_UAI), mode=ImportRun.Mode.MANUAL)

    assert run.status == Status.REJECTED
    assert [p["code"] for p in run.bilan["problems"] if p["severity"] == "ERROR"] == [
        "uai_mismatch"
    ]
    assert OTHER_UAI in run.bilan["problems"][0]["message"]
    # Listed once, in the bilan's problems, not again in the step.
    assert run.steps.get().details == []
    assert "Problèmes relevés dans le fichier" in run.steps.get().message


def test_a_file_of_another_school_year_is_rejected(school: School) -> None:
    old_year = edt_file(year_start="2025-09-01", year_end="2026-07-03", week1="2025-09-01")

    run = run_import(school, old_year, mode=ImportRun.Mode.MANUAL)

    assert run.status == Status.REJECTED
    assert "wrong_school_year" in [p["code"] for p in run.bilan["problems"]]
    assert Session.objects.count() == 0


def test_an_older_waiting_automatic_deposit_is_superseded_by_a_newer_one(school: School) -> None:
    initialise(school)
    first = deposit(school, edt_file(comment="premier"), now=NOW + dt.timedelta(minutes=1))
    second = deposit(school, edt_file(comment="second"), now=NOW + dt.timedelta(minutes=2))

    process(school, now=NOW + dt.timedelta(minutes=3))

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == Status.SUPERSEDED
    assert f"import n° {second.pk}" in first.steps.get().message
    assert second.status == Status.INTEGRATED


def test_an_internal_error_during_apply_fails_and_keeps_the_previous_timetable(
    school: School,
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the fault is injected with a PostgreSQL trigger")
    initialise(school)
    before = timetable_sessions()
    services_before = set(TeachingService.objects.values_list("key", "is_active"))
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION test_refuse_session() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION 'disque plein (panne simulée)'; END $$"
        )
        cursor.execute(
            "CREATE TRIGGER test_refuse_session BEFORE INSERT ON ent_session "
            "FOR EACH ROW EXECUTE FUNCTION test_refuse_session()"
        )
    courses = moved(default_courses(), 0, teacher=7)
    run = run_import(
        school, edt_file(courses), now=NOW + dt.timedelta(hours=1), mode=ImportRun.Mode.MANUAL
    )

    assert run.status == Status.FAILED
    step = list(run.steps.all())[-1]
    assert step.outcome == ImportStep.Outcome.INTERRUPTED
    assert "l'emploi du temps précédent est conservé" in step.message
    assert f"n° {run.pk}" in step.action
    assert timetable_sessions() == before
    assert set(TeachingService.objects.values_list("key", "is_active")) == services_before


@pytest.mark.parametrize("whole_group", [False, True])
def test_weeks_in_the_file_match_the_sessions_generated(school: School, whole_group: bool) -> None:
    run = run_import(
        school,
        edt_file(),
        mode=ImportRun.Mode.MANUAL,
        apply_anyway=True,
        whole_group=whole_group,
    )

    assert run.status == Status.INTEGRATED
    latin = TeachingService.objects.get(groups__code="LATIN")
    fridays = sorted(
        s.astimezone(PARIS).date() for s in latin.sessions.values_list("starts_at", flat=True)
    )
    week1_friday = dt.date(2026, 9, 4)
    every_friday = [week1_friday + dt.timedelta(weeks=w - 1) for w in sorted(WEEKS)]
    assert fridays == [day for day in every_friday if day >= NOW.date()]
    assert fridays[-1] == dt.date(2027, 7, 2)
