"""The manual matching pages ("Rapprochements manuels"): a run's unmatched entities, the
directory entry the manager picks for each, and the later imports that use the choice."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client

from accounts.models import User
from ent.models import GroupMembership, Person, TeachingService
from imports.matching import person_source_key
from imports.models import ImportRun, ManualMatch
from imports.services import steps
from imports.timetable import Student, Teacher
from tests.conftest import PASSWORD
from tests.factories import EstablishmentFactory, RoleFactory, SchoolGroupFactory
from tests.imports.pipeline_support import (
    PARIS,
    School,
    deposit,
    edt_file,
    initialise,
    run_import,
    school,
)

__all__ = ["school"]

Status = ImportRun.Status
EVENING = dt.datetime(2026, 11, 16, 19, 0, tzinfo=PARIS)
# The first teacher and the first student of the file, as the parser reads them.
DUPONT_IN_FILE = Teacher(ident="1", last_name="DUPONT", first_name="Claire", idpn="PN-1")
ARNAUD_IN_FILE = Student(
    ident="1",
    last_name="ARNAUD",
    first_name="Léa",
    birth_date=dt.date(2014, 3, 1),
    ine="000000001AB",
)


@pytest.fixture
def manager(school: School) -> User:
    return RoleFactory(user__username="manon", school_group=school.group).user


@pytest.fixture
def client(manager: User) -> Client:
    client = Client()
    assert client.login(username=manager.username, password=PASSWORD)
    return client


@pytest.fixture
def unmatched_run(school: School) -> ImportRun:
    """An integrated import where DUPONT (renamed in the directory) and ARNAUD are unmatched."""
    dupont, arnaud = school.teachers[0], school.students[0]
    Person.objects.filter(pk=dupont.pk).update(pronote_idpn="", last_name="DUPONT-LAMBERT")
    dupont.refresh_from_db()
    dupont.save()  # refresh the search key of the new name
    Person.objects.filter(pk=arnaud.pk).update(ine=None)
    return initialise(school)


def _url(school: School, run: ImportRun) -> str:
    return f"/cites/{school.group.pk}/imports/{run.pk}/rapprochements/"


def _entry_index(run: ImportRun, kind: str, source_key: str) -> int:
    keys = [(e["kind"], e["source_key"]) for e in run.bilan["unmatched_entries"]]
    return keys.index((kind, source_key))


# The bilan's structured entries ---------------------------------------------------------------


def test_an_import_stores_each_unmatched_entity_with_the_matchers_source_key(
    school: School, unmatched_run: ImportRun
) -> None:
    entries = unmatched_run.bilan["unmatched_entries"]

    assert unmatched_run.bilan["unmatched"]["teachers"] == ["DUPONT Claire"]
    assert unmatched_run.bilan["unmatched"]["students"] == ["ARNAUD Léa, né(e) le 01/03/2014"]
    people = [e for e in entries if e["kind"] in ("TEACHER", "STUDENT")]
    assert people == [
        {
            "kind": "TEACHER",
            "source_key": "a:PN-1",
            "label": "DUPONT Claire",
            "birth_date": None,
            "candidates": [],
        },
        {
            "kind": "STUDENT",
            "source_key": "a:000000001AB",
            "label": "ARNAUD Léa, né(e) le 01/03/2014",
            "birth_date": "2014-03-01",
            "candidates": [],
        },
    ]
    assert people[0]["source_key"] == person_source_key(DUPONT_IN_FILE, "PN-1", "")
    assert people[1]["source_key"] == person_source_key(ARNAUD_IN_FILE, "000000001AB", "")
    # The LATIN group and the half-classes are not in the directory: GROUP entries by name.
    groups = {e["source_key"]: e["label"] for e in entries if e["kind"] == "GROUP"}
    assert groups["u:latin"] == "LATIN"
    assert unmatched_run.bilan["unmatched_entries_total"] == len(entries)


def test_the_entries_are_capped_and_the_page_says_how_many_were_left_out(
    school: School, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(steps, "UNMATCHED_ENTRIES_MAX", 1)
    Person.objects.filter(pk__in=[s.pk for s in school.students[:2]]).update(ine=None)

    run = initialise(school)

    assert len(run.bilan["unmatched_entries"]) == 1
    total = run.bilan["unmatched_entries_total"]
    assert total > 2  # two students and the groups the import creates
    html = client.get(_url(school, run)).content.decode()
    assert f"Le fichier comptait {total} éléments non rapprochés ; seuls les 1 premiers" in html


# The page ---------------------------------------------------------------------------------------


def test_the_run_page_links_to_the_matching_page_which_lists_the_entries_by_kind(
    school: School, unmatched_run: ImportRun, client: Client
) -> None:
    detail = client.get(f"/cites/{school.group.pk}/imports/{unmatched_run.pk}/").content.decode()
    response = client.get(_url(school, unmatched_run))

    assert f'href="{_url(school, unmatched_run)}"' in detail
    assert "Rapprocher à la main" in detail
    assert response.status_code == 200
    html = response.content.decode()
    assert '<section class="card" data-kind="TEACHER">' in html
    assert '<section class="card" data-kind="STUDENT">' in html
    assert "<strong>DUPONT Claire</strong>" in html
    assert "<strong>ARNAUD Léa, né(e) le 01/03/2014</strong>" in html
    # The search is prefilled with the file's name, without the birth date.
    assert 'value="ARNAUD Léa"' in html
    assert f'href="/cites/{school.group.pk}/imports/manuel/"' in html


def test_searching_lists_active_people_of_the_right_kind_with_birth_date_and_establishment(
    school: School, unmatched_run: ImportRun, client: Client
) -> None:
    index = _entry_index(unmatched_run, "TEACHER", "a:PN-1")
    dupont = school.teachers[0]
    Person.objects.filter(pk=dupont.pk).update(birth_date=dt.date(1980, 5, 4))
    student_homonym = Person.objects.create(
        kind=Person.Kind.STUDENT, last_name="DUPONT", first_name="Claire"
    )
    student_homonym.establishments.add(school.establishment)
    retired = Person.objects.create(
        kind=Person.Kind.TEACHER, last_name="DUPONT", first_name="Claire", is_active=False
    )
    retired.establishments.add(school.establishment)

    response = client.get(_url(school, unmatched_run), {"entree": index, "q": "dupont"})

    html = response.content.decode()
    assert re.findall(r'data-person="(\d+)"', html) == [str(dupont.pk)]
    assert "<strong>DUPONT-LAMBERT Claire</strong>, né(e) le 04/05/1980 — Collège Jean Moulin" in (
        html
    )


def test_saving_a_match_for_each_makes_the_next_import_match_them(
    school: School, unmatched_run: ImportRun, client: Client, manager: User
) -> None:
    dupont, arnaud = school.teachers[0], school.students[0]
    url = _url(school, unmatched_run)

    teacher = client.post(
        url, {"entry": _entry_index(unmatched_run, "TEACHER", "a:PN-1"), "target": dupont.pk}
    )
    student = client.post(
        url,
        {"entry": _entry_index(unmatched_run, "STUDENT", "a:000000001AB"), "target": arnaud.pk},
    )

    assert teacher.status_code == student.status_code == 302
    matches = {
        (m.kind, m.source_key): (m.person_id, m.source_label, m.created_by_id)
        for m in ManualMatch.objects.filter(school_group=school.group)
    }
    assert matches == {
        ("TEACHER", "a:PN-1"): (dupont.pk, "DUPONT Claire", manager.pk),
        ("STUDENT", "a:000000001AB"): (
            arnaud.pk,
            "ARNAUD Léa, né(e) le 01/03/2014",
            manager.pk,
        ),
    }
    page = client.get(url).content.decode()
    assert "« DUPONT Claire » est rapproché de « DUPONT-LAMBERT Claire »" in page
    assert "sera utilisé dès le prochain import" in page

    later = run_import(school, edt_file(comment="après rapprochement"), now=EVENING)

    assert later.status == Status.INTEGRATED
    assert later.bilan["unmatched"]["teachers"] == []
    assert later.bilan["unmatched"]["students"] == []
    assert not [e for e in later.bilan["unmatched_entries"] if e["kind"] in ("TEACHER", "STUDENT")]
    services = TeachingService.objects.filter(teachers=dupont, is_active=True)
    assert services.filter(sessions__starts_at__gte=EVENING).exists()
    assert GroupMembership.objects.filter(person=arnaud).exists()


def test_saving_again_replaces_the_match_instead_of_adding_one(
    school: School, unmatched_run: ImportRun, client: Client
) -> None:
    index = _entry_index(unmatched_run, "TEACHER", "a:PN-1")
    client.post(_url(school, unmatched_run), {"entry": index, "target": school.teachers[1].pk})

    client.post(_url(school, unmatched_run), {"entry": index, "target": school.teachers[0].pk})

    match = ManualMatch.objects.get(school_group=school.group)
    assert (match.kind, match.source_key, match.person_id) == (
        "TEACHER",
        "a:PN-1",
        school.teachers[0].pk,
    )


def test_an_ambiguous_teacher_lists_its_candidates_and_a_choice_resolves_it(
    school: School, client: Client
) -> None:
    martin = school.teachers[1]
    Person.objects.filter(pk=martin.pk).update(pronote_idpn="", birth_date=dt.date(1975, 1, 2))
    homonym = Person.objects.create(
        kind=Person.Kind.TEACHER,
        last_name="MARTIN",
        first_name="Claire",
        birth_date=dt.date(1990, 6, 7),
    )
    homonym.establishments.add(school.establishment)
    run = initialise(school)
    entry = next(e for e in run.bilan["unmatched_entries"] if e["source_key"] == "a:PN-2")
    assert entry["candidates"] == sorted([martin.pk, homonym.pk])
    assert run.bilan["unmatched"]["ambiguous"] == ["MARTIN Claire : 2 possibilités dans l'annuaire"]

    html = client.get(_url(school, run)).content.decode()
    response = client.post(
        _url(school, run),
        {"entry": _entry_index(run, "TEACHER", "a:PN-2"), "target": homonym.pk},
    )

    assert "2 entrées possibles : rapprochement ambigu" in html
    assert set(re.findall(r'data-person="(\d+)"', html)) == {str(martin.pk), str(homonym.pk)}
    assert "<strong>MARTIN Claire</strong>, né(e) le 02/01/1975" in html
    assert "<strong>MARTIN Claire</strong>, né(e) le 07/06/1990" in html
    assert response.status_code == 302
    later = run_import(school, edt_file(comment="après choix"), now=EVENING)
    assert later.bilan["unmatched"]["ambiguous"] == []
    assert later.bilan["unmatched"]["teachers"] == []
    assert TeachingService.objects.filter(teachers=homonym, is_active=True).exists()
    assert not TeachingService.objects.filter(teachers=martin, is_active=True).exists()


def test_a_class_is_matched_by_choosing_one_of_the_establishments_classes(
    school: School, client: Client
) -> None:
    school.classes[0].delete()
    other = SchoolGroupFactory()
    foreign_class = EstablishmentFactory(school_group=other).classes.create(code="6A")
    renamed = school.establishment.classes.create(code="6EME-A", name="Sixième A")
    run = initialise(school)
    index = _entry_index(run, "CLASS", "u:6a")

    html = client.get(_url(school, run)).content.decode()
    refused = client.post(_url(school, run), {"entry": index, "target": foreign_class.pk})
    saved = client.post(_url(school, run), {"entry": index, "target": renamed.pk})

    assert f'<option value="{renamed.pk}">6EME-A – Sixième A (Collège Jean Moulin)</option>' in html
    # Primary keys of classes and groups may coincide (SQLite): look for the option itself.
    assert f'<option value="{foreign_class.pk}">6A ' not in html
    assert foreign_class.establishment.name not in html
    assert refused.status_code == 200
    assert saved.status_code == 302
    match = ManualMatch.objects.get(school_group=school.group)
    assert (match.kind, match.source_key, match.school_class_id) == ("CLASS", "u:6a", renamed.pk)
    later = run_import(school, edt_file(comment="après classe"), now=EVENING)
    assert later.bilan["unmatched"]["classes"] == []


def test_the_people_search_offers_no_one_from_another_school_group(
    school: School, unmatched_run: ImportRun, client: Client
) -> None:
    index = _entry_index(unmatched_run, "TEACHER", "a:PN-1")
    elsewhere = EstablishmentFactory(school_group=SchoolGroupFactory(), name="Collège Ailleurs")
    homonym = Person.objects.create(
        kind=Person.Kind.TEACHER, last_name="DUPONT", first_name="Claire"
    )
    homonym.establishments.add(elsewhere)
    dupont = school.teachers[0]
    # Someone working in both groups shows only this group's establishment.
    dupont.establishments.add(elsewhere)

    html = client.get(
        _url(school, unmatched_run), {"entree": index, "q": "dupont"}
    ).content.decode()

    assert re.findall(r'data-person="(\d+)"', html) == [str(dupont.pk)]
    assert "Collège Ailleurs" not in html


def test_ambiguous_candidates_never_show_a_person_of_another_school_group(
    school: School, unmatched_run: ImportRun, client: Client
) -> None:
    stranger = Person.objects.create(
        kind=Person.Kind.TEACHER, last_name="DUPONT", first_name="Claire"
    )
    stranger.establishments.add(EstablishmentFactory(school_group=SchoolGroupFactory()))
    bilan = unmatched_run.bilan
    index = _entry_index(unmatched_run, "TEACHER", "a:PN-1")
    bilan["unmatched_entries"][index]["candidates"] = [school.teachers[0].pk, stranger.pk]
    ImportRun.objects.filter(pk=unmatched_run.pk).update(bilan=bilan)

    html = client.get(_url(school, unmatched_run)).content.decode()

    assert str(school.teachers[0].pk) in re.findall(r'data-person="(\d+)"', html)
    assert str(stranger.pk) not in re.findall(r'data-person="(\d+)"', html)


# Authorisation and validation -------------------------------------------------------------------


def test_a_forged_person_of_another_school_group_is_refused_and_nothing_is_saved(
    school: School, unmatched_run: ImportRun, client: Client
) -> None:
    elsewhere = EstablishmentFactory(school_group=SchoolGroupFactory())
    stranger = Person.objects.create(
        kind=Person.Kind.TEACHER, last_name="DUPONT", first_name="Claire"
    )
    stranger.establishments.add(elsewhere)
    index = _entry_index(unmatched_run, "TEACHER", "a:PN-1")

    forged = client.post(_url(school, unmatched_run), {"entry": index, "target": stranger.pk})
    wrong_kind = client.post(
        _url(school, unmatched_run), {"entry": index, "target": school.students[1].pk}
    )
    no_entry = client.post(_url(school, unmatched_run), {"entry": 999, "target": stranger.pk})

    assert forged.status_code == wrong_kind.status_code == no_entry.status_code == 200
    assert "n&#x27;appartient pas aux établissements de la cité scolaire" in (
        forged.content.decode()
    )
    assert "Le rapprochement n&#x27;a pas été enregistré" in wrong_kind.content.decode()
    assert "ne figure pas dans le bilan de l&#x27;import" in no_entry.content.decode()
    assert not ManualMatch.objects.exists()


def test_a_manager_of_another_school_group_gets_404_everywhere(
    school: School, unmatched_run: ImportRun
) -> None:
    other = SchoolGroupFactory()
    outsider = RoleFactory(user__username="oscar", school_group=other).user
    match = ManualMatch.objects.create(
        school_group=school.group,
        kind=ManualMatch.Kind.TEACHER,
        source_key="a:PN-1",
        source_label="DUPONT Claire",
        person=school.teachers[0],
    )
    client = Client()
    assert client.login(username=outsider.username, password=PASSWORD)
    index = _entry_index(unmatched_run, "TEACHER", "a:PN-1")

    responses = [
        client.get(_url(school, unmatched_run)),
        client.post(_url(school, unmatched_run), {"entry": index, "target": school.teachers[0].pk}),
        client.get(f"/cites/{school.group.pk}/imports/rapprochements/"),
        client.post(f"/cites/{school.group.pk}/imports/rapprochements/{match.pk}/supprimer/"),
        client.get(f"/cites/{other.pk}/imports/{unmatched_run.pk}/rapprochements/"),
        client.post(f"/cites/{other.pk}/imports/rapprochements/{match.pk}/supprimer/"),
    ]

    assert [r.status_code for r in responses] == [404] * 6
    assert ManualMatch.objects.get().pk == match.pk
    assert ManualMatch.objects.get().person_id == school.teachers[0].pk


# The list of saved matches and their deletion -------------------------------------------------


def test_the_list_shows_who_saved_each_match_and_deleting_one_unmatches_it_again(
    school: School, unmatched_run: ImportRun, client: Client, manager: User
) -> None:
    client.post(
        _url(school, unmatched_run),
        {
            "entry": _entry_index(unmatched_run, "TEACHER", "a:PN-1"),
            "target": school.teachers[0].pk,
        },
    )
    match = ManualMatch.objects.get()
    list_url = f"/cites/{school.group.pk}/imports/rapprochements/"
    html = client.get(list_url).content.decode()
    assert f'<tr data-match="{match.pk}">' in html
    assert "<td>Enseignant</td>" in html
    assert "<td>DUPONT Claire</td>" in html
    assert "<strong>DUPONT-LAMBERT Claire</strong>" in html
    assert f"par {manager.get_full_name()} le " in html

    response = client.post(f"{list_url}{match.pk}/supprimer/")
    later = run_import(school, edt_file(comment="après suppression"), now=EVENING)

    assert response.status_code == 302
    assert response["Location"] == list_url
    assert not ManualMatch.objects.exists()
    assert later.bilan["unmatched"]["teachers"] == ["DUPONT Claire"]
    assert "Aucun rapprochement manuel n'est enregistré" in client.get(list_url).content.decode()


def test_deleting_from_the_run_page_goes_back_to_it(
    school: School, unmatched_run: ImportRun, client: Client
) -> None:
    url = _url(school, unmatched_run)
    client.post(
        url,
        {
            "entry": _entry_index(unmatched_run, "TEACHER", "a:PN-1"),
            "target": school.teachers[0].pk,
        },
    )
    match = ManualMatch.objects.get()

    response = client.post(
        f"/cites/{school.group.pk}/imports/rapprochements/{match.pk}/supprimer/",
        {"run": unmatched_run.pk},
    )

    assert response.status_code == 302
    assert response["Location"] == url
    assert not ManualMatch.objects.exists()


def test_the_pages_are_read_only_while_an_import_runs(
    school: School, unmatched_run: ImportRun, client: Client
) -> None:
    match = ManualMatch.objects.create(
        school_group=school.group,
        kind=ManualMatch.Kind.STUDENT,
        source_key="a:000000001AB",
        source_label="ARNAUD Léa",
        person=school.students[0],
    )
    running = deposit(school, edt_file(comment="en cours"), now=EVENING)
    ImportRun.objects.filter(pk=running.pk).update(status=Status.RUNNING)
    url = _url(school, unmatched_run)
    list_url = f"/cites/{school.group.pk}/imports/rapprochements/"

    page = client.get(url).content.decode()
    listing = client.get(list_url).content.decode()
    saved = client.post(
        url,
        {
            "entry": _entry_index(unmatched_run, "TEACHER", "a:PN-1"),
            "target": school.teachers[0].pk,
        },
        follow=True,
    )
    deleted = client.post(f"{list_url}{match.pk}/supprimer/", follow=True)

    banner = f"Un import est en cours (import n° {running.pk})"
    assert banner in page
    assert banner in listing
    assert 'name="target"' not in page
    assert "supprimer/" not in page
    assert "supprimer/" not in listing
    assert "les rapprochements ne peuvent pas être modifiés" in saved.content.decode()
    assert "les rapprochements ne peuvent pas être modifiés" in deleted.content.decode()
    assert list(ManualMatch.objects.values_list("pk", flat=True)) == [match.pk]
