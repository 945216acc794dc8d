"""The school year: the national default, the page to declare it, and what imports make of it."""

from __future__ import annotations

import datetime as dt
import html

import pytest
from django.test import Client
from django.urls import reverse

from ent.models import Person, SchoolYear, Session
from ent.school_years import WHO_ADJUSTS, national_school_year, national_school_year_next
from ent.selectors import school_year_current, school_year_next
from ent.services.school_years import SchoolYearRefused, school_year_declare
from imports.models import ImportRun
from tests.conftest import Personas
from tests.factories import EstablishmentFactory, RoleFactory, SchoolGroupFactory
from tests.imports.pipeline_support import (
    UAI,
    School,
    _person,
    edt_file,
    run_import,
)

Y = dt.date


@pytest.mark.parametrize(
    ("day", "bounds"),
    [
        (Y(2026, 9, 1), (Y(2026, 9, 1), Y(2027, 9, 1))),
        (Y(2027, 8, 31), (Y(2026, 9, 1), Y(2027, 9, 1))),
        (Y(2027, 1, 15), (Y(2026, 9, 1), Y(2027, 9, 1))),
        (Y(2026, 8, 31), (Y(2025, 9, 1), Y(2026, 9, 1))),
    ],
)
def test_the_national_year_runs_from_1_september_to_31_august(
    day: dt.date, bounds: tuple[dt.date, dt.date]
) -> None:
    assert national_school_year(day) == bounds


def test_next_years_national_bounds_are_known_in_advance() -> None:
    assert national_school_year_next(Y(2026, 11, 26)) == (Y(2027, 9, 1), Y(2028, 9, 1))


def test_without_a_declaration_the_national_year_applies_and_only_fills_gaps(db: None) -> None:
    group = SchoolGroupFactory()
    year = school_year_current(group, today=Y(2026, 11, 26))
    assert (year.start_date, year.end_date, year.is_declared) == (
        Y(2026, 9, 1),
        Y(2027, 9, 1),
        False,
    )
    assert "calendrier national (du 01/09/2026 au 31/08/2027)" in year.notice
    assert WHO_ADJUSTS in year.notice

    SchoolYear.objects.create(school_group=group, start_date=Y(2026, 9, 1), end_date=Y(2027, 7, 4))
    after = school_year_current(group, today=Y(2027, 7, 20))

    assert (after.start_date, after.end_date, after.is_declared) == (
        Y(2027, 7, 4),
        Y(2027, 9, 1),
        False,
    )
    assert school_year_next(group, today=Y(2026, 11, 26)).start_date == Y(2027, 9, 1)


def test_declaring_adjusts_the_same_year_and_refuses_overlaps_and_odd_dates(db: None) -> None:
    group = SchoolGroupFactory()

    first = school_year_declare(
        school_group=group, start_date=Y(2026, 9, 1), last_day=Y(2027, 7, 3)
    )
    again = school_year_declare(
        school_group=group, start_date=Y(2026, 9, 2), last_day=Y(2027, 7, 5)
    )

    assert first.pk == again.pk and again.end_date == Y(2027, 7, 6)
    assert SchoolYear.objects.filter(school_group=group).count() == 1
    with pytest.raises(SchoolYearRefused, match="chevauchent"):
        school_year_declare(school_group=group, start_date=Y(2027, 7, 1), last_day=Y(2028, 7, 3))
    with pytest.raises(SchoolYearRefused, match="deux mois"):
        school_year_declare(school_group=group, start_date=Y(2026, 9, 1), last_day=Y(2027, 12, 1))


@pytest.mark.parametrize("role", ["MANAGER", "HEAD"])
def test_the_head_and_the_manager_declare_the_year_on_its_page(
    personas: Personas, role: str
) -> None:
    user = personas.alice if role == "MANAGER" else personas.hugo
    client = Client()
    client.force_login(user)
    url = reverse("school_year", args=[personas.group_a.pk])

    page = client.get(url).content.decode()
    response = client.post(
        url, {"year": "next", "next-start_date": "2027-09-02", "next-last_day": "2028-07-04"}
    )

    assert (
        "Calendrier national (par défaut)" in page and "du 01/09/2027 au 31/08/2028 inclus" in page
    )
    assert response.status_code == 302
    declared = SchoolYear.objects.get(school_group=personas.group_a)
    assert (declared.start_date, declared.end_date) == (Y(2027, 9, 2), Y(2028, 7, 5))
    assert "du 02/09/2027 au 04/07/2028 inclus" in client.get(url).content.decode()


def test_another_groups_year_page_is_not_found(personas: Personas) -> None:
    client = Client()
    client.force_login(personas.bob)
    url = reverse("school_year", args=[personas.group_a.pk])

    assert client.get(url).status_code == 404
    assert client.post(url, {"year": "current"}).status_code == 404
    assert not SchoolYear.objects.exists()


def test_a_new_establishment_without_a_declared_year_integrates_its_first_manual_import(
    db: None,
) -> None:
    group = SchoolGroupFactory(name="Cité scolaire nouvelle")
    establishment = EstablishmentFactory(school_group=group, uai=UAI)
    school = School(group=group, establishment=establishment)
    _person(establishment, Person.Kind.TEACHER, "DUPONT", "Claire")

    run = run_import(school, edt_file(), mode=ImportRun.Mode.MANUAL, apply_anyway=True)

    assert run.status == ImportRun.Status.INTEGRATED, [s.message for s in run.steps.all()]
    assert not SchoolYear.objects.filter(school_group=group).exists()
    assert Session.objects.filter(teaching_service__establishment=establishment).exists()


def test_the_manual_import_form_says_what_is_missing_before_submitting(db: None) -> None:
    group = SchoolGroupFactory()
    client = Client()
    client.force_login(RoleFactory(school_group=group).user)
    url = reverse("imports:manual_import", args=[group.pk])

    empty = html.unescape(client.get(url).content.decode())
    refused = client.post(url, {})
    establishment = EstablishmentFactory(school_group=group, name="Collège Neuf")
    ready = html.unescape(client.get(url).content.decode())

    assert "Aucun établissement n'est rattaché" in empty
    assert 'class="primary" disabled' in empty
    assert refused.status_code == 200 and not ImportRun.objects.exists()
    assert "calendrier national" in ready and WHO_ADJUSTS in ready
    assert f"L'annuaire de {establishment.name} est vide" in ready
    assert 'class="primary" disabled' not in ready
