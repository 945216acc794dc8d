"""The AAF directory load opens the ENT logins of the staff it lists (issue 12, point 1),
closes those of the people who left and reopens them if they come back.

``ent`` loads the directory; ``accounts`` opens the logins through the hook it registers at
start-up, with the same rules as the depositor picker (``prénom.nom``, a number for a
homonym, names and e-mail from the directory, no usable password).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import authenticate
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import timezone

from accounts.models import Role, User
from accounts.provisioning import directory_logins_free, person_user_provision
from devtools.aaf_writer import write_aaf_folder
from ent.aaf.records import AafCategory, AafDelete, AafPerson, AafStructure
from ent.identifiers import make_uai
from ent.models import Establishment, Person
from ent.services.directory import AafImportSummary, aaf_import
from tests.factories import EstablishmentFactory, RoleFactory, UserFactory

pytestmark = pytest.mark.django_db
COLLEGE = AafStructure(jointure="52006", uai=make_uai("0761234"), name="COLLEGE JULES VERNE")


def _staff(jointure: str, last: str, first: str, *, teacher: bool = True) -> AafPerson:
    return AafPerson(
        category=AafCategory.STAFF,
        jointure=jointure,
        last_name=last,
        first_name=first,
        email=f"{first.lower()}@ac-test.fr",
        structures=("52006",),
        is_teacher=teacher,
        functions=("52006$ENS$ENSEIGNEMENT$L0422$ANGLAIS",) if teacher else (),
    )


def _student(jointure: str, last: str, first: str) -> AafPerson:
    return AafPerson(
        category=AafCategory.STUDENT,
        jointure=jointure,
        last_name=last,
        first_name=first,
        birth_date=dt.date(2013, 3, 2),
        structures=("52006",),
    )


def _load(folder: Path, records: list[object]) -> dict[str, int]:
    write_aaf_folder(folder, records, export_date=dt.date(2026, 9, 14))  # type: ignore[arg-type]
    return dict(aaf_import(folder=folder).counts)


def _login(jointure: str) -> User | None:
    return Person.objects.select_related("user").get(aaf_jointure=jointure).user


def test_a_directory_load_opens_a_login_for_each_teacher_and_staff_member(tmp_path: Path) -> None:
    counts = _load(
        tmp_path,
        [
            COLLEGE,
            _staff("300001", "Lefèvre", "Anne-Sophie"),
            _staff("300002", "D'Almeida", "Luc", teacher=False),
            _student("100001", "Dupont", "Éloïse"),
        ],
    )

    anne = _login("300001")
    assert anne is not None
    assert anne.username == "anne-sophie.lefevre"
    assert (anne.first_name, anne.last_name, anne.email) == (
        "Anne-Sophie",
        "Lefèvre",
        "anne-sophie@ac-test.fr",
    )
    assert not anne.has_usable_password()
    luc = _login("300002")
    assert luc is not None and luc.username == "luc.d-almeida"
    assert _login("100001") is None  # students are not staff
    assert counts["logins.created"] == 2


def test_homonyms_get_numbered_logins_as_the_depositor_picker_gives(tmp_path: Path) -> None:
    UserFactory(username="jean.martin")

    _load(
        tmp_path,
        [COLLEGE, _staff("300001", "Martin", "Jean"), _staff("300002", "MARTIN", "Jean")],
    )

    assert {_login("300001").username, _login("300002").username} == {  # type: ignore[union-attr]
        "jean.martin2",
        "jean.martin3",
    }


def test_a_second_load_opens_nothing_and_a_login_already_open_is_kept(tmp_path: Path) -> None:
    records: list[object] = [COLLEGE, _staff("300001", "Lefèvre", "Anne")]
    _load(tmp_path / "first", records)
    opened = _login("300001")

    counts = _load(tmp_path / "second", records)

    assert _login("300001") == opened
    assert counts.get("logins.created", 0) == 0
    assert User.objects.filter(username__startswith="anne.lefevre").count() == 1


def test_the_depositor_picker_finds_the_login_the_directory_load_opened(tmp_path: Path) -> None:
    _load(tmp_path, [COLLEGE, _staff("300001", "Lefèvre", "Anne")])
    person = Person.objects.get(aaf_jointure="300001")

    assert person_user_provision(person=person) == person.user


def test_the_load_summary_says_how_many_logins_were_opened(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_aaf_folder(
        tmp_path,
        [COLLEGE, _staff("300001", "Lefèvre", "Anne"), _staff("300002", "Roux", "Paul")],  # type: ignore[list-item]
        export_date=dt.date(2026, 9, 14),
    )

    call_command("import_aaf", str(tmp_path))

    assert "Identifiants ENT du personnel : 2 créé(e)s" in capsys.readouterr().out


def test_free_logins_count_those_handed_out_earlier_in_the_same_batch() -> None:
    UserFactory(username="paul.roux")
    UserFactory(username="paul.roux3")

    logins = directory_logins_free(["paul.roux", "anne.lefevre", "paul.roux", "anne.lefevre"])

    assert logins == ["paul.roux2", "anne.lefevre", "paul.roux4", "anne.lefevre2"]


# --- Closing the logins of the people who left (and reopening them) -----------------------

CLOSED_AT = dt.datetime(2027, 7, 8, 2, 0, tzinfo=ZoneInfo("Europe/Paris"))
REOPENED_AT = dt.datetime(2027, 9, 1, 2, 0, tzinfo=ZoneInfo("Europe/Paris"))
ANNE = _staff("300001", "Lefèvre", "Anne")
PAUL = _staff("300002", "Roux", "Paul")


def _summary(folder: Path, records: list[object], now: dt.datetime) -> AafImportSummary:
    write_aaf_folder(folder, records, export_date=now.date())  # type: ignore[arg-type]
    return aaf_import(folder=folder, now=now)


def _user(jointure: str) -> User:
    user = _login(jointure)
    assert user is not None
    return user


def test_the_login_of_someone_the_directory_no_longer_lists_is_closed_and_its_sessions_end(
    tmp_path: Path, django_capture_on_commit_callbacks: Any
) -> None:
    _summary(tmp_path / "june", [COLLEGE, ANNE, PAUL], CLOSED_AT - dt.timedelta(days=30))
    paul = _user("300002")
    paul.set_password("Bonjour-2026!")
    paul.save()
    browser = Client()
    browser.force_login(paul)
    assert browser.get("/comptes/messages/").status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        summary = _summary(tmp_path / "july", [COLLEGE, ANNE], CLOSED_AT)

    paul.refresh_from_db()
    assert not paul.is_active
    assert paul.directory_closed_at == CLOSED_AT
    assert _user("300001").is_active
    assert summary.counts["logins.closed"] == 1
    assert not Session.objects.filter(expire_date__gt=timezone.now()).exists()
    assert browser.get("/comptes/messages/").status_code == 302  # back to the login page
    assert authenticate(username=paul.username, password="Bonjour-2026!") is None
    assert not Client().login(username=paul.username, password="Bonjour-2026!")


def test_a_delete_request_of_the_directory_closes_the_login_too(tmp_path: Path) -> None:
    _summary(tmp_path / "june", [COLLEGE, ANNE, PAUL], CLOSED_AT - dt.timedelta(days=30))

    summary = _summary(
        tmp_path / "july", [COLLEGE, ANNE, AafDelete(AafCategory.STAFF, "300002")], CLOSED_AT
    )

    assert not _user("300002").is_active
    assert summary.counts["logins.closed"] == 1


def test_a_later_load_listing_the_person_again_reopens_the_same_login(tmp_path: Path) -> None:
    _summary(tmp_path / "june", [COLLEGE, ANNE, PAUL], CLOSED_AT - dt.timedelta(days=30))
    paul = _user("300002")
    paul.set_password("Bonjour-2026!")
    paul.save()
    _summary(tmp_path / "july", [COLLEGE, ANNE], CLOSED_AT)

    summary = _summary(tmp_path / "september", [COLLEGE, ANNE, PAUL], REOPENED_AT)

    reopened = _user("300002")
    assert reopened.pk == paul.pk
    assert reopened.is_active and reopened.directory_closed_at is None
    assert reopened.check_password("Bonjour-2026!")
    assert summary.counts["logins.reopened"] == 1
    assert summary.counts["logins.created"] == 0


def test_a_login_closed_by_hand_stays_closed_when_the_person_comes_back(tmp_path: Path) -> None:
    _summary(tmp_path / "june", [COLLEGE, ANNE, PAUL], CLOSED_AT - dt.timedelta(days=30))
    paul = _user("300002")
    paul.is_active = False
    paul.save()
    _summary(tmp_path / "july", [COLLEGE, ANNE], CLOSED_AT)

    summary = _summary(tmp_path / "september", [COLLEGE, ANNE, PAUL], REOPENED_AT)

    paul.refresh_from_db()
    assert not paul.is_active and paul.directory_closed_at is None
    assert summary.counts["logins.reopened"] == 0


def test_a_platform_account_stays_open_and_the_summary_says_so(tmp_path: Path) -> None:
    _summary(tmp_path / "june", [COLLEGE, ANNE, PAUL], CLOSED_AT - dt.timedelta(days=30))
    User.objects.filter(pk=_user("300002").pk).update(is_staff=True)

    summary = _summary(tmp_path / "july", [COLLEGE, ANNE], CLOSED_AT)

    assert _user("300002").is_active
    assert summary.counts["logins.kept"] == 1 and summary.counts["logins.closed"] == 0
    assert any(
        "« paul.roux » laissé ouvert" in w and "compte d'administration" in w
        for w in summary.warnings
    )


def test_someone_who_left_only_this_establishment_keeps_their_login_and_their_other_one(
    tmp_path: Path,
) -> None:
    _summary(tmp_path / "june", [COLLEGE, ANNE, PAUL], CLOSED_AT - dt.timedelta(days=30))
    college = Establishment.objects.get(aaf_jointure="52006")
    lycee = EstablishmentFactory(school_group=college.school_group, name="Lycée Corneille")
    paul = Person.objects.get(aaf_jointure="300002")
    paul.establishments.add(lycee)  # loaded from another feed, not covered by this one
    RoleFactory(user=paul.user, school_group=college.school_group, name=Role.Name.HEAD)

    summary = _summary(tmp_path / "july", [COLLEGE, ANNE], CLOSED_AT)

    paul.refresh_from_db()
    assert paul.is_active
    assert list(paul.establishments.all()) == [lycee]
    assert _user("300002").is_active
    assert summary.counts["people.detached"] == 1
    assert summary.counts["people.deactivated"] == 0
    assert summary.counts["logins.closed"] == 0


def test_closing_a_login_reports_the_roles_it_held(tmp_path: Path) -> None:
    _summary(tmp_path / "june", [COLLEGE, ANNE, PAUL], CLOSED_AT - dt.timedelta(days=30))
    college = Establishment.objects.get(aaf_jointure="52006")
    RoleFactory(user=_user("300002"), school_group=college.school_group, name=Role.Name.HEAD)

    summary = _summary(tmp_path / "july", [COLLEGE, ANNE], CLOSED_AT)

    assert not _user("300002").is_active
    assert Role.objects.filter(user=_user("300002")).exists()  # restored if reopened
    assert any(
        "« paul.roux » fermé" in w and "« Chef d'établissement »" in w for w in summary.warnings
    )


def test_the_load_summary_says_how_many_logins_were_closed_then_reopened(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    june = dt.date(2027, 6, 8)
    write_aaf_folder(tmp_path / "june", [COLLEGE, ANNE, PAUL], export_date=june)  # type: ignore[list-item]
    write_aaf_folder(tmp_path / "july", [COLLEGE, ANNE], export_date=june)  # type: ignore[list-item]
    write_aaf_folder(tmp_path / "sept", [COLLEGE, ANNE, PAUL], export_date=june)  # type: ignore[list-item]

    call_command("import_aaf", str(tmp_path / "june"))
    call_command("import_aaf", str(tmp_path / "july"))
    closed = capsys.readouterr().out
    call_command("import_aaf", str(tmp_path / "sept"))
    reopened = capsys.readouterr().out

    assert "Identifiants ENT du personnel : 1 fermé(e)s" in closed
    assert "Identifiants ENT du personnel : 1 rouvert(e)s" in reopened


def test_the_database_refuses_a_directory_closure_on_an_active_login() -> None:
    user = UserFactory(username="paul.roux", is_active=False, directory_closed_at=CLOSED_AT)

    user.is_active = True
    user.save(update_fields=["is_active"])  # reopened by hand in the admin
    user.refresh_from_db()

    assert user.is_active and user.directory_closed_at is None
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.filter(pk=user.pk).update(directory_closed_at=CLOSED_AT)
