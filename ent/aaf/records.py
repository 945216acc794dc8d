"""Plain records of the AAF directory feed (``ficAlimMENESR``), shared by the reader and writer.

The AAF "Complet" files describe establishments, subjects and people. Composite values that
point at a structure start with the structure's *jointure* (``ENTStructureJointure``), never
its UAI (``spec/national-formats.md`` §5.3).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum


class AafCategory(StrEnum):
    """The ``categoriePersonne`` / ``categorieStructure`` / ``categorieMatiere`` values."""

    STRUCTURE = "EtabEducNat"
    SUBJECT = "MatiereEducNat"
    STUDENT = "Eleve"
    RELATIVE = "PersRelEleve"
    STAFF = "PersEducNat"


@dataclass(frozen=True, slots=True)
class AafStructure:
    jointure: str
    uai: str
    name: str
    contract: str = "PU"
    structure_type: str = ""
    postal_code: str = ""
    city: str = ""


@dataclass(frozen=True, slots=True)
class AafSubject:
    jointure: str  # 6 digits (ENTMatJointure)
    label: str


@dataclass(frozen=True, slots=True)
class AafPerson:
    """A person of the directory: student, relative or national-education staff member."""

    category: AafCategory
    jointure: str
    last_name: str
    first_name: str
    birth_date: dt.date | None = None
    title: str = ""
    email: str = ""
    structures: tuple[str, ...] = ()  # structure jointures (ENTPersonStructRattach first)
    ine: str = ""  # students only
    is_teacher: bool = False  # staff only
    # (structure jointure, class code) and (structure jointure, group code)
    classes: tuple[tuple[str, str], ...] = ()
    groups: tuple[tuple[str, str], ...] = ()
    # staff: (structure jointure, class or group code, subject jointure)
    class_subjects: tuple[tuple[str, str, str], ...] = ()
    group_subjects: tuple[tuple[str, str, str], ...] = ()
    # relatives: the students' jointures
    students: tuple[str, ...] = ()
    functions: tuple[str, ...] = field(default=())  # raw ENTPersonFonctions values


@dataclass(frozen=True, slots=True)
class AafDelete:
    category: AafCategory
    jointure: str


AafRecord = AafStructure | AafSubject | AafPerson | AafDelete
