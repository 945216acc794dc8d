"""The generated cité scolaire: sizes, calendar, structure and the expected sessions."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict

import pytest

from devtools.samples import ExpectedSession, Sample, SamplePresetError, generate_sample
from devtools.samples.calendar import default_start_year, easter_sunday
from ent.identifiers import is_valid_ine, is_valid_uai
from imports.sessions import timetable_occurrences
from imports.timetable import UnitKind

HOLIDAYS = (
    "Vacances de la Toussaint",
    "Vacances de Noël",
    "Vacances d'hiver",
    "Vacances de printemps",
)


def _occurrence_as_expected(sample: Sample) -> list[ExpectedSession]:
    t = sample.timetable
    found = []
    for o in timetable_occurrences(t):
        found.append(
            ExpectedSession(
                date=o.date,
                start=o.start,
                end=o.end,
                subject_code=t.subjects[o.course.subject_ident].code,
                teachers=o.teachers,
                classes=tuple(sorted(t.classes[i].name for i in o.classes)),
                groups=tuple(sorted(t.groups[i].name for i in o.groups)),
                parts=o.parts,
                rooms=tuple(sorted(t.rooms[i].name for i in o.rooms)),
                course=o.course.ident,
            )
        )
    return sorted(found)


def test_small_preset_is_a_college_of_the_brief_size(small: Sample) -> None:
    counts = small.counts()

    assert [e.kind for e in small.establishments] == ["college"]
    assert counts["classes"] == 8
    assert counts["students"] == 200
    assert 16 <= counts["teachers"] <= 26
    assert 170 <= counts["courses"] <= 230
    assert counts["sessions"] == len(small.expected_sessions())


def test_medium_preset_is_a_college_and_a_lycee_with_valid_uais() -> None:
    sample = generate_sample("medium", seed=3, start_year=2026)

    assert [e.kind for e in sample.establishments] == ["college", "lycee"]
    assert all(is_valid_uai(e.uai) for e in sample.establishments)
    assert len({e.uai for e in sample.establishments}) == 2
    assert sample.uai == sample.timetable.uai == sample.establishments[0].uai
    lycee_classes = [
        c
        for i, c in sample.timetable.classes.items()
        if sample.establishment_of("class", i).kind == "lycee"
    ]
    assert {c.name[:3] for c in lycee_classes} == {"2ND", "1RE", "TLE"}


def test_xl_preset_has_the_design_workload() -> None:
    sample = generate_sample("xl", seed=1, start_year=2026)

    counts = sample.counts()
    assert 2300 <= counts["students"] <= 2500
    assert 160 <= counts["teachers"] <= 200
    assert counts["classes"] == 90
    assert 300 <= counts["groups"] <= 400
    assert 1500 <= counts["courses"] <= 1750
    assert 50_000 <= counts["sessions"] <= 60_000
    assert 34 <= len(sample.calendar.teaching_weeks) <= 37


def test_same_seed_gives_the_same_sample_and_another_seed_another(small: Sample) -> None:
    again = generate_sample("small", seed=small.seed, start_year=2026)
    other = generate_sample("small", seed=small.seed + 1, start_year=2026)

    assert again.timetable == small.timetable
    assert again.aaf_records == small.aaf_records
    assert again.expected_sessions() == small.expected_sessions()
    assert other.timetable.teachers != small.timetable.teachers
    assert other.establishments[0].uai != small.establishments[0].uai


def test_unknown_preset_is_refused() -> None:
    with pytest.raises(SamplePresetError, match="Préréglage inconnu"):
        generate_sample("huge", seed=1)


def test_expected_sessions_agree_with_timetable_occurrences(small: Sample) -> None:
    expected = small.expected_sessions()

    assert expected == _occurrence_as_expected(small)
    assert len(expected) > 5000


def test_no_expected_session_falls_in_a_closing_period_or_outside_the_year(small: Sample) -> None:
    year = small.timetable.year
    closed = {
        c.start + dt.timedelta(days=n)
        for c in small.timetable.closings
        for n in range((c.end - c.start).days)
    }

    dates = {s.date for s in small.expected_sessions()}

    assert not dates & closed
    assert all(year.start <= d < year.end and d.isoweekday() <= 5 for d in dates)
    assert min(dates) == year.start  # classes start on 1 September (a Tuesday in 2026)


def test_school_year_runs_from_1_september_to_early_july_with_four_holidays(small: Sample) -> None:
    year = small.timetable.year
    labels = [c.label for c in small.timetable.closings]

    assert year.start == dt.date(2026, 9, 1)
    assert year.week1_monday == dt.date(2026, 8, 31)
    assert dt.date(2027, 7, 1) <= year.end <= dt.date(2027, 7, 8)
    assert [label for label in labels if label in HOLIDAYS] == list(HOLIDAYS)
    assert {"Armistice", "Lundi de Pâques", "Ascension", "Lundi de Pentecôte"} <= set(labels)
    holiday_weeks = {
        year.week_of(c.start + dt.timedelta(days=2))
        for c in small.timetable.closings
        if c.label in HOLIDAYS
    }
    assert len(holiday_weeks) == 4
    for course in small.timetable.courses:
        assert not course.weeks() & holiday_weeks


@pytest.mark.parametrize(
    ("today", "start_year"),
    [
        (dt.date(2026, 11, 22), 2026),
        (dt.date(2026, 9, 1), 2026),
        (dt.date(2026, 8, 31), 2025),
        (dt.date(2027, 3, 1), 2026),
    ],
)
def test_default_start_year_follows_the_school_calendar(today: dt.date, start_year: int) -> None:
    assert default_start_year(today) == start_year


def test_easter_is_computed_for_known_years() -> None:
    assert [easter_sunday(y) for y in (2025, 2026, 2027)] == [
        dt.date(2025, 4, 20),
        dt.date(2026, 4, 5),
        dt.date(2027, 3, 28),
    ]


def test_weeks_a_and_b_alternate_and_half_classes_share_a_course(small: Sample) -> None:
    calendar = small.calendar
    t = small.timetable

    alternating = [
        c for c in t.courses if len(c.groups) == 2 and not c.groups[0].weeks & c.groups[1].weeks
    ]

    assert calendar.weeks_a | calendar.weeks_b == set(calendar.teaching_weeks)
    assert not calendar.weeks_a & calendar.weeks_b
    assert abs(len(calendar.weeks_a) - len(calendar.weeks_b)) <= 1
    assert alternating
    for course in alternating:
        first, second = (t.groups[r.ident] for r in course.groups)
        assert first.part_idents and second.part_idents
        assert course.groups[0].weeks <= calendar.weeks_a
        assert course.groups[1].weeks <= calendar.weeks_b
    assert any(c.parts for c in t.courses)  # courses for one class part, named by EDT Ident


def test_timetable_has_cross_class_groups_co_teaching_replacements_and_cancellations(
    small: Sample,
) -> None:
    t = small.timetable

    co_taught = [
        c
        for c in t.courses
        if any(a.weeks & b.weeks for a in c.teachers for b in c.teachers if a is not b)
    ]
    replaced = [
        c
        for c in t.courses
        if len(c.teachers) >= 2
        and any(
            a.weeks
            and b.weeks
            and not a.weeks & b.weeks
            and a.weeks | b.weeks == c.weeks() | c.cancelled_weeks
            for a in c.teachers
            for b in c.teachers
            if a is not b
        )
    ]
    cancelled = [c for c in t.courses if c.cancelled_weeks]

    assert any(len(g.class_idents) >= 2 for g in t.groups.values())
    assert co_taught
    assert replaced
    assert cancelled
    for course in cancelled:
        assert not course.weeks() & course.cancelled_weeks
        assert all(course.cancelled_weeks <= r.weeks for r in course.rooms)


def test_no_teacher_class_or_room_is_in_two_places_at_once(small: Sample) -> None:
    t = small.timetable
    busy: dict[tuple[str, dt.date], list[tuple[dt.time, dt.time]]] = defaultdict(list)
    for session in small.expected_sessions():
        classes = set(session.classes)
        classes |= {
            t.classes[c].name
            for g in t.groups.values()
            if g.name in session.groups
            for c in g.class_idents + tuple(t.parts[p].class_ident for p in g.part_idents)
        }
        classes |= {t.classes[t.parts[p].class_ident].name for p in session.parts}
        for key in [f"t{x}" for x in session.teachers] + [f"r{x}" for x in session.rooms]:
            busy[(key, session.date)].append((session.start, session.end))
        # Parallel groups of one barrette share their classes' time: one span per class.
        for name in classes:
            spans = busy[(f"c{name}", session.date)]
            if (session.start, session.end) not in spans:
                spans.append((session.start, session.end))

    overlaps = [
        key
        for key, spans in busy.items()
        for a, b in zip(sorted(spans), sorted(spans)[1:], strict=False)
        if b[0] < a[1]
    ]

    assert overlaps == []


def test_students_have_dated_enrolments_in_a_class_and_its_half(small: Sample) -> None:
    t = small.timetable
    year = t.year
    students = list(t.students.values())

    starts = Counter(e.start for s in students for e in s.enrolments if e.kind is UnitKind.CLASS)
    ends = Counter(e.end for s in students for e in s.enrolments if e.kind is UnitKind.CLASS)

    assert all(is_valid_ine(s.ine) for s in students)
    assert len({s.ine for s in students}) == len(students)
    assert starts[year.start] >= 180 and len(starts) > 1
    assert ends[year.end] >= 180 and len(ends) > 1
    for student in students:
        classes = [e for e in student.enrolments if e.kind is UnitKind.CLASS]
        assert classes
        for enrolment in student.enrolments:
            assert year.start <= enrolment.start < enrolment.end <= year.end
        for part in (e for e in student.enrolments if e.kind is UnitKind.PART):
            owner = t.parts[part.ident].class_ident
            assert any(
                c.ident == owner and (c.start, c.end) == (part.start, part.end) for c in classes
            )


def test_names_are_french_with_accents_and_hyphens(small: Sample) -> None:
    names = [f"{p.last_name} {p.first_name}" for p in small.timetable.students.values()]
    names += [f"{p.last_name} {p.first_name}" for p in small.timetable.teachers.values()]

    assert any(c in name for name in names for c in "éèêëïîôç")
    assert any("-" in name for name in names)


def test_every_seed_yields_a_complete_timetable() -> None:
    for seed in range(20, 40):
        sample = generate_sample("small", seed=seed, start_year=2025)

        counts = sample.counts()
        taught = {r.ident for c in sample.timetable.courses for r in c.teachers}
        assert counts["classes"] == 8 and 170 <= counts["courses"] <= 230
        assert taught == set(sample.timetable.teachers)
        assert len(sample.expected_sessions()) == counts["sessions"] > 5000
