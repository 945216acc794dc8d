"""The change list of a run: what it added, removed and changed, filtered, paged, as CSV."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io

from django.test import Client

from accounts.models import User
from ent.models import TeachingService
from imports.models import ImportRun, SessionChange
from tests.factories import RoleFactory, SchoolGroupFactory
from tests.imports.pipeline_support import (
    PARIS,
    TEACHERS,
    School,
    default_courses,
    edt_file,
    initialise,
    moved,
    run_import,
    school,
)

__all__ = ["school"]
LATER = dt.datetime(2026, 11, 17, 19, 0, tzinfo=PARIS)
Kind = SessionChange.Kind


def _changed_courses() -> list:
    courses = moved(default_courses(), 0, day=2, place=0)  # 6A Monday 08:00 → Tuesday
    courses = moved(courses, 2, room=4)  # 6A Monday 10:15: Salle 1 → Salle 4
    del courses[25]  # a 6B course removed
    return courses


def _client() -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser("claire"))
    return client


def test_an_integrated_run_lists_each_session_moved_changed_and_removed_old_to_new(
    school: School,
) -> None:
    initialise(school)
    run = run_import(
        school, edt_file(_changed_courses()), now=LATER, mode="MANUAL", apply_anyway=True
    )
    changes = SessionChange.objects.filter(run=run)

    moved_ = changes.filter(kind=Kind.CHANGED, subject="Français").exclude(old_starts_at=None)
    rooms = changes.filter(kind=Kind.CHANGED, old_room="Salle 1", room="Salle 4")
    removed = changes.filter(kind=Kind.REMOVED)

    assert run.status == ImportRun.Status.INTEGRATED
    first = moved_.order_by("starts_at").first()
    assert first.starts_at - first.old_starts_at == dt.timedelta(days=1)
    assert (first.audience, first.teachers) == ("6A", "MARTIN Claire")
    assert rooms.count() == moved_.count() > 20  # every remaining week of the year
    assert removed.count() > 20 and set(removed.values_list("audience", flat=True)) == {"6B"}
    assert not changes.filter(kind=Kind.ADDED).exists()


def test_a_blocked_run_lists_what_applying_would_do(school: School) -> None:
    initialise(school)
    blocked = run_import(school, edt_file(default_courses()[:40]), now=LATER)

    assert blocked.status == ImportRun.Status.BLOCKED
    assert SessionChange.objects.filter(run=blocked, kind=Kind.REMOVED).count() > 1000
    assert blocked.session_changes.filter(audience="5A").exists()


def test_the_page_filters_by_class_and_teacher_pages_and_exports_csv(school: School) -> None:
    initialise(school)
    run = run_import(
        school, edt_file(_changed_courses()), now=LATER, mode="MANUAL", apply_anyway=True
    )
    client = _client()
    url = f"/cites/{school.group.pk}/imports/{run.pk}/changements/"

    first = html.unescape(client.get(url).content.decode())
    by_class = html.unescape(client.get(url, {"classe": "6B"}).content.decode())
    by_teacher = html.unescape(client.get(url, {"enseignant": "martin"}).content.decode())
    second = html.unescape(client.get(url, {"page": "2"}).content.decode())
    exported = client.get(url, {"classe": "6B", "format": "csv"})
    rows = list(
        csv.reader(
            io.StringIO(b"".join(exported.streaming_content).decode("utf-8-sig")), delimiter=";"
        )
    )

    total = SessionChange.objects.filter(run=run).count()
    assert f"Page 1 sur {-(-total // 50)}" in first
    assert "Page 2 sur" in second and 'rel="prev"' in second
    assert "Supprimée" in by_class and "6A" not in by_class.split('data-changes="list"')[1]
    assert "MARTIN Claire" in by_teacher
    assert rows[0][:4] == ["Changement", "Date", "Début", "Fin"]
    assert len(rows) - 1 == SessionChange.objects.filter(run=run, audience__icontains="6B").count()
    assert {row[0] for row in rows[1:]} == {"Supprimée"}


def test_another_school_group_cannot_see_a_change_list(school: School) -> None:
    initialise(school)
    run = school.group.import_runs.get()
    role = RoleFactory(school_group=SchoolGroupFactory())
    client = Client()
    client.force_login(role.user)

    assert client.get(f"/cites/{school.group.pk}/imports/{run.pk}/changements/").status_code == 404


def test_the_change_totals_are_written_with_french_thousands_separators(school: School) -> None:
    initialise(school)
    blocked = run_import(school, edt_file(default_courses()[:40]), now=LATER)
    removed = SessionChange.objects.filter(run=blocked, kind=Kind.REMOVED).count()

    page = _client().get(f"/cites/{school.group.pk}/imports/{blocked.pk}/changements/")

    assert removed > 1000
    thousands, units = divmod(removed, 1000)
    assert f"<strong>{thousands}\u202f{units:03d}</strong>" in page.content.decode()


# Teachers of the file that the directory lacks ------------------------------------------

NEWCOMER = len(TEACHERS)  # in the file, not in the directory
WITH_NEWCOMER = [*TEACHERS, "NOUVEAU"]


def _page_of(school: School, run: ImportRun) -> str:
    url = f"/cites/{school.group.pk}/imports/{run.pk}/changements/"
    return html.unescape(_client().get(url, {"enseignant": "nouveau"}).content.decode())


def test_an_unmatched_teacher_is_named_from_the_file_and_marked_not_matched(
    school: School,
) -> None:
    courses = moved(default_courses(), 0, teacher=NEWCOMER)

    run = initialise(school, edt_file(courses, teachers=WITH_NEWCOMER))

    added = SessionChange.objects.filter(run=run, kind=Kind.ADDED, audience="6A")
    assert set(
        added.filter(starts_at__week_day=2, starts_at__hour=8).values_list("teachers", flat=True)
    ) == {"NOUVEAU Claire (non rapproché)"}
    page = _page_of(school, run)
    assert "NOUVEAU Claire (non rapproché)" in page
    assert "?q=NOUVEAU" not in page  # no timetable to open for someone the ENT lacks


def test_an_unchanged_unmatched_teacher_of_a_moved_session_is_not_shown_as_a_change(
    school: School,
) -> None:
    courses = moved(default_courses(), 0, teacher=NEWCOMER)
    initialise(school, edt_file(courses, teachers=WITH_NEWCOMER))

    run = run_import(
        school,
        edt_file(moved(courses, 0, day=2), teachers=WITH_NEWCOMER),
        now=LATER,
        mode="MANUAL",
        apply_anyway=True,
    )

    changed = SessionChange.objects.filter(run=run, kind=Kind.CHANGED).exclude(old_starts_at=None)
    assert changed.count() > 20
    assert set(changed.values_list("old_teachers", "teachers")) == {
        ("NOUVEAU Claire (non rapproché)", "NOUVEAU Claire (non rapproché)")
    }
    page = _page_of(school, run)
    assert "NOUVEAU Claire (non rapproché)" in page
    assert "<del>NOUVEAU" not in page


def test_a_session_given_to_an_unmatched_teacher_shows_the_old_teacher_then_the_new(
    school: School,
) -> None:
    initialise(school)

    run = run_import(
        school,
        edt_file(moved(default_courses(), 0, day=2, teacher=NEWCOMER), teachers=WITH_NEWCOMER),
        now=LATER,
        mode="MANUAL",
        apply_anyway=True,
    )

    page = _page_of(school, run)
    assert "<del>MARTIN Claire</del> → NOUVEAU Claire (non rapproché)" in page


def test_services_imported_before_unmatched_names_were_kept_get_them_at_the_next_apply(
    school: School,
) -> None:
    courses = moved(default_courses(), 0, teacher=NEWCOMER)
    initialise(school, edt_file(courses, teachers=WITH_NEWCOMER))
    TeachingService.objects.update(unmatched_teachers=None)

    run_import(
        school,
        edt_file(courses, teachers=WITH_NEWCOMER),
        now=LATER,
        mode="MANUAL",
        apply_anyway=True,
    )

    names = set(TeachingService.objects.values_list("unmatched_teachers", flat=True))
    assert names == {"", "NOUVEAU Claire"}
