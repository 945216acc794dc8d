"""Manual matches serve every source format of the school group; odd birth dates ask first."""

from __future__ import annotations

import datetime as dt
import html
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from devtools.undeuxtemps_writer import write_undeuxtemps_zip
from ent.models import Person
from imports.matching import (
    Directory,
    DirectoryPerson,
    SavedByName,
    match_teachers,
    person_source_key,
)
from imports.models import ImportRun, ManualMatch
from imports.parsers import ParseContext
from imports.parsers.index_education import parse_index_education
from imports.services.manual_matches import (
    ManualMatchNeedsConfirmation,
    manual_match_save,
)
from imports.timetable import Teacher
from tests.factories import RoleFactory
from tests.imports.pipeline_support import NOW, School, edt_file, run_import, school

__all__ = ["school"]


def _udt_of(edt: bytes, tmp_path: Path) -> bytes:
    """Return the UnDeuxTEMPS export of the same timetable as the EDT export ``edt``."""
    source = tmp_path / "EDT_export.xml"
    source.write_bytes(edt)
    timetable = parse_index_education(source, context=ParseContext())
    target = tmp_path / "0750001A_UDT.zip"
    write_undeuxtemps_zip(timetable, target, exported_at=NOW - dt.timedelta(hours=1))
    return target.read_bytes()


def _unmatched_teachers(run: ImportRun) -> list[str]:
    return run.bilan.get("unmatched", {}).get("teachers", [])


def test_a_manual_match_made_on_an_edt_import_serves_the_udt_import(
    school: School, tmp_path: Path
) -> None:
    # The directory knows Ms Dupont under her married name and without her PRONOTE id.
    dupont = school.teachers[0]
    Person.objects.filter(pk=dupont.pk).update(last_name="DUPONT-ROUX", pronote_idpn="")
    manager = RoleFactory(school_group=school.group).user
    edt = edt_file()
    edt_run = run_import(school, edt, mode=ImportRun.Mode.MANUAL, preview_only=True)
    assert "DUPONT Claire" in _unmatched_teachers(edt_run)
    entry = next(e for e in edt_run.bilan["unmatched_entries"] if e["label"].startswith("DUPONT"))
    assert entry["source_key"].startswith("a:")  # EDT's key is its PRONOTE id
    manual_match_save(
        school_group=school.group,
        kind=entry["kind"],
        source_key=entry["source_key"],
        source_label=entry["label"],
        target_id=dupont.pk,
        user=manager,
        now=NOW,
    )

    udt_run = run_import(
        school,
        _udt_of(edt, tmp_path),
        mode=ImportRun.Mode.MANUAL,
        preview_only=True,
        filename="0750001A_UDT.zip",
    )

    assert udt_run.source_format == ImportRun.SourceFormat.UNDEUXTEMPS
    assert udt_run.status == ImportRun.Status.PREVIEWED, [s.message for s in udt_run.steps.all()]
    assert "DUPONT Claire" not in _unmatched_teachers(udt_run)
    assert not any(
        e["label"].startswith("DUPONT") for e in udt_run.bilan.get("unmatched_entries", [])
    )


def _teacher(ident: str, birth: dt.date | None = None, idpn: str = "") -> Teacher:
    return Teacher(
        ident=ident, last_name="Dupont", first_name="Claire", birth_date=birth, idpn=idpn
    )


def test_a_match_saved_by_name_is_not_used_for_a_homonym_with_another_id_or_birth() -> None:
    directory_person = DirectoryPerson(7, "DUPONT-ROUX", "Claire", None)
    saved_key = person_source_key(_teacher("1", dt.date(1980, 5, 1)), "PN-1", "")
    directory = Directory(
        teachers=[directory_person],
        manual={"TEACHER": {saved_key: 7}},
        manual_by_name={
            "TEACHER": {"dupont claire": [SavedByName(saved_key, dt.date(1980, 5, 1), 7)]}
        },
    )

    result = match_teachers(
        [
            _teacher("udt"),
            _teacher("udt-born", dt.date(1980, 5, 1)),
            _teacher("other-id", idpn="PN-9"),
            _teacher("other-born", dt.date(1990, 1, 1)),
        ],
        directory,
        {"other-id": ("PN-9", "")},
    )

    assert result.matched == {"udt": 7, "udt-born": 7}
    assert sorted(e.label for e in result.entries) == [
        "DUPONT Claire",
        "DUPONT Claire, né(e) le 01/01/1990",
    ]


@pytest.fixture
def student_run(school: School) -> ImportRun:
    Person.objects.filter(pk=school.students[0].pk).update(
        last_name="ARNAUD-BIS", ine="", birth_date=dt.date(2014, 3, 2)
    )
    return run_import(school, edt_file(), mode=ImportRun.Mode.MANUAL, preview_only=True)


def test_a_match_across_differing_birth_dates_asks_for_confirmation(
    school: School, student_run: ImportRun
) -> None:
    entries = student_run.bilan["unmatched_entries"]
    index = next(i for i, e in enumerate(entries) if e["label"].startswith("ARNAUD"))
    client = Client()
    client.force_login(RoleFactory(school_group=school.group).user)
    url = reverse("imports:run_matches", args=[school.group.pk, student_run.pk])
    student = school.students[0]

    search = html.unescape(client.get(url, {"entree": index, "q": "arnaud"}).content.decode())
    question = html.unescape(
        client.post(url, {"entry": index, "target": student.pk}).content.decode()
    )
    nothing_yet = ManualMatch.objects.exists()
    confirmed = client.post(
        url, {"entry": index, "target": student.pk, "confirm_birth_date": "True"}
    )

    assert "date de naissance différente du fichier" in search
    assert "Les dates de naissance diffèrent : 01/03/2014 dans le fichier, 02/03/2014" in question
    assert "Confirmer : c'est la même personne" in question
    assert not nothing_yet
    assert confirmed.status_code == 302
    match = ManualMatch.objects.get()
    assert (match.person_id, match.name_key) == (student.pk, "arnaud lea")


def test_the_service_refuses_a_differing_birth_date_unless_confirmed(school: School) -> None:
    student = school.students[1]
    Person.objects.filter(pk=student.pk).update(birth_date=dt.date(2014, 3, 2))
    arguments = {
        "school_group": school.group,
        "kind": ManualMatch.Kind.STUDENT,
        "source_key": "n:blanc lea|2014-03-01",
        "source_label": "BLANC Léa, né(e) le 01/03/2014",
        "target_id": student.pk,
        "user": RoleFactory(school_group=school.group).user,
        "now": NOW,
        "source_birth_date": dt.date(2014, 3, 1),
    }

    with pytest.raises(ManualMatchNeedsConfirmation):
        manual_match_save(**arguments)  # type: ignore[arg-type]
    saved = manual_match_save(**arguments, birth_date_confirmed=True)  # type: ignore[arg-type]

    assert saved.person_id == student.pk
