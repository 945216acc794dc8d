"""Content hung on sessions (cahier de textes) is never lost by a re-import."""

from __future__ import annotations

import datetime as dt

import pytest

from ent.formatting import format_moment
from ent.models import Session, SessionContent
from imports.models import ImportRun, SessionChange
from imports.planning import Plan
from imports.report import report_of
from imports.services import pipeline
from imports.services.apply import Diff, plan_apply
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
)

__all__ = ["school"]
Status = ImportRun.Status
LATER = dt.datetime(2026, 11, 17, 19, 0, tzinfo=PARIS)
WEEK_14 = dt.datetime(2026, 11, 30, tzinfo=PARIS)  # Monday of school week 14


def _session_of(course_index: int, week_start: dt.datetime) -> Session:
    """The session of one default course in the week starting at ``week_start``."""
    course = default_courses()[course_index]
    day = week_start + dt.timedelta(days=course.day - 1)
    sessions = Session.objects.filter(
        starts_at__gte=day, starts_at__lt=day + dt.timedelta(days=1)
    ).order_by("starts_at")
    return next(
        s
        for s in sessions.select_related("teaching_service")
        if s.teaching_service.classes.filter(code="6A").exists()
        and s.starts_at.astimezone(PARIS).hour == sessions_hour(course.place)
    )


def sessions_hour(place: int) -> int:
    return {0: 8, 1: 9, 2: 10, 3: 11}[place]


def test_content_moves_with_its_session_and_a_removed_session_with_content_is_kept(
    school: School,
) -> None:
    initialise(school)
    moving = _session_of(0, WEEK_14)  # 6A, Monday 08:00
    removed = _session_of(1, WEEK_14)  # 6A, Monday 09:00
    SessionContent.objects.create(session=moving, content="Fractions", homework="Ex. 3 p. 52")
    SessionContent.objects.create(session=removed, content="Dictée")
    courses = moved(default_courses(), 0, day=2, place=0)  # Monday → Tuesday, same service
    del courses[1]

    blocked = run_import(school, edt_file(courses), now=LATER)
    forced = run_confirm(run=blocked, user_id=None, now=LATER)
    process(school, now=LATER)
    forced.refresh_from_db()

    control = next(t for t in blocked.bilan["thresholds"] if t["control"] == "SESSION_CONTENT_LOST")
    assert blocked.status == Status.BLOCKED
    assert (control["exceeded"], control["blocking"], control["setting"]) == (True, True, 0)
    # Its value in words and the sessions behind it (subject by its label), in Paris time, as
    # for every control.
    assert control["items"] == [
        f"{s.teaching_service.subject.label} (6A) du {format_moment(s.starts_at)}"
        for s in (moving, removed)
    ]
    text = report_of(blocked).text
    assert "2 séance(s) avec contenu supprimée(s) ou déplacée(s) sur 2 séance(s) avec" in text
    assert f"du {format_moment(moving.starts_at)}" in text
    assert forced.status == Status.INTEGRATED
    content = SessionContent.objects.get(content="Fractions")
    assert content.session.starts_at == moving.starts_at + dt.timedelta(days=1)
    assert content.session.source == Session.Source.TIMETABLE
    assert content.session.teaching_service_id == moving.teaching_service_id
    kept = Session.objects.get(pk=removed.pk)
    assert kept.source == Session.Source.OFF_TIMETABLE
    assert kept.content.content == "Dictée"
    assert len(forced.bilan["content_kept"]) == 1
    assert "hors emploi du temps" in forced.bilan["content_kept"][0]
    assert forced.counters["sessions_kept_for_content"] == 1
    assert SessionChange.objects.filter(run=forced, kind=SessionChange.Kind.KEPT).count() == 1


def test_a_later_import_ignores_a_session_kept_off_the_timetable(school: School) -> None:
    initialise(school)
    removed = _session_of(1, WEEK_14)
    SessionContent.objects.create(session=removed, content="Dictée")
    courses = default_courses()
    del courses[1]
    run_confirm(run=run_import(school, edt_file(courses), now=LATER), user_id=None, now=LATER)
    process(school, now=LATER)

    again = run_import(school, edt_file(courses, comment="réexport"), now=LATER)

    assert again.status == Status.INTEGRATED
    assert again.counters["sessions_deleted"] == 0
    assert Session.objects.get(pk=removed.pk).source == Session.Source.OFF_TIMETABLE


def test_an_import_that_touches_no_content_passes_the_content_control(school: School) -> None:
    initialise(school)
    untouched = _session_of(2, WEEK_14)
    SessionContent.objects.create(session=untouched, content="Poésie")

    run = run_import(school, edt_file(moved(default_courses(), 0, room=4)), now=LATER)

    control = next(t for t in run.bilan["thresholds"] if t["control"] == "SESSION_CONTENT_LOST")
    assert run.status == Status.INTEGRATED
    assert (control["numerator"], control["denominator"], control["exceeded"]) == (0, 1, False)


def test_content_written_after_the_diff_goes_with_its_deleted_session(
    school: School, monkeypatch: pytest.MonkeyPatch
) -> None:
    initialise(school)
    courses = default_courses()
    del courses[1]  # 6A, Monday 09:00: its sessions are deleted
    written: list[int] = []

    def apply_after_a_teacher_wrote(plan: Plan, diff: Diff) -> dict[str, int]:
        # A teacher fills in a session between the diff and the apply.
        SessionContent.objects.create(session_id=diff.sessions_deleted[0], content="Dictée")
        written.append(diff.sessions_deleted[0])
        return plan_apply(plan, diff)

    monkeypatch.setattr(pipeline, "plan_apply", apply_after_a_teacher_wrote)
    run = run_import(school, edt_file(courses), now=LATER)

    assert run.status == Status.INTEGRATED
    assert run.counters["sessions_deleted"] > 0
    assert not Session.objects.filter(pk__in=written).exists()
    assert not SessionContent.objects.filter(session_id__in=written).exists()
