"""Writer of AAF "Complet" files, for demo data, synthetic workloads and tests.

It writes what :mod:`ent.aaf.reader` reads: one file per category, named
``<prefix>_Complet_<YYYYMMDD>_<Type>_0000.xml``, streamed with ``lxml.etree.xmlfile``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

from lxml import etree

from ent.aaf.records import (
    AafCategory,
    AafDelete,
    AafPerson,
    AafRecord,
    AafStructure,
    AafSubject,
)

_OPERATIONAL_ATTR = {
    AafCategory.STRUCTURE: "categorieStructure",
    AafCategory.SUBJECT: "categorieMatiere",
}


def write_aaf_folder(
    folder: Path,
    records: Iterable[AafRecord],
    *,
    prefix: str = "ENT",
    export_date: dt.date,
) -> list[Path]:
    """Write ``records`` into ``folder``, one file per category; return the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    by_category: dict[AafCategory, list[AafRecord]] = defaultdict(list)
    for record in records:
        by_category[_category_of(record)].append(record)
    paths = []
    for category, items in by_category.items():
        path = folder / f"{prefix}_Complet_{export_date:%Y%m%d}_{category.value}_0000.xml"
        _write_file(path, category, items)
        paths.append(path)
    return paths


def _category_of(record: AafRecord) -> AafCategory:
    if isinstance(record, AafStructure):
        return AafCategory.STRUCTURE
    if isinstance(record, AafSubject):
        return AafCategory.SUBJECT
    return record.category


def _write_file(path: Path, category: AafCategory, records: list[AafRecord]) -> None:
    with etree.xmlfile(str(path), encoding="UTF-8") as xf:
        xf.write_declaration()
        xf.write(etree.Comment(f' versionAF="AAF-VE2407" type="{category.value}" '))
        with xf.element("ficAlimMENESR"):
            for record in records:
                xf.write(_request(category, record))


def _request(category: AafCategory, record: AafRecord) -> etree._Element:
    kind = "deleteRequest" if isinstance(record, AafDelete) else "addRequest"
    request = etree.Element(kind)
    operational = etree.SubElement(request, "operationalAttributes")
    attr = etree.SubElement(
        operational, "attr", name=_OPERATIONAL_ATTR.get(category, "categoriePersonne")
    )
    etree.SubElement(attr, "value").text = (
        "MatEducNat" if category is AafCategory.SUBJECT else category.value
    )
    identifier = etree.SubElement(request, "identifier")
    etree.SubElement(identifier, "id").text = record.jointure
    if isinstance(record, AafDelete):
        return request
    attributes = etree.SubElement(request, "attributes")
    for name, values in _attributes(record):
        node = etree.SubElement(attributes, "attr", name=name)
        for value in values or ("",):
            etree.SubElement(node, "value").text = value or None
    return request


def _attributes(record: AafRecord) -> list[tuple[str, tuple[str, ...]]]:
    if isinstance(record, AafStructure):
        return [
            ("ENTStructureJointure", (record.jointure,)),
            ("ENTStructureUAI", (record.uai,)),
            ("ENTStructureNomCourant", (record.name,)),
            ("ENTStructureTypeStruct", (record.structure_type,)),
            ("ENTEtablissementContrat", (record.contract,)),
            ("postalCode", (record.postal_code,)),
            ("l", (record.city,)),
        ]
    if isinstance(record, AafSubject):
        return [("ENTMatJointure", (record.jointure,)), ("ENTLibelleMatiere", (record.label,))]
    assert isinstance(record, AafPerson)  # noqa: S101 - narrowed by the callers above
    return _person_attributes(record)


def _joined(items: Iterable[tuple[str, ...]]) -> tuple[str, ...]:
    return tuple("$".join(item) for item in items)


def _person_attributes(person: AafPerson) -> list[tuple[str, tuple[str, ...]]]:
    birth = (f"{person.birth_date:%d/%m/%Y}",) if person.birth_date else ()
    attrs = [
        ("ENTPersonJointure", (person.jointure,)),
        ("sn", (person.last_name,)),
        ("givenName", (person.first_name,)),
        ("personalTitle", (person.title,)),
        ("ENTPersonDateNaissance", birth),
        ("mail", (person.email,)),
        ("ENTPersonStructRattach", person.structures),
    ]
    if person.category is AafCategory.STUDENT:
        attrs += [
            ("ENTEleveINE", (person.ine,)),
            ("ENTEleveClasses", _joined(person.classes)),
            ("ENTEleveGroupes", _joined(person.groups)),
        ]
    elif person.category is AafCategory.STAFF:
        attrs += [
            ("ENTPersonCategorieEnseignant", ("O" if person.is_teacher else "N",)),
            ("ENTPersonFonctions", person.functions),
            ("ENTAuxEnsClasses", _joined(person.classes)),
            ("ENTAuxEnsGroupes", _joined(person.groups)),
            ("ENTAuxEnsClassesMatieres", _joined(person.class_subjects)),
            ("ENTAuxEnsGroupesMatieres", _joined(person.group_subjects)),
        ]
    else:
        attrs.append(("ENTAuxPersRelEleveEleve", person.students))
    return attrs
