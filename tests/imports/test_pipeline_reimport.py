"""Re-imports write only what changed; manual matches carry over; the import_timetable command."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from ent.models import Person, Session, TeachingService
from imports.matching import person_source_key
from imports.models import ImportRun, ManualMatch
from imports.timetable import Teacher
from tests.imports.pipeline_support import (
    PARIS,
    School,
    default_courses,
    edt_file,
    initialise,
    moved,
    run_import,
    school,
    timetable_sessions,
)

__all__ = ["school"]

Status = ImportRun.Status
EVENING = dt.datetime(2026, 11, 16, 19, 0, tzinfo=PARIS)


@pytest.fixture
def session_writes(db: None) -> Callable[[], dict[str, int]]:
    """Count the rows written to ent_session (by a trigger: COPY and bulk writes included)."""
    if connection.vendor != "postgresql":
        pytest.skip("session writes are counted by a PostgreSQL trigger")
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE test_session_writes (op text NOT NULL)")
        cursor.execute(
            "CREATE FUNCTION test_count_session_write() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN INSERT INTO test_session_writes VALUES (TG_OP); RETURN NULL; END $$"
        )
        cursor.execute(
            "CREATE TRIGGER test_count_session_write AFTER INSERT OR UPDATE OR DELETE "
            "ON ent_session FOR EACH ROW EXECUTE FUNCTION test_count_session_write()"
        )

    def counts() -> dict[str, int]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT op, count(*) FROM test_session_writes GROUP BY op")
            return dict(cursor.fetchall())

    return counts


def _reset(counts: Callable[[], dict[str, int]]) -> None:
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM test_session_writes")
    assert counts() == {}


def test_reimporting_an_unchanged_timetable_writes_no_session_row(
    school: School, session_writes: Callable[[], dict[str, int]]
) -> None:
    initialise(school)
    before = timetable_sessions()
    _reset(session_writes)

    run = run_import(school, edt_file(comment="réexport identique"), now=EVENING)

    assert run.status == Status.INTEGRATED
    assert session_writes() == {}
    assert run.counters["sessions_created"] == 0
    assert run.counters["sessions_updated"] == 0
    assert run.counters["sessions_deleted"] == 0
    assert (
        run.counters["sessions_unchanged"] == Session.objects.filter(starts_at__gte=EVENING).count()
    )
    assert timetable_sessions() == before


def test_a_teacher_change_on_one_course_rewrites_only_its_sessions(
    school: School, session_writes: Callable[[], dict[str, int]]
) -> None:
    initialise(school)
    before = timetable_sessions()
    courses = moved(default_courses(), 0, teacher=7)  # Monday 08:00, 6A: MARTIN → SIMON
    _reset(session_writes)

    run = run_import(school, edt_file(courses), now=EVENING)

    assert run.status == Status.INTEGRATED
    after = timetable_sessions()
    gone = before.keys() - after.keys()
    new = after.keys() - before.keys()
    mondays = {before[pk][1] for pk in gone}
    assert (
        len(gone)
        == len(new)
        == run.counters["sessions_deleted"]
        == run.counters["sessions_created"]
    )
    assert 0 < len(gone) < 0.02 * len(before)
    assert {s.astimezone(PARIS).strftime("%a %H:%M") for s in mondays} == {"Mon 08:00"}
    assert {after[pk][1] for pk in new} == mondays
    assert all(after[pk] == before[pk] for pk in before.keys() & after.keys())
    in_window = Session.objects.filter(starts_at__gte=EVENING).count()
    assert run.counters["sessions_unchanged"] == in_window - len(new)
    assert session_writes() == {"DELETE": len(gone), "INSERT": len(new)}
    simon = TeachingService.objects.get(key=after[next(iter(new))][0])
    assert list(simon.teachers.values_list("last_name", flat=True)) == ["SIMON"]


def test_a_room_change_on_one_course_updates_only_its_sessions(
    school: School, session_writes: Callable[[], dict[str, int]]
) -> None:
    initialise(school)
    before = timetable_sessions()
    courses = moved(default_courses(), 0, room=5)
    _reset(session_writes)

    run = run_import(school, edt_file(courses), now=EVENING)

    after = timetable_sessions()
    changed = {pk for pk in before if before[pk] != after[pk]}
    assert before.keys() == after.keys()
    assert len(changed) == run.counters["sessions_updated"] > 0
    assert {after[pk][3] for pk in changed} == {"Salle 5"}
    assert session_writes() == {"UPDATE": len(changed)}


def test_a_longer_course_updates_only_the_end_of_its_sessions(
    school: School, session_writes: Callable[[], dict[str, int]]
) -> None:
    initialise(school)
    before = timetable_sessions()
    courses = moved(default_courses(), 0, places=2)
    _reset(session_writes)

    run = run_import(school, edt_file(courses), now=EVENING)

    after = timetable_sessions()
    changed = {pk for pk in before if before[pk] != after[pk]}
    assert before.keys() == after.keys()
    assert len(changed) == run.counters["sessions_updated"] > 0
    for pk in changed:
        key, starts_at, ends_at, room = before[pk]
        assert after[pk][:2] == (key, starts_at) and after[pk][3] == room
        assert after[pk][2] > ends_at
    assert session_writes() == {"UPDATE": len(changed)}


def test_sessions_before_the_import_time_are_never_touched(school: School) -> None:
    initialise(school)
    past = {pk: v for pk, v in timetable_sessions().items() if v[1] < EVENING}
    courses = [c for c in default_courses() if c.school_class != 0]

    run = run_import(
        school, edt_file(courses), now=EVENING, mode=ImportRun.Mode.MANUAL, apply_anyway=True
    )

    assert run.status == Status.INTEGRATED
    now_present = timetable_sessions()
    assert all(now_present.get(pk) == value for pk, value in past.items())
    assert not Session.objects.filter(
        starts_at__gte=EVENING, teaching_service__classes__code="6A"
    ).exists()


def test_sessions_entered_by_hand_are_never_touched(school: School) -> None:
    initialise(school)
    service = TeachingService.objects.filter(classes__code="6A").first()
    by_hand = Session.objects.create(
        teaching_service=service,
        starts_at=dt.datetime(2027, 1, 13, 14, 0, tzinfo=PARIS),
        ends_at=dt.datetime(2027, 1, 13, 15, 0, tzinfo=PARIS),
        room="CDI",
        source=Session.Source.MANUAL,
    )
    courses = [c for c in default_courses() if c.school_class != 0]

    run_import(
        school, edt_file(courses), now=EVENING, mode=ImportRun.Mode.MANUAL, apply_anyway=True
    )

    by_hand.refresh_from_db()
    assert (by_hand.room, by_hand.source) == ("CDI", Session.Source.MANUAL)


def test_a_replacement_teacher_gets_a_service_for_the_replaced_weeks(school: School) -> None:
    initialise(school)
    courses = moved(default_courses(), 0, replacement=(8, frozenset({20})))

    run = run_import(school, edt_file(courses), now=EVENING)

    assert run.status == Status.INTEGRATED
    laurent = TeachingService.objects.get(
        teachers__last_name="LAURENT", classes__code="6A", subject__code="FRANC"
    )
    assert [s.astimezone(PARIS) for s in laurent.sessions.values_list("starts_at", flat=True)] == [
        dt.datetime(2027, 1, 11, 8, 0, tzinfo=PARIS)  # Monday of week 20
    ]
    martin = TeachingService.objects.get(
        teachers__last_name="MARTIN", classes__code="6A", subject__code="FRANC"
    )
    assert not martin.sessions.filter(
        starts_at=dt.datetime(2027, 1, 11, 8, 0, tzinfo=PARIS)
    ).exists()
    assert run.counters["sessions_deleted"] == 1
    assert run.counters["sessions_created"] == 1


def test_manual_matches_are_reused_by_a_later_import(school: School) -> None:
    dupont = school.teachers[0]
    Person.objects.filter(pk=dupont.pk).update(pronote_idpn="", last_name="DUPONT-LAMBERT")
    first = initialise(school)
    assert first.bilan["unmatched"]["teachers"] == ["DUPONT Claire"]
    in_file = Teacher(ident="1", last_name="DUPONT", first_name="Claire", idpn="PN-1")
    ManualMatch.objects.create(
        school_group=school.group,
        kind=ManualMatch.Kind.TEACHER,
        source_key=person_source_key(in_file, in_file.idpn, in_file.sts_id),
        source_label="DUPONT Claire",
        person=dupont,
    )

    second = run_import(school, edt_file(comment="après rapprochement"), now=EVENING)

    assert second.status == Status.INTEGRATED
    assert second.bilan["unmatched"]["teachers"] == []
    services = TeachingService.objects.filter(teachers=dupont, is_active=True)
    assert services.exists()
    assert services.filter(sessions__starts_at__gte=EVENING).exists()


# The import_timetable command ---------------------------------------------------------------


@pytest.fixture
def export(tmp_path: Path) -> Path:
    path = tmp_path / "EDT_export.xml"
    path.write_bytes(edt_file())
    return path


def test_the_command_imports_a_file_and_prints_json(school: School, export: Path) -> None:
    out = StringIO()

    call_command(
        "import_timetable",
        str(export),
        "--uai",
        school.establishment.uai,
        "--manual",
        "--apply-anyway",
        "--json",
        stdout=out,
    )

    summary = json.loads(out.getvalue())
    run = ImportRun.objects.get()
    assert summary["id"] == run.pk
    assert summary["status"] == "INTEGRATED"
    assert summary["mode"] == "MANUAL"
    assert summary["counters"]["sessions_created"] == Session.objects.count() > 0
    assert [s["name"] for s in summary["steps"]][-1] == "séances"
    assert run.original_filename == "EDT_export.xml"


def test_the_command_fails_when_the_run_is_not_integrated(school: School, export: Path) -> None:
    out = StringIO()

    with pytest.raises(CommandError) as error:
        call_command("import_timetable", str(export), "--group", str(school.group.pk), stdout=out)

    assert error.value.returncode == 1
    assert "En attente d'initialisation" in out.getvalue()
    assert ImportRun.objects.get().status == Status.WAITING_INITIALISATION


def test_the_command_refuses_an_unknown_uai(db: None, export: Path) -> None:
    with pytest.raises(CommandError, match="Aucun établissement n'a l'UAI"):
        call_command("import_timetable", str(export), "--uai", "0999999Z")

    assert ImportRun.objects.count() == 0
