"""Writer of EDT / PRONOTE ``ExportEmploiDuTemps`` documents (the clear payload).

:func:`write_index_education_xml` turns a normalised :class:`~imports.timetable.Timetable` into
the XML Index Education's programs export to an ENT (``spec/index-education.md`` §3), valid
against ``ExportEmploiDuTemps.xsd``. Idents are written as they are in the timetable, so they
must be unsigned integers, as in EDT. Dates that the model keeps half-open (the school year's
end, enrolments' ends) are written inclusive, as EDT does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from lxml import etree

from imports.timetable import Course, Resource, SourceSubject, Teacher, Timetable, UnitKind
from imports.weeks import mask_from_weeks

NAMESPACE = "http://www.index-education.com/exportemploidutemps"
VERSION = "1.1"
_SEX = {"M": "Masculin", "F": "Feminin"}


def write_index_education_xml(
    timetable: Timetable, *, uai: str, cancellations_as_attribute: bool = False
) -> bytes:
    """Return the ``ExportEmploiDuTemps`` document of ``timetable`` for establishment ``uai``.

    Cancelled weeks are taken out of every resource's ``Semaines`` by default, which keeps
    the document valid; with ``cancellations_as_attribute`` they are written as a
    ``SemainesAnnulation`` attribute instead (accepted by ENTs, absent from the schema).
    Raises ``ValueError`` when a course does not fit the time grid or a student lacks the
    birth date or sex the schema requires.
    """
    if timetable.grid is None:
        raise ValueError("An EDT export needs a time grid.")
    root = etree.Element(_tag("ExportEmploiDuTemps"), nsmap={None: NAMESPACE})
    root.set("Version", VERSION)
    root.set("UAI", uai)
    year = timetable.year
    _sub(
        root,
        "AnneeScolaire",
        DateDebut=year.start.isoformat(),
        DateFin=_inclusive(year.end).isoformat(),
        DatePremierJourSemaine1=year.week1_monday.isoformat(),
    )
    _grid(root, timetable)
    _list(root, "Matieres", "Matiere", timetable.subjects.values(), _subject_attrs)
    _list(root, "Professeurs", "Professeur", timetable.teachers.values(), _teacher_attrs)
    classes = _sub(root, "Classes")
    for school_class in timetable.classes.values():
        node = _sub(classes, "Classe", Ident=school_class.ident, Nom=school_class.name)
        for part in school_class.part_idents:
            _sub(node, "PartieDeClasse", Ident=part)
    groups = _sub(root, "Groupes")
    for group in timetable.groups.values():
        node = _sub(groups, "Groupe", Ident=group.ident, Nom=group.name)
        for class_ident in group.class_idents:
            _sub(node, "Classe", Ident=class_ident)
        for part in group.part_idents:
            _sub(node, "PartieDeClasse", Ident=part)
    _list(
        root,
        "Salles",
        "Salle",
        timetable.rooms.values(),
        lambda r: {"Ident": r.ident, "Nom": r.name},
    )
    _students(root, timetable)
    courses = _sub(root, "Cours")
    for course in timetable.courses:
        _course(courses, timetable, course, cancellations_as_attribute)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _tag(name: str) -> str:
    return f"{{{NAMESPACE}}}{name}"


def _sub(parent: etree._Element, name: str, **attrs: str) -> etree._Element:
    node = etree.SubElement(parent, _tag(name))
    for key, value in attrs.items():
        node.set(key, value)
    return node


def _list(
    root: etree._Element,
    container: str,
    element: str,
    items: Iterable[Any],
    attrs: Callable[[Any], dict[str, str]],
) -> None:
    parent = _sub(root, container)
    for item in items:
        _sub(parent, element, **attrs(item))


def _inclusive(end: dt.date) -> dt.date:
    return end - dt.timedelta(days=1)


def _grid(root: etree._Element, timetable: Timetable) -> None:
    grid = timetable.grid
    assert grid is not None  # noqa: S101 - checked by the caller
    node = _sub(
        root,
        "GrilleHoraire",
        NombrePlacesParJour=str(len(grid.slots)),
        DureePlace=str(grid.slot_minutes),
    )
    days = _sub(node, "JoursOuvres")
    for day in grid.days:
        _sub(days, "Jour").text = str(day)
    places = _sub(node, "PlacesParJour")
    for slot in grid.slots:
        _sub(
            places,
            "Place",
            Numero=str(slot.number),
            LibelleHeureDebut=slot.start.isoformat(),
            LibelleHeureFin=slot.end.isoformat(),
        )


def _subject_attrs(subject: SourceSubject) -> dict[str, str]:
    return {"Ident": subject.ident, "Code": subject.code, "Libelle": subject.label}


def _teacher_attrs(teacher: Teacher) -> dict[str, str]:
    attrs = {"Ident": teacher.ident, "Nom": teacher.last_name, "Prenom": teacher.first_name}
    if teacher.birth_date:
        attrs["DateNaissance"] = teacher.birth_date.isoformat()
    ids = (("IDSTS", teacher.sts_id), ("IDPN", teacher.idpn), ("IDCAS", teacher.cas_id))
    for name, value in ids:
        if value:
            attrs[name] = value
    return attrs


def _students(root: etree._Element, timetable: Timetable) -> None:
    parent = _sub(root, "Eleves")
    year = timetable.year
    for student in timetable.students.values():
        if student.birth_date is None or student.sex not in _SEX:
            raise ValueError(
                f"Student {student.ident} needs a birth date and a sex (M/F) in an EDT export."
            )
        attrs = {
            "Ident": student.ident,
            "Nom": student.last_name,
            "Prenom": student.first_name,
            "DateNaissance": student.birth_date.isoformat(),
            "Sexe": _SEX[student.sex],
        }
        for name, value in (
            ("NumeroNational", student.ine),
            ("IDSconet", student.siecle_id),
            ("IDPN", student.idpn),
        ):
            if value:
                attrs[name] = value
        node = _sub(parent, "Eleve", **attrs)
        # The schema wants classes before parts.
        for kind, element in ((UnitKind.CLASS, "Classe"), (UnitKind.PART, "PartieDeClasse")):
            for enrolment in student.enrolments:
                if enrolment.kind is not kind:
                    continue
                _sub(
                    node,
                    element,
                    Ident=enrolment.ident,
                    DateEntree=(enrolment.start or year.start).isoformat(),
                    DateSortie=_inclusive(enrolment.end or year.end).isoformat(),
                )


def _place_numbers(timetable: Timetable, course: Course) -> tuple[int, int]:
    grid = timetable.grid
    assert grid is not None  # noqa: S101 - checked by the caller
    first = next((s.number for s in grid.slots if s.start == course.start), None)
    last = next((s.number for s in grid.slots if s.end == course.end), None)
    if first is None or last is None or last < first:
        raise ValueError(
            f"Course {course.ident} ({course.start}–{course.end}) does not fit the time grid."
        )
    return first, last - first + 1


def _course(
    parent: etree._Element, timetable: Timetable, course: Course, as_attribute: bool
) -> None:
    first, count = _place_numbers(timetable, course)
    node = _sub(
        parent, "Cours", Jour=str(course.day), NumeroPlaceDebut=str(first), NombrePlaces=str(count)
    )
    if as_attribute and course.cancelled_weeks:
        node.set("SemainesAnnulation", str(mask_from_weeks(course.cancelled_weeks)))
    removed: frozenset[int] = frozenset() if as_attribute else course.cancelled_weeks
    _sub(node, "Matiere", Ident=course.subject_ident)
    for element, resources in (
        ("Professeur", course.teachers),
        ("Classe", course.classes),
        ("PartieDeClasse", course.parts),
        ("Groupe", course.groups),
        ("Salle", course.rooms),
    ):
        for resource in resources:
            _resource(node, element, resource, removed)


def _resource(
    parent: etree._Element, element: str, resource: Resource, removed: frozenset[int]
) -> None:
    _sub(
        parent,
        element,
        Ident=resource.ident,
        Semaines=str(mask_from_weeks(resource.weeks - removed)),
    )
