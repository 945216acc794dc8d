"""Per-week session digests: a re-import compares digests before reading any session row.

The plan digests each service's sessions week by week (:func:`session_week_digests`); the
apply stores them on the service; database triggers reset them when anything else writes a
session. These tests check that every kind of change shows in the digests, that sessions
proven equal are left alone, and that a hand edit is caught and repaired like before.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from ent.models import Session, SessionContent, TeachingService
from imports.models import ImportRun, SessionChange
from imports.planning import plan_build, session_week_digests
from imports.services.confirmations import run_confirm
from tests.imports.pipeline_support import (
    PARIS,
    School,
    default_courses,
    edt_file,
    initialise,
    moved,
    process,
    run_import,
    school,
    timetable_sessions,
)
from tests.imports.test_planning import MATCH, build, paris
from tests.imports.test_session_content import WEEK_14, _session_of
from tests.imports.timetables import ALL_WEEKS, course, timetable, weeks

__all__ = ["school"]

Status = ImportRun.Status
EVENING = dt.datetime(2026, 11, 16, 19, 0, tzinfo=PARIS)  # Monday of school week 12
NEXT_MONDAY = "2026-11-23"


# Digests of a plan ------------------------------------------------------------------------


def _digests(*courses):
    plan = build(timetable(*courses), effective_at=EVENING)
    by_subject = {s.subject_code: key for key, s in plan.services.items()}
    return plan, {code: plan.week_digests.get(key, {}) for code, key in by_subject.items()}


def _changed_weeks(before: dict[str, str], after: dict[str, str]) -> set[str]:
    return {week for week in before.keys() | after.keys() if before.get(week) != after.get(week)}


def test_digests_cover_the_whole_weeks_after_the_import_time_only() -> None:
    plan, digests = _digests(course("C1"))

    assert plan.digests_from == paris(2026, 11, 23, 0, 0)
    weeks_held = sorted(digests["MATHS"])
    assert weeks_held[0] == NEXT_MONDAY
    assert all(dt.date.fromisoformat(w).weekday() == 0 for w in weeks_held)
    later = [s for s in plan.sessions if s.starts_at >= plan.digests_from]
    assert len(weeks_held) == len(later)  # one Monday course: one session a week


def test_building_twice_gives_the_same_digests() -> None:
    assert (
        _digests(course("C1"), course("C2", day=3))[1]
        == _digests(course("C1"), course("C2", day=3))[1]
    )


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"start": "10:00", "end": "11:00"}, "every week"),
        ({"end": "09:30"}, "every week"),
        ({"day": 2}, "every week"),
        ({"rooms": ("S102",)}, "every week"),
    ],
)
def test_a_change_of_time_day_or_room_changes_the_digest_of_every_week(
    change: dict[str, object], expected: str
) -> None:
    _plan, before = _digests(course("C1"), course("C2", subject="FRANC", day=3))
    _plan, after = _digests(course("C1", **change), course("C2", subject="FRANC", day=3))

    assert (
        _changed_weeks(before["MATHS"], after["MATHS"])
        == set(before["MATHS"])
        == set(after["MATHS"])
    ), expected
    assert before["FRANC"] == after["FRANC"]


def test_a_change_of_week_mask_changes_only_the_weeks_concerned() -> None:
    _plan, before = _digests(course("C1"))
    _plan, after = _digests(course("C1", on=ALL_WEEKS - weeks(20)))  # 2027-01-11 off

    assert _changed_weeks(before["MATHS"], after["MATHS"]) == {"2027-01-11"}
    assert "2027-01-11" not in after["MATHS"]


def test_a_replacement_teacher_moves_the_replaced_weeks_to_another_service() -> None:
    plan_before = build(timetable(course("C1")), effective_at=EVENING)
    replaced = course("C1", teachers={"T1": ALL_WEEKS - weeks(20), "T3": weeks(20)})
    plan_after = build(timetable(replaced), effective_at=EVENING)

    (regular_key,) = plan_before.services
    assert regular_key in plan_after.services
    assert _changed_weeks(
        plan_before.week_digests[regular_key], plan_after.week_digests[regular_key]
    ) == {"2027-01-11"}
    (replacement,) = set(plan_after.services) - {regular_key}
    assert list(plan_after.week_digests[replacement]) == ["2027-01-11"]


def test_a_removed_course_leaves_its_service_without_digests() -> None:
    _plan, before = _digests(course("C1"), course("C2", subject="FRANC", day=3))
    plan, after = _digests(course("C2", subject="FRANC", day=3))

    assert "MATHS" not in after
    assert before["FRANC"] == after["FRANC"]
    assert len(plan.week_digests) == 1


def test_two_services_with_the_same_sessions_in_a_week_have_the_same_digest_only_then() -> None:
    plan = build(
        timetable(course("C1"), course("C2", subject="FRANC")),
        effective_at=EVENING,
    )
    first, second = (plan.week_digests[key] for key in plan.services)
    # Same times and room, other services: the digests are per service, compared per service.
    assert first == second
    shifted = session_week_digests(
        [s._replace(room="S999") for s in plan.sessions], since=plan.digests_from
    )
    assert all(shifted[key] != plan.week_digests[key] for key in plan.services)


def test_digests_do_not_depend_on_the_order_of_the_sessions() -> None:
    plan = plan_build(
        timetable(course("C1"), course("C2", day=1, start="10:00", end="11:00")),
        MATCH,
        establishments=[(1, "0760001A")],
        effective_at=EVENING,
        window_end=paris(2027, 7, 4),
        tz=PARIS,
    )
    reversed_digests = session_week_digests(reversed(plan.sessions), since=plan.digests_from)
    assert reversed_digests == plan.week_digests


_DIGESTS_IN_A_CHILD = """
import datetime as dt, json, sys
from zoneinfo import ZoneInfo
from imports.planning import PlannedSession, session_week_digests
paris = ZoneInfo("Europe/Paris")
sessions = [
    PlannedSession("k1", dt.datetime(2026, 11, 23, 8, tzinfo=paris),
                   dt.datetime(2026, 11, 23, 9, tzinfo=paris), "Salle 1"),
    PlannedSession("k1", dt.datetime(2026, 11, 24, 8, tzinfo=paris),
                   dt.datetime(2026, 11, 24, 9, tzinfo=paris), "CDI"),
]
since = dt.datetime(2026, 11, 23, tzinfo=paris)
print(json.dumps(session_week_digests(sessions, since=since)))
"""


def test_digests_do_not_depend_on_the_process_that_computes_them() -> None:
    """Workers restart: a digest stored by one process must match in another."""
    outputs = {
        subprocess.run(
            [sys.executable, "-c", _DIGESTS_IN_A_CHILD],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).resolve().parents[2],
        ).stdout
        for seed in ("1", "2", "random")
    }
    assert len(outputs) == 1
    assert json.loads(outputs.pop())["k1"].keys() == {"2026-11-23"}


# Digests in the ENT -----------------------------------------------------------------------


def _window() -> dict[int, tuple[str, dt.datetime, dt.datetime, str]]:
    return {pk: v for pk, v in timetable_sessions().items() if v[1] >= EVENING}


def _no_digest_run(school: School, content: bytes) -> ImportRun:
    """Re-import ``content`` with every digest dropped: a full row-by-row comparison."""
    TeachingService.objects.update(session_digests=None)
    return run_import(school, content, now=EVENING + dt.timedelta(minutes=5))


def test_the_apply_stores_the_digests_of_every_service(school: School) -> None:
    initialise(school)

    services = list(TeachingService.objects.values_list("session_digests", flat=True))
    assert services
    assert all(d is not None and d["weeks"] for d in services)
    assert all(min(d["weeks"]) == NEXT_MONDAY for d in services)


def test_an_unchanged_reimport_trusts_every_digest_and_writes_nothing(school: School) -> None:
    initialise(school)
    before = timetable_sessions()
    stored = dict(TeachingService.objects.values_list("pk", "session_digests"))

    run = run_import(school, edt_file(comment="réexport"), now=EVENING)

    assert run.status == Status.INTEGRATED
    assert timetable_sessions() == before
    assert dict(TeachingService.objects.values_list("pk", "session_digests")) == stored
    in_window = Session.objects.filter(starts_at__gte=EVENING).count()
    assert run.counters["sessions_unchanged"] == in_window
    assert (run.counters["sessions_created"], run.counters["sessions_deleted"]) == (0, 0)


@pytest.mark.parametrize(
    "change",
    [
        {"place": 2},  # time
        {"day": 2},  # day
        {"room": 5},  # room
        {"teacher": 7},  # teacher: another service
        {"weeks": frozenset(range(1, 45)) - frozenset({8, 9, 17, 18, 20, 30})},  # week mask
        None,  # the course removed
    ],
    ids=["time", "day", "room", "teacher", "week-mask", "removed"],
)
def test_a_reimport_through_the_digests_leaves_what_a_full_comparison_would(
    school: School, change: dict[str, object] | None
) -> None:
    initialise(school)
    courses = default_courses()
    changed = courses[1:] if change is None else moved(courses, 0, **change)

    run = run_import(school, edt_file(changed), now=EVENING)

    assert run.status == Status.INTEGRATED
    written = run.counters["sessions_created"] + run.counters["sessions_updated"]
    assert written + run.counters["sessions_deleted"] > 0
    # A second pass without any digest compares every row: it must find nothing to do.
    check = _no_digest_run(school, edt_file(changed, comment="contrôle"))
    assert check.status == Status.INTEGRATED
    assert (
        check.counters["sessions_created"],
        check.counters["sessions_updated"],
        check.counters["sessions_deleted"],
    ) == (0, 0, 0)
    assert all(
        d is not None for d in TeachingService.objects.values_list("session_digests", flat=True)
    )


def _a_later_session() -> Session:
    return (
        Session.objects.filter(
            source=Session.Source.TIMETABLE, starts_at__gte=dt.datetime(2027, 1, 4, tzinfo=PARIS)
        )
        .order_by("starts_at", "pk")
        .first()
    )


def test_a_hand_edit_of_a_session_resets_its_service_digests(school: School) -> None:
    initialise(school)
    session = _a_later_session()
    others = TeachingService.objects.exclude(pk=session.teaching_service_id)

    session.room = "Salle refaite à la main"
    session.save(update_fields=["room"])

    service = TeachingService.objects.get(pk=session.teaching_service_id)
    assert service.session_digests is None
    assert all(d is not None for d in others.values_list("session_digests", flat=True))


def test_a_bulk_update_or_delete_of_sessions_resets_the_digests_too(school: School) -> None:
    initialise(school)
    first, second = TeachingService.objects.order_by("pk")[:2]

    Session.objects.filter(teaching_service=first).update(room="CDI")
    Session.objects.filter(teaching_service=second, starts_at__gte=EVENING).delete()

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.session_digests, second.session_digests) == (None, None)


def test_an_unchanged_reimport_repairs_a_hand_edited_session(school: School) -> None:
    initialise(school)
    before = _window()
    session = _a_later_session()
    Session.objects.filter(pk=session.pk).update(room="Salle refaite à la main")

    run = run_import(school, edt_file(comment="réexport"), now=EVENING)

    assert run.status == Status.INTEGRATED
    assert run.counters["sessions_updated"] == 1
    assert _window() == before
    service = TeachingService.objects.get(pk=session.teaching_service_id)
    assert service.session_digests is not None


def test_an_unchanged_reimport_recreates_a_deleted_session_and_drops_a_stray_one(
    school: School,
) -> None:
    initialise(school)
    before = {(k, s, e, r) for k, s, e, r in _window().values()}
    deleted = _a_later_session()
    deleted.delete()
    stray_service = TeachingService.objects.exclude(pk=deleted.teaching_service_id).first()
    Session.objects.create(
        teaching_service=stray_service,
        starts_at=dt.datetime(2027, 2, 3, 18, 0, tzinfo=PARIS),
        ends_at=dt.datetime(2027, 2, 3, 19, 0, tzinfo=PARIS),
        room="?",
        source=Session.Source.TIMETABLE,
    )

    run = run_import(school, edt_file(comment="réexport"), now=EVENING)

    assert run.status == Status.INTEGRATED
    assert (run.counters["sessions_created"], run.counters["sessions_deleted"]) == (1, 1)
    assert {(k, s, e, r) for k, s, e, r in _window().values()} == before


def test_digests_stored_after_a_later_import_time_are_not_trusted_for_an_earlier_one(
    school: School,
) -> None:
    early = dt.datetime(2026, 10, 5, 9, 0, tzinfo=PARIS)
    initialise(school, now=early)
    without_first = default_courses()[1:]
    # A later import drops the course from 16/11 on; its service keeps empty digests.
    assert run_import(school, edt_file(without_first), now=EVENING).status == Status.INTEGRATED
    left = Session.objects.filter(
        source=Session.Source.TIMETABLE,
        starts_at__gte=early + dt.timedelta(days=1),
        starts_at__lt=EVENING,
    ).count()

    # An import whose time is earlier than the digests' start must compare those weeks.
    run = run_import(
        school, edt_file(without_first, comment="rejoué"), now=early + dt.timedelta(days=1)
    )

    assert run.status == Status.INTEGRATED
    assert run.counters["sessions_deleted"] > 0
    remaining = Session.objects.filter(
        source=Session.Source.TIMETABLE,
        starts_at__gte=early + dt.timedelta(days=1),
        starts_at__lt=EVENING,
    ).count()
    assert remaining == left - run.counters["sessions_deleted"]


def test_digests_leave_sessions_kept_off_the_timetable_and_hand_entered_ones_alone(
    school: School,
) -> None:
    initialise(school)
    later = EVENING + dt.timedelta(days=1)
    with_content = _session_of(1, WEEK_14)
    SessionContent.objects.create(session=with_content, content="Dictée")
    service = with_content.teaching_service
    courses = default_courses()
    del courses[1]
    blocked = run_import(school, edt_file(courses), now=later)
    forced = run_confirm(run=blocked, user_id=None, now=later)
    process(school, now=later)
    forced.refresh_from_db()
    assert (blocked.status, forced.status) == (Status.BLOCKED, Status.INTEGRATED)
    assert forced.counters["sessions_kept_for_content"] == 1
    assert Session.objects.get(pk=with_content.pk).source == Session.Source.OFF_TIMETABLE
    hand = Session.objects.create(
        teaching_service=TeachingService.objects.exclude(pk=service.pk).first(),
        starts_at=dt.datetime(2027, 2, 3, 18, 0, tzinfo=PARIS),
        ends_at=dt.datetime(2027, 2, 3, 19, 0, tzinfo=PARIS),
        room="Salle polyvalente",
        source=Session.Source.MANUAL,
    )
    others = Session.objects.exclude(source=Session.Source.TIMETABLE).values_list(
        "pk", "teaching_service_id", "starts_at", "ends_at", "room", "source"
    )
    before, kept_before = timetable_sessions(), set(others)

    again = run_import(school, edt_file(courses, comment="réexport"), now=later)

    assert again.status == Status.INTEGRATED
    assert (again.counters["sessions_created"], again.counters["sessions_deleted"]) == (0, 0)
    assert again.counters["sessions_updated"] == 0
    assert not SessionChange.objects.filter(run=again).exists()
    assert timetable_sessions() == before
    assert set(others) == kept_before
    assert Session.objects.get(pk=hand.pk).source == Session.Source.MANUAL
    # Only the service written by hand is compared row by row; the others are trusted.
    assert all(
        d is not None for d in TeachingService.objects.values_list("session_digests", flat=True)
    )


def test_a_change_through_the_digests_lists_the_same_session_changes_as_a_full_comparison(
    school: School,
) -> None:
    initialise(school)
    changed = moved(default_courses(), 0, room=5)
    trusted = run_import(school, edt_file(changed), now=EVENING)
    listed = sorted(
        SessionChange.objects.filter(run=trusted).values_list("kind", "starts_at", "room")
    )
    initialise(school, edt_file(comment="retour"))
    TeachingService.objects.update(session_digests=None)

    full = run_import(school, edt_file(changed, comment="sans empreintes"), now=EVENING)

    assert trusted.status == full.status == Status.INTEGRATED
    assert listed
    assert listed == sorted(
        SessionChange.objects.filter(run=full).values_list("kind", "starts_at", "room")
    )


def test_the_digest_triggers_exist_in_the_database(db: None) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = 'ent_session'::regclass "
                "AND NOT tgisinternal"
            )
        else:
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'ent_session'"
            )
        names = {row[0] for row in cursor.fetchall()}
    assert {
        "ent_session_digests_insert",
        "ent_session_digests_update",
        "ent_session_digests_delete",
    } <= names
