"""Timetable week pages of a class, group, teacher and room; search; links; authorisation."""

from __future__ import annotations

import datetime as dt
import html

import pytest
from django.test import Client

from accounts.models import Role
from ent.models import ClosingPeriod, Session, SessionContent, TeachingGroup, TeachingService
from tests.factories import EstablishmentFactory, RoleFactory, SchoolGroupFactory
from tests.imports.pipeline_support import PARIS, School, initialise, school

__all__ = ["school"]
WEEK = "2026-11-30"  # Monday of school week 14


@pytest.fixture
def timetable(school: School) -> School:
    initialise(school)
    return school


def _client(school: School, group: object | None = None) -> Client:
    role = RoleFactory(school_group=group or school.group, name=Role.Name.HEAD)
    client = Client()
    client.force_login(role.user)
    return client


def _page(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return html.unescape(response.content.decode())


def test_a_class_week_shows_each_session_with_subject_teachers_audience_and_room(
    timetable: School,
) -> None:
    school = timetable
    klass = school.classes[0]
    base = f"/cites/{school.group.pk}/emplois-du-temps/{school.establishment.pk}"

    page = _page(_client(school), f"{base}/classe/{klass.pk}/?semaine=2026-12-02")

    assert "Classe 6A" in page
    assert "Semaine du lundi 30 novembre 2026" in page
    # 6A: four courses a day for five days, plus its half-class and the LATIN group.
    assert page.count('data-session="') == 22
    assert "Français" in page and "MARTIN Claire" in page and "Salle 1" in page
    assert f'href="{base}/classe/{klass.pk}/?semaine=2026-12-07"' in page  # next week
    assert f'href="{base}/classe/{klass.pk}/?semaine=2026-11-23"' in page  # previous week


def test_the_next_week_of_a_holiday_shows_the_closing_period_and_no_session(
    timetable: School,
) -> None:
    school = timetable
    base = f"/cites/{school.group.pk}/emplois-du-temps/{school.establishment.pk}"

    page = _page(_client(school), f"{base}/classe/{school.classes[0].pk}/?semaine=2026-12-21")

    assert "Aucune séance cette semaine." in page
    assert page.count("data-closing") == 6


def test_teacher_group_and_room_weeks_and_hand_entered_sessions_are_marked(
    timetable: School,
) -> None:
    school = timetable
    client = _client(school)
    base = f"/cites/{school.group.pk}/emplois-du-temps/{school.establishment.pk}"
    teacher = school.teachers[0]
    service = TeachingService.objects.filter(teachers=teacher).first()
    manual = Session.objects.create(
        teaching_service=service,
        starts_at=dt.datetime(2026, 12, 2, 14, 0, tzinfo=PARIS),
        ends_at=dt.datetime(2026, 12, 2, 15, 0, tzinfo=PARIS),
        room="CDI",
        source=Session.Source.MANUAL,
    )
    SessionContent.objects.create(session=manual, content="Recherche documentaire")
    latin = TeachingGroup.objects.get(code="LATIN")

    teacher_page = _page(client, f"{base}/enseignant/{teacher.pk}/?semaine={WEEK}")
    group_page = _page(client, f"{base}/groupe/{latin.pk}/?semaine={WEEK}")
    room_page = _page(client, f"{base}/salle/?nom=CDI&semaine={WEEK}")

    assert "Enseignant DUPONT Claire" in teacher_page
    assert f'data-session="{manual.pk}"' in teacher_page
    assert "Saisie manuelle" in teacher_page and "Recherche documentaire" in teacher_page
    assert group_page.count('data-session="') == 1 and "Latin" in group_page
    assert room_page.count('data-session="') == 1


def test_a_hand_entered_closing_period_is_marked_on_its_days(timetable: School) -> None:
    school = timetable
    ClosingPeriod.objects.create(
        establishment=school.establishment,
        start_date=dt.date(2026, 12, 3),
        end_date=dt.date(2026, 12, 4),
        label="Journée pédagogique",
        source=ClosingPeriod.Source.MANUAL,
    )
    base = f"/cites/{school.group.pk}/emplois-du-temps/{school.establishment.pk}"

    page = _page(_client(school), f"{base}/classe/{school.classes[0].pk}/?semaine={WEEK}")

    assert "Journée pédagogique (saisie manuelle)" in page


def test_the_search_opens_a_single_match_and_lists_several(timetable: School) -> None:
    school = timetable
    client = _client(school)
    url = f"/cites/{school.group.pk}/emplois-du-temps/"

    single = client.get(url, {"q": "dupont"})
    several = _page(client, url + "?q=6")
    none = _page(client, url + "?q=zzz")

    assert single.status_code == 302
    assert f"/enseignant/{school.teachers[0].pk}/" in single["Location"]
    assert "6A" in several and "6B" in several and "Classe" in several
    assert "Aucune classe, aucun groupe, enseignant ou salle ne correspond" in none


def test_the_search_page_lists_the_group_s_establishments_to_browse(timetable: School) -> None:
    school = timetable
    other = EstablishmentFactory(school_group=SchoolGroupFactory(), name="Lycée d'ailleurs")

    page = _page(_client(school), f"/cites/{school.group.pk}/emplois-du-temps/")

    assert f"/emplois-du-temps/{school.establishment.pk}/" in page
    assert school.establishment.name in page
    assert other.name not in page


def test_the_establishment_page_and_the_run_page_link_to_the_timetables(
    timetable: School,
) -> None:
    school = timetable
    client = _client(school)
    run = school.group.import_runs.get()

    establishments = _page(client, f"/cites/{school.group.pk}/")
    index = _page(client, f"/cites/{school.group.pk}/emplois-du-temps/{school.establishment.pk}/")
    run_page = _page(client, f"/cites/{school.group.pk}/imports/{run.pk}/")

    assert f"/emplois-du-temps/{school.establishment.pk}/" in establishments
    assert "6A" in index and "DUPONT Claire" in index and "Salle 3" in index
    assert f'href="/cites/{school.group.pk}/emplois-du-temps/?q=6A"' in run_page


def test_another_school_group_s_timetable_is_not_found(timetable: School) -> None:
    school = timetable
    client = _client(school, SchoolGroupFactory())
    base = f"/cites/{school.group.pk}/emplois-du-temps/{school.establishment.pk}"

    assert client.get(f"{base}/classe/{school.classes[0].pk}/").status_code == 404
    assert client.get(f"/cites/{school.group.pk}/emplois-du-temps/?q=6A").status_code == 404
