from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from devtools.aaf_writer import write_aaf_folder
from ent.aaf.reader import AafFormatError
from ent.aaf.records import AafCategory, AafDelete, AafPerson, AafStructure, AafSubject
from ent.identifiers import make_uai
from ent.models import ClassMembership, Establishment, GroupMembership, Person, SchoolGroup
from ent.services.directory import AafImportError, aaf_import

pytestmark = pytest.mark.django_db
EXPORT_DATE = dt.date(2026, 9, 14)
COLLEGE = AafStructure(jointure="52006", uai=make_uai("0761234"), name="COLLEGE JULES VERNE")
LYCEE = AafStructure(jointure="52007", uai=make_uai("0761235"), name="LYCEE JULES VERNE")


def _student(jointure: str, last: str, first: str, **extra: object) -> AafPerson:
    values: dict[str, object] = {
        "birth_date": dt.date(2013, 3, 2),
        "structures": ("52006",),
        "ine": f"{int(jointure):09d}AB",
        "classes": (("52006", "6A"),),
        "groups": (("52006", "6A-ANG1"),),
    }
    values.update(extra)
    return AafPerson(
        category=AafCategory.STUDENT,
        jointure=jointure,
        last_name=last,
        first_name=first,
        **values,  # type: ignore[arg-type]
    )


def _teacher(jointure: str, last: str, first: str) -> AafPerson:
    return AafPerson(
        category=AafCategory.STAFF,
        jointure=jointure,
        last_name=last,
        first_name=first,
        structures=("52006", "52007"),
        is_teacher=True,
        groups=(("52006", "6A-ANG1"),),
        functions=("52006$ENS$ENSEIGNEMENT$L0422$ANGLAIS",),
    )


def _directory() -> list[object]:
    return [
        COLLEGE,
        LYCEE,
        AafSubject(jointure="030201", label="ANGLAIS LV1"),
        _student("100001", "Dupont", "Éloïse"),
        _student("100002", "Martin", "Jean-Marc"),
        _student("100003", "Nguyen", "Linh", classes=(("52006", "6B"),), groups=()),
        AafPerson(
            category=AafCategory.RELATIVE,
            jointure="200001",
            last_name="Dupont",
            first_name="Claire",
            structures=("52006",),
            students=("100001",),
        ),
        _teacher("300001", "Lefèvre", "Anne"),
    ]


def _write(folder: Path, records: list[object]) -> Path:
    write_aaf_folder(folder, records, export_date=EXPORT_DATE)  # type: ignore[arg-type]
    return folder


def test_imports_establishments_people_classes_groups_and_memberships(tmp_path: Path) -> None:
    folder = _write(tmp_path, _directory())

    summary = aaf_import(folder=folder)

    assert set(Establishment.objects.values_list("uai", flat=True)) == {COLLEGE.uai, LYCEE.uai}
    assert Establishment.objects.get(uai=COLLEGE.uai).kind == Establishment.Kind.COLLEGE
    assert Person.objects.filter(kind=Person.Kind.STUDENT).count() == 3
    assert Person.objects.get(aaf_jointure="300001").kind == Person.Kind.TEACHER
    eloise = Person.objects.get(aaf_jointure="100001")
    assert eloise.first_name == "Éloïse"
    assert eloise.search_key == "dupont eloise"
    assert eloise.birth_date == dt.date(2013, 3, 2)
    assert ClassMembership.objects.filter(person=eloise, school_class__code="6A").exists()
    assert (
        GroupMembership.objects.filter(
            group__code="6A-ANG1", role=GroupMembership.Role.TEACHER
        ).count()
        == 1
    )
    assert Person.objects.get(aaf_jointure="300001").establishments.count() == 2
    assert summary.counts["people.created"] == 5


def test_running_twice_changes_nothing(tmp_path: Path) -> None:
    folder = _write(tmp_path, _directory())
    aaf_import(folder=folder)
    before = list(Person.objects.order_by("pk").values())

    summary = aaf_import(folder=folder)

    assert list(Person.objects.order_by("pk").values()) == before
    assert summary.counts["people.created"] == 0
    assert summary.counts["people.updated"] == 0
    assert summary.counts["people.unchanged"] == 5
    assert summary.counts["class_memberships.created"] == 0
    assert summary.counts["group_memberships.removed"] == 0


def test_new_establishments_join_the_given_school_group(tmp_path: Path) -> None:
    group = SchoolGroup.objects.create(name="Cité scolaire Jules Verne")

    aaf_import(folder=_write(tmp_path, _directory()), school_group=group)

    assert group.establishments.count() == 2


def test_a_student_missing_from_a_complete_file_is_deactivated(tmp_path: Path) -> None:
    aaf_import(folder=_write(tmp_path / "day1", _directory()))
    records = [r for r in _directory() if getattr(r, "jointure", "") != "100002"]

    summary = aaf_import(folder=_write(tmp_path / "day2", records))

    gone = Person.objects.get(aaf_jointure="100002")
    assert not gone.is_active
    assert not ClassMembership.objects.filter(person=gone).exists()
    assert summary.counts["people.deactivated"] == 1


def test_a_delete_request_deactivates_the_person(tmp_path: Path) -> None:
    aaf_import(folder=_write(tmp_path / "day1", _directory()))

    aaf_import(
        folder=_write(
            tmp_path / "day2",
            [*_directory(), AafDelete(category=AafCategory.STUDENT, jointure="100003")],
        )
    )

    assert not Person.objects.get(aaf_jointure="100003").is_active


def test_a_class_change_moves_the_membership(tmp_path: Path) -> None:
    aaf_import(folder=_write(tmp_path / "day1", _directory()))
    records = [
        _student("100001", "Dupont", "Éloïse", classes=(("52006", "6B"),))
        if getattr(r, "jointure", "") == "100001"
        else r
        for r in _directory()
    ]

    aaf_import(folder=_write(tmp_path / "day2", records))

    codes = ClassMembership.objects.filter(person__aaf_jointure="100001").values_list(
        "school_class__code", flat=True
    )
    assert list(codes) == ["6B"]


def test_a_truncated_file_is_refused_with_its_name_and_nothing_is_written(
    tmp_path: Path,
) -> None:
    paths = write_aaf_folder(tmp_path, _directory(), export_date=EXPORT_DATE)  # type: ignore[arg-type]
    student_file = next(p for p in paths if "_Eleve_" in p.name)
    student_file.write_bytes(student_file.read_bytes()[:-200])

    with pytest.raises(AafFormatError) as excinfo:
        aaf_import(folder=tmp_path)

    assert student_file.name in str(excinfo.value)
    assert "tronqué" in str(excinfo.value)
    assert not Person.objects.exists()
    assert not Establishment.objects.exists()


def test_a_file_declaring_entities_is_refused(tmp_path: Path) -> None:
    (tmp_path / "ENT_Complet_20260914_EtabEducNat_0000.xml").write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE ficAlimMENESR [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>\n<ficAlimMENESR>&b;</ficAlimMENESR>'
    )

    with pytest.raises(AafFormatError, match="ENTITY"):
        aaf_import(folder=tmp_path)


def test_entities_declared_after_a_long_comment_are_refused_too(tmp_path: Path) -> None:
    # The prolog scan reads only the head of a file; the parsed tree is checked as well.
    padding = "<!--" + "x" * 70_000 + "-->\n"
    (tmp_path / "ENT_Complet_20260914_EtabEducNat_0000.xml").write_text(
        f'<?xml version="1.0"?>\n{padding}<!DOCTYPE ficAlimMENESR [<!ENTITY a "aaaa">]>\n'
        "<ficAlimMENESR><addRequest><identifier><id>&a;</id></identifier></addRequest>"
        "</ficAlimMENESR>"
    )

    with pytest.raises(AafFormatError, match="ENTITY"):
        aaf_import(folder=tmp_path)


def test_an_external_entity_is_never_fetched(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("top secret")
    (tmp_path / "ENT_Complet_20260914_EtabEducNat_0000.xml").write_text(
        f'<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY x SYSTEM "file://{secret}">]>'
        "<ficAlimMENESR>&x;</ficAlimMENESR>"
    )

    with pytest.raises(AafFormatError):
        aaf_import(folder=tmp_path)


def test_a_bad_birth_date_points_at_its_line(tmp_path: Path) -> None:
    paths = write_aaf_folder(tmp_path, _directory(), export_date=EXPORT_DATE)  # type: ignore[arg-type]
    student_file = next(p for p in paths if "_Eleve_" in p.name)
    student_file.write_text(student_file.read_text().replace("02/03/2013", "31/02/2013", 1))

    with pytest.raises(AafFormatError, match=r"ligne \d+ : date de naissance « 31/02/2013 »"):
        aaf_import(folder=tmp_path)


def test_an_invalid_uai_is_skipped_with_a_warning(tmp_path: Path) -> None:
    bad = AafStructure(jointure="99999", uai="0750001A", name="COLLEGE FICTIF")

    summary = aaf_import(folder=_write(tmp_path, [COLLEGE, bad]))

    assert not Establishment.objects.filter(uai="0750001A").exists()
    assert any("0750001A" in w for w in summary.warnings)


def test_an_empty_folder_says_what_files_are_expected(tmp_path: Path) -> None:
    with pytest.raises(AafImportError, match="_Complet_"):
        aaf_import(folder=tmp_path)


def test_the_command_prints_a_french_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = _write(tmp_path, _directory())

    call_command("import_aaf", str(folder))

    out = capsys.readouterr().out
    assert "Personnes : 5 créé(e)s" in out
    assert "Import de l'annuaire terminé." in out


def test_the_command_turns_a_bad_folder_into_a_command_error(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="n'existe pas"):
        call_command("import_aaf", str(tmp_path / "missing"))
