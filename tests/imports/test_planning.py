"""plan_build: from a normalised timetable and its matches to planned services and sessions."""

from __future__ import annotations

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

from devtools.samples import generate_sample
from imports.matching import DirectoryUnit
from imports.planning import (
    AUDIENCE_KEY_MAX,
    PlannedClosing,
    PlannedGroup,
    TimetableMatches,
    audience_key,
    plan_build,
)
from imports.sessions import (
    Occurrence,
    closed_days,
    course_occurrence_runs,
    course_occurrences,
    timetable_occurrences,
)
from imports.timetable import SourceClosing
from tests.imports.timetables import ALL_WEEKS, NOEL, TOUSSAINT, course, timetable, weeks

PARIS = ZoneInfo("Europe/Paris")
UTC = dt.UTC
CLASS_3A = DirectoryUnit(501, "3A", "3A", 1)
MATCH = TimetableMatches(teachers={"T1": 101, "T2": 102, "T3": 103}, classes={"3A": CLASS_3A})
ESTABLISHMENTS = [(1, "0760001A")]
YEAR_START = dt.datetime(2026, 9, 1, tzinfo=PARIS)
YEAR_END = dt.datetime(2027, 7, 4, tzinfo=PARIS)


def build(
    tt,
    match=MATCH,
    *,
    effective_at=YEAR_START,
    window_end=YEAR_END,
    establishments=ESTABLISHMENTS,
    ent_closings=(),
):
    return plan_build(
        tt,
        match,
        establishments=establishments,
        effective_at=effective_at,
        window_end=window_end,
        tz=PARIS,
        ent_closings=ent_closings,
    )


def paris(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=PARIS)


def test_sessions_are_aware_paris_datetimes_on_both_sides_of_the_dst_change() -> None:
    plan = build(timetable(course("C1")))

    starts = [s.starts_at for s in plan.sessions]
    assert dt.datetime(2026, 10, 5, 6, 0, tzinfo=UTC) in starts  # 08:00 summer time
    assert dt.datetime(2026, 11, 2, 7, 0, tzinfo=UTC) in starts  # 08:00 winter time
    assert dt.datetime(2027, 3, 22, 7, 0, tzinfo=UTC) in starts  # Monday before the change
    assert dt.datetime(2027, 3, 29, 6, 0, tzinfo=UTC) in starts  # Monday after it
    assert all(s.starts_at.tzinfo is PARIS for s in plan.sessions)
    assert {s.ends_at - s.starts_at for s in plan.sessions} == {dt.timedelta(hours=1)}
    assert {s.starts_at.astimezone(PARIS).time() for s in plan.sessions} == {dt.time(8, 0)}


def test_a_weekly_course_yields_one_session_per_school_monday_outside_holidays() -> None:
    plan = build(timetable(course("C1")))

    # 43 Mondays from 7/09/2026 to 28/06/2027, minus 2 at Toussaint and 2 at Christmas.
    assert len(plan.sessions) == 39
    assert plan.sessions[0].starts_at == paris(2026, 9, 7, 8, 0)
    assert plan.sessions[-1].starts_at == paris(2027, 6, 28, 8, 0)
    assert {s.room for s in plan.sessions} == {"S101"}
    assert plan.coherence_violations == []


def test_nothing_is_planned_before_the_import_time() -> None:
    plan = build(timetable(course("C1")), effective_at=paris(2026, 10, 5, 8, 30))

    assert min(s.starts_at for s in plan.sessions) == paris(2026, 10, 12, 8, 0)
    assert plan.sessions_before_effective == 5  # 7, 14, 21, 28/09 and 5/10
    assert len(plan.sessions) == 34
    assert plan.coherence_violations == []


def test_a_session_starting_exactly_at_the_import_time_is_planned() -> None:
    plan = build(timetable(course("C1")), effective_at=paris(2026, 10, 5, 8, 0))

    assert plan.sessions[0].starts_at == paris(2026, 10, 5, 8, 0)


def test_no_session_falls_in_the_file_closings_nor_in_the_ent_closings() -> None:
    by_hand = (1, dt.date(2027, 2, 8), dt.date(2027, 2, 13))

    plan = build(timetable(course("C1")), ent_closings=[by_hand])

    days = {s.starts_at.date() for s in plan.sessions}
    for closing in (TOUSSAINT, NOEL):
        assert not any(closing.start <= day < closing.end for day in days)
    assert dt.date(2027, 2, 8) not in days
    assert dt.date(2027, 2, 15) in days
    assert len(plan.sessions) == 38
    assert len(plan.coherence_violations) == 1
    assert "08/02/2027" in plan.coherence_violations[0]


def test_sessions_after_the_end_of_the_ent_school_year_are_dropped_as_incoherent() -> None:
    plan = build(timetable(course("C1")), window_end=paris(2027, 6, 1))

    assert max(s.starts_at for s in plan.sessions) == paris(2027, 5, 31, 8, 0)
    assert len(plan.coherence_violations) == 4  # 7, 14, 21 and 28/06


def test_file_closings_are_planned_for_each_establishment_unless_entered_by_hand() -> None:
    by_hand = (2, TOUSSAINT.start, TOUSSAINT.end)

    plan = build(
        timetable(course("C1")),
        establishments=[(1, "0760001A"), (2, "0760002B")],
        ent_closings=[by_hand],
    )

    assert plan.closings == {
        PlannedClosing(1, TOUSSAINT.start, TOUSSAINT.end, TOUSSAINT.label),
        PlannedClosing(1, NOEL.start, NOEL.end, NOEL.label),
        PlannedClosing(2, NOEL.start, NOEL.end, NOEL.label),
    }


def test_a_replacement_teacher_yields_a_second_service_for_the_replaced_weeks() -> None:
    tt = timetable(course("C1", teachers={"T1": ALL_WEEKS - weeks(12), "T3": weeks(12)}))

    plan = build(tt)

    services = sorted(plan.services.values(), key=lambda s: sorted(s.teacher_ids))
    assert [s.teacher_ids for s in services] == [frozenset({101}), frozenset({103})]
    regular, replacement = services
    assert regular.audience_key == replacement.audience_key
    assert regular.key != replacement.key
    assert (regular.weekly_minutes, replacement.weekly_minutes) == (60, 60)
    replaced = [s.starts_at for s in plan.sessions if s.service_key == replacement.key]
    assert replaced == [paris(2026, 11, 16, 8, 0)]
    regular_days = {s.starts_at.date() for s in plan.sessions if s.service_key == regular.key}
    assert dt.date(2026, 11, 16) not in regular_days
    assert len(regular_days) == 38


def test_a_half_class_becomes_a_group_of_its_class_with_its_students_and_teacher() -> None:
    tt = timetable(
        course("C2", subject="FRANC", classes=(), parts=("3A-1",), teachers={"T2": ALL_WEEKS}),
        students=4,
    )
    match = TimetableMatches(
        teachers={"T2": 102},
        students={"E1": 201, "E2": 202, "E3": 203, "E4": 204},
        classes={"3A": CLASS_3A},
    )

    plan = build(tt, match)

    assert plan.groups == {
        (1, "3A GR1"): PlannedGroup(1, "3A GR1", "3A GR1", frozenset({501})),
        (1, "3A GR2"): PlannedGroup(1, "3A GR2", "3A GR2", frozenset({501})),
        # Every group of the file the directory lacks is created, taught or not yet.
        (1, "Latin 3e"): PlannedGroup(1, "Latin 3e", "Latin 3e", frozenset({501})),
    }
    (service,) = plan.services.values()
    assert service.group_keys == frozenset({(1, "3A GR1")})
    assert service.class_ids == frozenset()
    assert service.incomplete is False
    assert plan.group_memberships == {
        (201, 1, "3A GR1", "STUDENT"),
        (203, 1, "3A GR1", "STUDENT"),
        (202, 1, "3A GR2", "STUDENT"),
        (204, 1, "3A GR2", "STUDENT"),
        (102, 1, "3A GR1", "TEACHER"),
    }


def test_a_half_class_found_among_the_directory_groups_is_not_created() -> None:
    tt = timetable(course("C2", classes=(), parts=("3A-1",)))
    match = TimetableMatches(
        teachers={"T1": 101},
        classes={"3A": CLASS_3A},
        parts={"3A-1": DirectoryUnit(601, "3A_GR1", "3A GR1", 1)},
    )

    plan = build(tt, match)

    assert set(plan.groups) == {(1, "Latin 3e")}
    (service,) = plan.services.values()
    assert service.group_keys == frozenset({(1, "3A_GR1")})


def test_an_unmatched_teacher_or_class_makes_the_service_incomplete() -> None:
    tt = timetable(course("C1", teachers={"T2": ALL_WEEKS}))

    plan = build(tt, TimetableMatches(teachers={"T1": 101}, classes={}))

    (service,) = plan.services.values()
    assert service.incomplete is True
    assert service.teacher_ids == frozenset()
    assert service.class_ids == frozenset()
    assert len(plan.sessions) == 39


def test_weekly_minutes_add_up_the_courses_of_a_service() -> None:
    tt = timetable(course("C1"), course("C2", day=4, start="10:00", end="12:00"))

    plan = build(tt)

    (service,) = plan.services.values()
    assert service.weekly_minutes == 180
    assert plan.subjects == {(1, "MATHS"): "Mathématiques"}
    assert len(plan.sessions) == 39 + 40  # Thursday 3/09/2026 is in the year, Monday 31/08 not


def test_a_course_duplicated_in_the_file_yields_one_session_with_both_rooms() -> None:
    tt = timetable(course("C1"), course("C1bis", rooms=("S102",)))

    plan = build(tt)

    assert len(plan.sessions) == 39
    assert {s.room for s in plan.sessions} == {"S101, S102"}


def test_in_a_cite_scolaire_services_and_groups_go_to_the_establishment_of_their_classes() -> None:
    both = [(1, "0760001A"), (2, "0760002B")]
    match = TimetableMatches(teachers={"T1": 101}, classes={"3A": DirectoryUnit(502, "3A", "", 2)})
    tt = timetable(course("C1"), course("C2", day=2, classes=(), groups=("LATIN",)))

    plan = build(tt, match, establishments=both)

    assert {s.establishment_id for s in plan.services.values()} == {2}
    assert set(plan.subjects) == {(2, "MATHS")}
    assert plan.groups[(2, "Latin 3e")].class_ids == frozenset({502})


def test_without_matched_classes_the_file_uai_then_the_run_target_decide() -> None:
    both = [(1, "0760001A"), (2, "0760002B")]
    tt_b = timetable(course("C1", classes=()), uai="0760002B")
    tt_unknown = timetable(course("C1", classes=()), uai="0999999Z")

    named = build(tt_b, TimetableMatches(teachers={"T1": 101}), establishments=both)
    unnamed = build(tt_unknown, TimetableMatches(teachers={"T1": 101}), establishments=both)

    assert {s.establishment_id for s in named.services.values()} == {2}
    assert {s.establishment_id for s in unnamed.services.values()} == {1}


def test_building_twice_gives_the_same_keys() -> None:
    tt = timetable(course("C1"), course("C2", parts=("3A-2",), classes=()))

    first, second = build(tt), build(tt)

    assert first.services.keys() == second.services.keys()
    assert first.sessions == second.sessions


def test_a_very_large_audience_keeps_a_unique_identity_within_the_column_size() -> None:
    many = [f"g:GROUPE-{n:04d}" for n in range(200)]

    first = audience_key("MATHS", many)
    second = audience_key("MATHS", [*many[:-1], "g:AUTRE"])

    assert len(first) == len(second) == AUDIENCE_KEY_MAX
    assert first != second
    assert audience_key("MATHS", ["c:3A"]) == "MATHS\x1fc:3A"


def test_the_plan_has_one_session_per_occurrence_of_a_generated_timetable() -> None:
    sample = generate_sample("small", seed=5, start_year=2026)
    tt = sample.timetable
    match = TimetableMatches(
        teachers={ident: n for n, ident in enumerate(tt.teachers, start=1)},
        classes={
            ident: DirectoryUnit(n, c.name, c.name, 1)
            for n, (ident, c) in enumerate(tt.classes.items(), start=1)
        },
    )

    plan = build(tt, match, establishments=[(1, tt.uai)])

    occurrences = sorted(
        (
            dt.datetime.combine(o.date, o.start, tzinfo=PARIS),
            dt.datetime.combine(o.date, o.end, tzinfo=PARIS),
            ", ".join(sorted(tt.rooms[r].name for r in o.rooms)),
        )
        for o in timetable_occurrences(tt)
    )
    assert any(len({r.weeks for r in c.resources}) > 1 for c in tt.courses)  # both paths run
    assert sorted((s.starts_at, s.ends_at, s.room) for s in plan.sessions) == occurrences


def test_runs_of_occurrences_are_the_occurrences_grouped_by_consecutive_resources() -> None:
    tt = generate_sample("medium", seed=3, start_year=2026).timetable
    closed = closed_days(tt.closings)
    mixed = [c for c in tt.courses if len({r.weeks for r in c.resources}) > 1]
    assert mixed

    def resources(o: Occurrence) -> tuple[tuple[str, ...], ...]:
        return (o.teachers, o.classes, o.parts, o.groups, o.rooms)

    longest = 0
    for c in mixed:
        runs = list(course_occurrence_runs(tt, c, closed=closed))
        flat = [(day, resources(first)) for first, days in runs for day in days]
        assert flat == [(o.date, resources(o)) for o in course_occurrences(tt, c, closed=closed)]
        assert all(first.date == days[0] for first, days in runs)
        # Consecutive runs differ: each run is as long as it can be.
        assert all(resources(a[0]) != resources(b[0]) for a, b in itertools.pairwise(runs))
        longest = max([longest, *(len(days) for _first, days in runs)])
    assert longest > 1


def test_two_closings_of_the_file_on_the_same_dates_are_planned_once() -> None:
    tt = timetable(course("C1"))
    tt.closings.append(SourceClosing(TOUSSAINT.start, TOUSSAINT.end, "Toussaint (bis)"))

    plan = build(tt)

    assert sorted((c.start_date, c.label) for c in plan.closings) == [
        (TOUSSAINT.start, TOUSSAINT.label),
        (NOEL.start, NOEL.label),
    ]
