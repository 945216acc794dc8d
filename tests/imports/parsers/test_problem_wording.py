"""The warnings of a file speak to a manager: French names of kinds, the element's name, the
course by subject, day and hours, what to do in EDT / PRONOTE; a file's internal ids (``Ident``,
``Numero``) stay in the hidden ``ref`` for support."""

from __future__ import annotations

import dataclasses
import io
import re
from pathlib import Path

from lxml import etree

from imports.parsers import ParseContext
from imports.parsers.index_education import parse_payload
from imports.parsers.registry import SourceFormat
from imports.parsers.undeuxtemps import parse_undeuxtemps_zip
from imports.report import ReportedProblem, problems_grouped
from imports.timetable import Problem, Teacher, Timetable, TimetableInvalid
from imports.validation import timetable_validate
from tests.imports.parsers.edt_fixtures import (
    NS,
    SPEC_MASK,
    UAI,
    E,
    course,
    edt_root,
    section,
    to_bytes,
)
from tests.imports.parsers.udt_fixtures import body, minimal, write_zip

INTERNAL = re.compile(r"Ident|Numero=")


def _parse(root: etree._Element) -> Timetable:
    return parse_payload(io.BytesIO(to_bytes(root)), source_format=SourceFormat.INDEX_EDUCATION)


def _user_text(problem: Problem) -> str:
    return f"{problem.message} {problem.action}"


def _assert_no_internal_id(problems: list[Problem]) -> None:
    for problem in problems:
        assert not INTERNAL.search(_user_text(problem)), _user_text(problem)


def test_a_teacher_listed_twice_is_named_by_both_names_and_the_ident_stays_in_the_ref() -> None:
    root = edt_root()
    section(root, "Professeurs").append(E.Professeur(Ident="2", Nom="DURAND", Prenom="Léa"))

    [warning] = _parse(root).warnings

    assert warning.code == "duplicate_ident"
    assert "Ident=" not in _user_text(warning)
    assert warning.message.startswith("Le professeur « MARTIN Paul » figure deux fois")
    assert "« DURAND Léa », est ignorée" in warning.message
    assert "Dans EDT ou PRONOTE, vérifiez le professeur « MARTIN Paul »" in warning.action
    assert warning.ref == "Professeur Ident=2"


def test_a_room_and_a_subject_listed_twice_are_named_with_their_french_kind() -> None:
    root = edt_root()
    section(root, "Salles").append(E.Salle(Ident="1", Nom="S101"))
    section(root, "Matieres").append(E.Matiere(Ident="3", Code="AGL1", Libelle="Anglais LV1"))

    warnings = _parse(root).warnings

    _assert_no_internal_id(warnings)
    messages = sorted(w.message for w in warnings)
    assert messages[0].startswith("La matière « Anglais LV1 » figure deux fois")
    assert messages[1].startswith("La salle « S101 » figure deux fois")
    # Same name twice: no "la seconde … est ignorée" repeating it.
    assert all("seconde" not in m for m in messages)


def test_a_course_naming_a_teacher_absent_from_the_file_is_described_by_subject_and_time() -> None:
    root = edt_root()
    section(root, "Cours").append(
        course(
            day=2,
            first_place=0,
            places=1,
            subject="2",
            teachers={"7": SPEC_MASK},
            classes={"2": SPEC_MASK},
        )
    )

    [warning] = _parse(root).warnings

    assert warning.code == "unknown_ident"
    assert "Ident=" not in _user_text(warning)
    assert warning.message == (
        "Le cours de Français du mardi de 08:00 à 09:00 (3B) fait appel à un professeur absent "
        "du fichier ; le professeur est ignoré pour ce cours."
    )
    assert "Dans EDT ou PRONOTE, vérifiez le professeur de ce cours" in warning.action
    assert warning.ref == "Cours n° 3 / Professeur Ident=7"


def test_a_course_of_a_subject_absent_from_the_file_is_described_by_time_and_audience() -> None:
    root = edt_root()
    section(root, "Cours").append(
        course(day=4, first_place=2, places=2, subject="99", groups={"1": SPEC_MASK})
    )

    [warning] = _parse(root).warnings

    assert "Ident=" not in _user_text(warning)
    assert warning.message == (
        "Un cours du jeudi de 10:15 à 12:15 (3AGL1) porte sur une matière absente du fichier ; "
        "ce cours est ignoré."
    )


def test_a_group_and_a_student_pointing_at_missing_classes_are_named() -> None:
    root = edt_root()
    section(root, "Groupes")[0].append(etree.Element(f"{{{NS}}}PartieDeClasse", Ident="404"))
    section(root, "Eleves")[1].append(
        etree.Element(
            f"{{{NS}}}Classe", Ident="77", DateEntree="2025-09-01", DateSortie="2026-07-03"
        )
    )

    warnings = _parse(root).warnings

    _assert_no_internal_id(warnings)
    by_ref = {w.ref: w for w in warnings}
    group = by_ref["Groupe Ident=1 / PartieDeClasse Ident=404"]
    assert group.message.startswith(
        "Le groupe « 3AGL1 » contient une partie de classe absente du fichier"
    )
    assert "vérifiez la composition de le groupe" not in group.action
    assert "« 3AGL1 »" in group.action
    student = by_ref["Eleve Ident=2 / Classe Ident=77"]
    assert student.message == (
        "L'élève « PETIT Bob » est inscrit dans une classe absente du fichier ; cette "
        "inscription est ignorée."
    )


def test_an_unreadable_week_mask_names_the_course_and_the_class_it_concerns() -> None:
    root = edt_root()
    added = course(day=4, first_place=1, places=1, subject="2", classes={"1": 1}, rooms={"1": 6})
    added[1].set("Semaines", "-5")
    section(root, "Cours").append(added)

    [warning] = _parse(root).warnings

    assert "Ident=" not in _user_text(warning)
    assert warning.message.startswith(
        "Le cours de Français du jeudi à 09:00 (3A), la classe « 3A »"
    )
    assert warning.ref == "Cours n° 3 / Classe Ident=1"


def test_an_unreadable_birth_date_names_the_teacher_and_the_date_in_french() -> None:
    root = edt_root()
    section(root, "Professeurs")[1].set("DateNaissance", "29/02/1980")

    [warning] = _parse(root).warnings

    assert warning.message.startswith(
        "Le professeur « MARTIN Paul » : la date de naissance vaut « 29/02/1980 »"
    )
    assert "Ident=" not in _user_text(warning)


def test_an_unreadable_grid_hour_names_the_place_not_its_xml_attribute() -> None:
    root = edt_root()
    section(root, "GrilleHoraire")[1][2].set("LibelleHeureDebut", "dix heures")

    try:
        _parse(root)
    except TimetableInvalid as refusal:
        [error] = refusal.problems
    else:
        raise AssertionError("an unreadable hour of the grid refuses the file")

    assert error.message.startswith("La place n° 2 de la grille horaire : l'heure « dix heures »")
    assert "Numero=" not in _user_text(error)


def test_grouped_duplicates_show_a_kind_title_and_the_names_only() -> None:
    root = edt_root()
    section(root, "Classes").append(E.Classe(Ident="1", Nom="3A"))
    section(root, "Groupes").append(E.Groupe(Ident="1", Nom="3AGL1"))

    problems = [ReportedProblem.of(w) for w in _parse(root).warnings]
    [group] = problems_grouped(problems)

    assert group.count == 2
    assert group.title.startswith("Éléments présents deux fois dans le fichier")
    assert group.names == ("« 3A »", "« 3AGL1 »")
    assert "Ident=" not in group.line()


def test_a_teacher_without_any_name_is_described_by_a_course_they_teach() -> None:
    timetable = _parse(edt_root())
    timetable.teachers["2"] = Teacher(ident="2", last_name="", first_name="")

    problems = timetable_validate(timetable, target_uais=[UAI], school_year=None)

    [warning] = [p for p in problems if p.code == "teacher_name_missing"]
    assert warning.message.startswith(
        "L'enseignant du cours d'Anglais LV1 du mercredi de 10:15 à 11:15 (3AGL1) n'a pas de nom"
    )
    assert warning.name == warning.message.split(" n'a pas")[0]


def test_a_course_with_unpublishable_hours_is_described_not_numbered() -> None:
    timetable = _parse(edt_root())
    first = timetable.courses[0]
    timetable.courses[0] = dataclasses.replace(first, end=first.start)

    problems = timetable_validate(timetable, target_uais=[UAI], school_year=None)

    [warning] = [p for p in problems if p.code == "course_hours_not_publishable"]
    assert warning.message.startswith(
        "Le cours de Mathématiques du lundi de 08:00 à 08:00 (3A, DUPONT Marie) commence à 08:00"
    )
    assert "Cours n°" not in warning.message


def test_an_udt_week_mask_that_is_not_a_number_names_the_student_not_their_code(
    tmp_path: Path,
) -> None:
    files = minimal(
        UDCal_21_xml=body("UDCal_21", '<ele_gpe ele="E1" gpe="" code_div="6A" semaines="x"/>')
    )

    timetable = parse_undeuxtemps_zip(
        write_zip(tmp_path / "udt.zip", files), context=ParseContext()
    )

    [warning] = timetable.warnings
    assert "de l'élève « Bernard Lucas » n'est pas un nombre" in warning.message


def test_a_messy_export_warns_about_everything_without_an_internal_id() -> None:
    root = edt_root()
    section(root, "Professeurs").append(E.Professeur(Ident="1", Nom="X", Prenom="Y"))
    section(root, "Salles").append(E.Salle(Nom="Sans identifiant"))
    section(root, "Groupes")[0].append(etree.Element(f"{{{NS}}}Classe", Ident="55"))
    section(root, "Cours").append(
        course(day=5, first_place=3, places=1, subject="1", rooms={"9": SPEC_MASK})
    )
    section(root, "Cours").append(course(day=5, first_place=9, places=1, subject="1"))
    unmasked = course(day=1, first_place=3, places=1, subject="1", classes={"2": SPEC_MASK})
    del unmasked[1].attrib["Semaines"]
    section(root, "Cours").append(unmasked)

    warnings = _parse(root).warnings

    assert len(warnings) == 6
    _assert_no_internal_id(warnings)
    assert all(w.action for w in warnings)
