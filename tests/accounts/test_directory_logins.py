"""The AAF directory load opens the ENT logins of the staff it lists (issue 12, point 1).

``ent`` loads the directory; ``accounts`` opens the logins through the hook it registers at
start-up, with the same rules as the depositor picker (``prénom.nom``, a number for a
homonym, names and e-mail from the directory, no usable password).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.core.management import call_command

from accounts.models import User
from accounts.provisioning import directory_logins_free, person_user_provision
from devtools.aaf_writer import write_aaf_folder
from ent.aaf.records import AafCategory, AafPerson, AafStructure
from ent.identifiers import make_uai
from ent.models import Person
from ent.services.directory import aaf_import
from tests.factories import UserFactory

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
