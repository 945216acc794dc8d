"""Streaming reader of AAF "Complet" files (root ``ficAlimMENESR``).

The format is described in ``spec/national-formats.md`` §5.

Each ``addRequest`` becomes one record of :mod:`ent.aaf.records`; each ``deleteRequest`` an
:class:`AafDelete`. Elements are cleared as soon as they are read, so memory stays flat
whatever the file's size.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
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
from ent.xmlsafe import UnsafeXmlError, safe_iterparse

FILE_PATTERN = re.compile(
    r"_(EtabEducNat|MatiereEducNat|MefEducNat|Eleve|PersRelEleve|PersEducNat)_[0-9]{4}\.xml$"
)
# The order entcore and the AAF documentation use: structures before the people in them.
IMPORT_ORDER = (
    AafCategory.STRUCTURE,
    AafCategory.SUBJECT,
    AafCategory.STUDENT,
    AafCategory.RELATIVE,
    AafCategory.STAFF,
)
REQUEST_TAGS = ("addRequest", "modifyRequest", "deleteRequest")
_CATEGORY_ATTRS = ("categoriePersonne", "categorieStructure", "categorieMatiere")
_CATEGORY_ALIASES = {"MatEducNat": AafCategory.SUBJECT}


class AafFormatError(ValueError):
    """A file that is not a readable AAF file, with the file and line to point at."""

    def __init__(self, message: str, *, path: Path, line: int | None = None) -> None:
        where = f"{path.name}, ligne {line}" if line else path.name
        super().__init__(f"{where} : {message}")
        self.path = path
        self.line = line


@dataclass(frozen=True, slots=True)
class AafFile:
    path: Path
    category: AafCategory


def discover_files(folder: Path) -> list[AafFile]:
    """Return the folder's AAF files in import order (unknown types are skipped)."""
    found = []
    for path in sorted(folder.iterdir()):
        match = FILE_PATTERN.search(path.name)
        if match and match.group(1) in {c.value for c in IMPORT_ORDER}:
            found.append(AafFile(path=path, category=AafCategory(match.group(1))))
    order = {category: index for index, category in enumerate(IMPORT_ORDER)}
    return sorted(found, key=lambda f: (order[f.category], f.path.name))


def read_file(aaf_file: AafFile) -> Iterator[AafRecord]:
    """Yield the records of one AAF file; raise :class:`AafFormatError` on a bad file."""
    path = aaf_file.path
    try:
        with path.open("rb") as stream:
            for _event, element in safe_iterparse(stream, REQUEST_TAGS):
                record = _record(element, aaf_file.category, path)
                _release(element)
                if record is not None:
                    yield record
    except UnsafeXmlError as exc:
        raise AafFormatError(str(exc), path=path) from exc
    except etree.XMLSyntaxError as exc:
        raise AafFormatError(
            f"XML illisible ({exc.msg}). Le fichier est peut-être tronqué : demandez un "
            "nouvel export de l'annuaire.",
            path=path,
            line=exc.lineno,
        ) from exc


def _release(element: etree._Element) -> None:
    element.clear()
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]


def _record(element: etree._Element, expected: AafCategory, path: Path) -> AafRecord | None:
    identifier = (element.findtext("identifier/id") or "").strip()
    if not identifier:
        raise AafFormatError(
            "requête sans identifiant (identifier/id).", path=path, line=element.sourceline
        )
    category = _category(element) or expected
    if element.tag == "deleteRequest":
        return AafDelete(category=category, jointure=identifier)
    if element.tag == "modifyRequest":
        # Delta files are not handled: a full ("Complet") export carries only additions.
        return None
    attrs = {
        attr.get("name"): [(v.text or "").strip() for v in attr.findall("value")]
        for attr in element.iterfind("attributes/attr")
    }
    try:
        return _BUILDERS[category](identifier, attrs)
    except ValueError as exc:
        raise AafFormatError(str(exc), path=path, line=element.sourceline) from exc


def _category(element: etree._Element) -> AafCategory | None:
    for attr in element.iterfind("operationalAttributes/attr"):
        if attr.get("name") in _CATEGORY_ATTRS:
            value = (attr.findtext("value") or "").strip()
            if value in _CATEGORY_ALIASES:
                return _CATEGORY_ALIASES[value]
            try:
                return AafCategory(value)
            except ValueError:
                return None
    return None


def _one(attrs: dict[str, list[str]], *names: str) -> str:
    for name in names:
        for value in attrs.get(name, ()):
            if value:
                return value
    return ""


def _many(attrs: dict[str, list[str]], name: str) -> tuple[str, ...]:
    return tuple(v for v in attrs.get(name, ()) if v)


def _pairs(attrs: dict[str, list[str]], name: str) -> tuple[tuple[str, str], ...]:
    pairs = []
    for value in _many(attrs, name):
        parts = value.split("$")
        if len(parts) >= 2 and parts[0] and parts[1]:
            pairs.append((parts[0], parts[1]))
    return tuple(pairs)


def _triples(attrs: dict[str, list[str]], name: str) -> tuple[tuple[str, str, str], ...]:
    triples = []
    for value in _many(attrs, name):
        parts = value.split("$")
        if len(parts) >= 3 and all(parts[:3]):
            triples.append((parts[0], parts[1], parts[2]))
    return tuple(triples)


def _date(value: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.datetime.strptime(value, "%d/%m/%Y").date()  # noqa: DTZ007 - a plain date
    except ValueError:
        raise ValueError(
            f"date de naissance « {value} » invalide (format attendu JJ/MM/AAAA)."
        ) from None


def _structure(identifier: str, attrs: dict[str, list[str]]) -> AafStructure:
    return AafStructure(
        jointure=_one(attrs, "ENTStructureJointure") or identifier,
        uai=_one(attrs, "ENTStructureUAI", "ENTEtablissementUAI").upper(),
        name=_one(attrs, "ENTStructureNomCourant").replace("$", " - ") or identifier,
        contract=_one(attrs, "ENTEtablissementContrat"),
        structure_type=_one(attrs, "ENTStructureTypeStruct"),
        postal_code=_one(attrs, "postalCode"),
        city=_one(attrs, "l"),
    )


def _subject(identifier: str, attrs: dict[str, list[str]]) -> AafSubject:
    return AafSubject(
        jointure=_one(attrs, "ENTMatJointure") or identifier,
        label=_one(attrs, "ENTLibelleMatiere"),
    )


def _structures(
    attrs: dict[str, list[str]], *extra: tuple[tuple[str, ...], ...]
) -> tuple[str, ...]:
    ordered: dict[str, None] = dict.fromkeys(_many(attrs, "ENTPersonStructRattach"))
    for value in _many(attrs, "ENTPersonFonctions"):
        ordered.setdefault(value.split("$")[0], None)
    for items in extra:
        for item in items:
            ordered.setdefault(item[0], None)
    return tuple(s for s in ordered if s)


def _identity(identifier: str, attrs: dict[str, list[str]]) -> dict[str, object]:
    return {
        "jointure": _one(attrs, "ENTPersonJointure") or identifier,
        "last_name": _one(attrs, "sn", "ENTPersonNom", "ENTPersonNomPatro"),
        "first_name": _one(attrs, "givenName", "ENTPersonPrenom"),
        "birth_date": _date(_one(attrs, "ENTPersonDateNaissance")),
        "title": _one(attrs, "personalTitle", "ENTPersonCivilite"),
        "email": _one(attrs, "mail"),
    }


def _student(identifier: str, attrs: dict[str, list[str]]) -> AafPerson:
    classes = _pairs(attrs, "ENTEleveClasses")
    groups = _pairs(attrs, "ENTEleveGroupes")
    return AafPerson(
        category=AafCategory.STUDENT,
        **_identity(identifier, attrs),  # type: ignore[arg-type]
        structures=_structures(attrs, classes, groups),
        ine=_one(attrs, "ENTEleveINE").upper(),
        classes=classes,
        groups=groups,
    )


def _is_teacher(attrs: dict[str, list[str]]) -> bool:
    # entcore's rule: the explicit category, else "in front of students", else the function.
    category = _one(attrs, "ENTPersonCategorieEnseignant")
    if category:
        return category == "O"
    if _one(attrs, "PersEducNatPresenceDevantEleves") == "O":
        return True
    return any("$ENS$" in f or "$DOC$" in f for f in _many(attrs, "ENTPersonFonctions"))


def _staff(identifier: str, attrs: dict[str, list[str]]) -> AafPerson:
    classes = _pairs(attrs, "ENTAuxEnsClasses")
    groups = _pairs(attrs, "ENTAuxEnsGroupes")
    return AafPerson(
        category=AafCategory.STAFF,
        **_identity(identifier, attrs),  # type: ignore[arg-type]
        structures=_structures(attrs, classes, groups),
        is_teacher=_is_teacher(attrs),
        classes=classes,
        groups=groups,
        class_subjects=_triples(attrs, "ENTAuxEnsClassesMatieres"),
        group_subjects=_triples(attrs, "ENTAuxEnsGroupesMatieres"),
        functions=_many(attrs, "ENTPersonFonctions"),
    )


def _relative(identifier: str, attrs: dict[str, list[str]]) -> AafPerson:
    return AafPerson(
        category=AafCategory.RELATIVE,
        **_identity(identifier, attrs),  # type: ignore[arg-type]
        structures=_structures(attrs),
        students=_many(attrs, "ENTAuxPersRelEleveEleve"),
    )


_BUILDERS: dict[
    AafCategory, Callable[[str, dict[str, list[str]]], AafStructure | AafSubject | AafPerson]
] = {
    AafCategory.STRUCTURE: _structure,
    AafCategory.SUBJECT: _subject,
    AafCategory.STUDENT: _student,
    AafCategory.RELATIVE: _relative,
    AafCategory.STAFF: _staff,
}
