"""EDT / PRONOTE exports (Index Education): ``ExportEmploiDuTemps``, clear or encrypted.

A deposit is either the clear payload ``ExportEmploiDuTemps`` or the encrypted container
``EXPORT_INDEX_EDUCATION`` (:mod:`imports.parsers.container`), told apart by the root
element's local name (namespaces are matched by local name, never by prefix). The payload is
streamed with hardened ``iterparse`` (no DTD, no entities, no network) and each item is
dropped once read, so memory stays bounded by one section's item.

An export repeats a few values thousands of times: the same dates, week masks, course
positions and resources, and students enrolled alike in the same class and part. Each
distinct value is read once per file and the result shared (the records are immutable);
students enrolled alike share their resolved enrolments, group enrolments included. Only
what was read without a warning is kept, so a bad value warns at each occurrence, and the
caches are bounded so that a hostile file cannot grow them. In an import run the
fingerprint reads the file (and decrypts it) once, and the parse takes those bytes from the
run's memo.

Parsing is tolerant, as real exports do not validate against the published schema: comments,
whitespace, unknown elements and attributes are ignored. Structural problems (no school
year, no time grid, unreadable dates, truncated XML) are errors and raise
:class:`~imports.timetable.TimetableInvalid`; a problem confined to one item (a course whose
places are not in the grid, a reference to an unknown ``Ident``) is a warning pointing at the
item, which is dropped (or the reference ignored) while the import goes on.

Conventions of the mapping onto :mod:`imports.timetable`:

- dates of the file are inclusive; ``end`` dates here are exclusive (``DateFin`` + 1 day,
  ``DateSortie`` + 1 day);
- courses have no ``Ident`` in EDT: ``Course.ident`` is ``"Cours n° <position>"``, 1-based
  in file order;
- **group membership of students is derived here**: EDT lists a student's classes and class
  parts only, and a group says which classes and parts it is made of. A student enrolled in
  a class (or a part) over ``[start, end)`` is enrolled over the same period in every group
  that contains that class (or part). Every format thus hands the pipeline explicit
  ``GROUP`` enrolments;
- closing periods are derived: every school week in which no course at all is active becomes
  part of a closing period ("Semaine(s) sans cours"), consecutive weeks merged, clipped to
  the school year.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from lxml import etree

from ent.xmlsafe import UnsafeXmlError, safe_iterparse, xml_syntax_error_fr
from imports.parsers import container as container_module
from imports.parsers.base import FormatSpec, ParseContext, is_number
from imports.parsers.container import REEXPORT, local_name
from imports.timetable import (
    ClassPart,
    Course,
    Enrolment,
    Group,
    Problem,
    Resource,
    Room,
    SchoolYearSpan,
    Severity,
    Slot,
    SourceClass,
    SourceClosing,
    SourceSubject,
    Student,
    Teacher,
    TimeGrid,
    Timetable,
    TimetableInvalid,
    UnitKind,
    course_description,
    of,
    sentence,
)
from imports.weeks import WeekMaskError, weeks_from_text

NAMESPACE = "http://www.index-education.com/exportemploidutemps"
PAYLOAD_ROOT = "ExportEmploiDuTemps"
CONTAINER_ROOT = container_module.ROOT
SUPPORTED_MAJOR_VERSION = "1"
SNIFF_BYTES = 4096
CLOSING_LABEL = "Semaine(s) sans cours"

_ITEM_SECTIONS = {
    "Matieres": "Matiere",
    "Professeurs": "Professeur",
    "Classes": "Classe",
    "Groupes": "Groupe",
    "Salles": "Salle",
    "Eleves": "Eleve",
    "Cours": "Cours",
}
_SEX = {"masculin": "M", "feminin": "F", "féminin": "F"}
_RESOURCE_KINDS = frozenset({"Professeur", "Classe", "PartieDeClasse", "Groupe", "Salle"})
# Distinct week masks remembered per file: an export repeats a few dozen masks thousands of
# times; the bound keeps a hostile file from growing the cache.
_MASKS_CACHED = 4096


@dataclass(frozen=True, slots=True)
class _Kind:
    """How a manager names an item of one kind, in French."""

    the: str  # "la salle"
    an: str  # "une salle"
    missing: str  # "une salle absente"
    ignored: str  # "ignorée"


_KINDS = {
    "Matiere": _Kind("la matière", "une matière", "une matière absente", "ignorée"),
    "Professeur": _Kind("le professeur", "un professeur", "un professeur absent", "ignoré"),
    "Classe": _Kind("la classe", "une classe", "une classe absente", "ignorée"),
    "PartieDeClasse": _Kind(
        "la partie de classe", "une partie de classe", "une partie de classe absente", "ignorée"
    ),
    "Groupe": _Kind("le groupe", "un groupe", "un groupe absent", "ignoré"),
    "Salle": _Kind("la salle", "une salle", "une salle absente", "ignorée"),
    "Eleve": _Kind("l'élève", "un élève", "un élève absent", "ignoré"),
}
_DATE_LABELS = {
    "DateNaissance": "la date de naissance",
    "DateEntree": "la date d'entrée",
    "DateSortie": "la date de sortie",
}
# For support only (hidden from users, see imports.report): where the item is in the file.
_SUPPORT = (
    "Si l'avertissement revient après un nouvel export, transmettez ce bilan à "
    "l'assistance de l'ENT."
)
_ONE_DAY = dt.timedelta(days=1)
_COMMENT = re.compile(rb"<!--.*?-->", re.DOTALL)
_FIRST_TAG = re.compile(rb"<(?![?!])(?:[A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)")


def root_local_name(head: bytes) -> str:
    """Return the local name of the document element found in ``head`` ("" if none)."""
    parser = etree.XMLPullParser(
        events=("start",), resolve_entities=False, no_network=True, load_dtd=False
    )
    # A head cut in the middle of the document is expected: only its first tag matters.
    with contextlib.suppress(etree.XMLSyntaxError):
        parser.feed(head)
    for _event, element in parser.read_events():
        return local_name(element)
    # The head may end inside the root's start tag (long attributes): read its name alone.
    match = _FIRST_TAG.search(_COMMENT.sub(b"", head))
    return match.group(1).decode("ascii", "replace") if match else ""


CLEAR = FormatSpec("INDEX_EDUCATION", "EDT / PRONOTE")
ENCRYPTED = FormatSpec("INDEX_EDUCATION_ENCRYPTED", "EDT / PRONOTE (chiffré)")


class IndexEducationParser:
    """EDT and PRONOTE exports (Index Education), clear or in the encrypted container."""

    label = "EDT / PRONOTE"
    description = "un export EDT / PRONOTE (XML ExportEmploiDuTemps ou EXPORT_INDEX_EDUCATION)"
    suffixes: tuple[str, ...] = (".xml",)
    formats: tuple[FormatSpec, ...] = (CLEAR, ENCRYPTED)

    def sniff(self, head: bytes) -> bool:
        return looks_like_index_education(head)

    def parse(self, path: Path, *, filename: str, context: ParseContext) -> Timetable:
        return parse_index_education(path, context=context, filename=filename)

    def fingerprint(self, path: Path, *, context: ParseContext) -> str:
        return payload_fingerprint(_payload(path, context))


INDEX_EDUCATION_PARSER = IndexEducationParser()


def looks_like_index_education(head: bytes) -> bool:
    """Tell whether the first bytes of a deposit are an EDT / PRONOTE export."""
    return root_local_name(head) in {PAYLOAD_ROOT, CONTAINER_ROOT}


_DECRYPTED = "index_education.decrypted"
_CLEAR = "index_education.clear"


def _payload(path: Path, context: ParseContext) -> bytes:
    """Return the clear ``ExportEmploiDuTemps`` bytes of a deposit, decrypted if need be.

    What was read (the decrypted export, or the clear file's bytes) is kept in
    ``context.memo`` (if any) for the parse of the same file, which then neither reads
    nor decrypts the file again.
    """
    data = path.read_bytes()
    if root_local_name(data[:SNIFF_BYTES]) == CONTAINER_ROOT:
        export = _decrypt(data, context)
        if context.memo is not None:
            context.memo.keep(_DECRYPTED, path, export)
        return export.payload
    if context.memo is not None:
        context.memo.keep(_CLEAR, path, data)
    return data


def _decrypt(data: bytes, context: ParseContext) -> container_module.DecryptedExport:
    return container_module.container_decrypt(
        data,
        partner_name=context.partner_name,
        private_key_pem=context.private_key_pem,
        max_decrypted_bytes=context.limits.max_decrypted_bytes,
    )


_BOM = b"\xef\xbb\xbf"


def payload_fingerprint(payload: bytes) -> str:
    """Return the SHA-256 (hex) of a clear payload without its BOM, comments and the
    whitespace around its root element.

    The same timetable exported twice, in clear or encrypted (whose envelope carries the
    export time and fresh keys), gets the same fingerprint; any other change to the
    document changes it.
    """
    if payload.startswith(_BOM):
        payload = payload[len(_BOM) :]
    if b"<![CDATA[" in payload:  # keep every byte: a comment opener may be data there
        return hashlib.sha256(payload).hexdigest()
    # Whitespace around the root element (where an added comment leaves its line) is not
    # part of the document.
    return hashlib.sha256(_without_comments(payload).strip()).hexdigest()


def _without_comments(payload: bytes) -> bytes:
    """``payload`` without its XML comments: what ``_COMMENT.sub(b"", payload)`` returns.

    An export may add or change comments without changing the timetable. (A comment opener
    inside a CDATA section or an attribute is not a comment; the caller excludes CDATA.)
    Searched with ``bytes.find``: a 5 MB comment costs 3 ms, not the regular expression's 35.
    """
    kept: list[bytes] = []
    position = 0
    while (start := payload.find(b"<!--", position)) != -1:
        end = payload.find(b"-->", start + 4)
        if end == -1:
            break  # an unclosed comment is no comment
        kept.append(payload[position:start])
        position = end + 3
    if not kept:
        return payload
    kept.append(payload[position:])
    return b"".join(kept)


def parse_index_education(path: Path, *, context: ParseContext, filename: str = "") -> Timetable:
    """Parse the EDT / PRONOTE export at ``path``; raise ``TimetableInvalid``."""
    # The run's fingerprint may have read (and decrypted) the file already: take that.
    if context.memo is not None:
        decrypted = context.memo.take(_DECRYPTED, path)
        if isinstance(decrypted, container_module.DecryptedExport):
            return _from_container(decrypted)
        clear = context.memo.take(_CLEAR, path)
        if isinstance(clear, bytes):
            return parse_payload(io.BytesIO(clear), source_format=CLEAR.value)
    with path.open("rb") as stream:
        root = root_local_name(stream.read(SNIFF_BYTES))
    if root == CONTAINER_ROOT:
        return _from_container(_decrypt(path.read_bytes(), context))
    with path.open("rb") as stream:
        return parse_payload(stream, source_format=CLEAR.value)


def _from_container(export: container_module.DecryptedExport) -> Timetable:
    meta = export.metadata
    timetable = parse_payload(io.BytesIO(export.payload), source_format=ENCRYPTED.value)
    if meta.uai and timetable.uai and meta.uai != timetable.uai:
        raise TimetableInvalid.one(
            "uai_container_mismatch",
            f"Le fichier chiffré annonce l'établissement {meta.uai} mais l'emploi du temps "
            f"qu'il contient est celui de l'établissement {timetable.uai}.",
            "Vérifiez l'UAI saisi dans les paramètres de l'établissement d'EDT ou de PRONOTE, "
            "puis relancez l'export.",
            ref="UAI",
        )
    timetable.uai = timetable.uai or meta.uai
    timetable.software = meta.software
    timetable.exported_at = meta.exported_at
    return timetable


def parse_payload(stream: IO[bytes], *, source_format: str) -> Timetable:
    """Parse a clear ``ExportEmploiDuTemps`` document from ``stream``."""
    reader = _PayloadReader()
    try:
        for _event, element in safe_iterparse(stream, "*"):
            reader.element_ended(element)
    except UnsafeXmlError as exc:
        raise TimetableInvalid.one("unsafe_xml", str(exc), REEXPORT) from None
    except etree.XMLSyntaxError as exc:
        where, detail = xml_syntax_error_fr(exc)
        if "amplification" in exc.msg or "external entity" in exc.msg:
            raise TimetableInvalid.one(
                "unsafe_xml",
                "Le fichier utilise des entités XML interdites pour des raisons de sécurité.",
                REEXPORT,
                detail=detail,
            ) from None
        raise TimetableInvalid.one(
            "truncated",
            f"Le fichier XML est incomplet ou mal formé ({where}).",
            "Le dépôt a sans doute été interrompu. " + REEXPORT,
            detail=detail,
        ) from None
    return reader.timetable(source_format)


def _problem(code: str, message: str, action: str = "", ref: str = "", name: str = "") -> Problem:
    return Problem(
        code=code,
        message=message,
        action=action,
        ref=ref,
        severity=Severity.WARNING,
        name=name,
    )


def _attr(element: etree._Element, name: str) -> str:
    return (element.get(name) or "").strip()


# Local names by tag: an export has a few dozen distinct tags and tens of thousands of
# elements, and splitting a namespaced tag costs more than a dictionary hit.
_LOCAL_NAMES: dict[str, str] = {}


def _local(element: etree._Element) -> str:
    """Return :func:`~imports.parsers.container.local_name` of an element, cached by tag."""
    tag = element.tag
    try:
        return _LOCAL_NAMES[tag]
    except KeyError:
        name = local_name(element)
        if len(_LOCAL_NAMES) < 1024:  # a hostile file cannot grow the cache without bound
            _LOCAL_NAMES[tag] = name
        return name


@dataclass
class _RawCourse:
    ident: str
    day: str
    first_place: str
    places: str
    subject: str = ""
    resources: list[tuple[str, str, frozenset[int]]] = field(default_factory=list)
    cancelled: frozenset[int] = frozenset()
    # (kind, ident) of the classes, parts and groups the course names, to describe it.
    audience: list[tuple[str, str]] = field(default_factory=list)


# How a student's enrolment reads in the file: (element name, Ident, DateEntree, DateSortie).
# The kind is the element's name, not the UnitKind: an enum member hashes in Python.
_EnrolmentKey = tuple[str, str, str | None, str | None]
_UNIT_KINDS = {"Classe": UnitKind.CLASS, "PartieDeClasse": UnitKind.PART}


@dataclass(slots=True)
class _RawStudent:
    # Student's fields but its enrolments, in order: the Student is built once resolved.
    fields: tuple[str, str, str, dt.date | None, str, str, str, str]
    enrolments: list[Enrolment]
    # What each enrolment was read from (kind, Ident, DateEntree, DateSortie): students
    # enrolled alike share their resolved enrolments (see ``_PayloadReader._resolve_student``).
    key: tuple[_EnrolmentKey, ...]


class _PayloadReader:
    """Collects the items of an ``ExportEmploiDuTemps`` as ``iterparse`` ends them."""

    def __init__(self) -> None:
        self.root_checked = False
        self._root: etree._Element | None = None
        self.errors: list[Problem] = []
        self.warnings: list[Problem] = []
        self.uai = ""
        self.version = ""
        self.year: SchoolYearSpan | None = None
        self.grid: TimeGrid | None = None
        self.subjects: dict[str, SourceSubject] = {}
        self.teachers: dict[str, Teacher] = {}
        self.classes: dict[str, SourceClass] = {}
        self.parts: dict[str, ClassPart] = {}
        self.groups: dict[str, Group] = {}
        self.rooms: dict[str, Room] = {}
        self.students: list[_RawStudent] = []
        self.courses: list[_RawCourse] = []
        self._masks: dict[str, frozenset[int]] = {}
        # Values read once per distinct text: an export repeats a few dates, enrolments and
        # course positions thousands of times (bounded, like the masks). Only what was read
        # without a warning is kept, so a bad value warns at each occurrence, as before.
        self._dates: dict[str, dt.date] = {}
        self._enrolments: dict[_EnrolmentKey, Enrolment] = {}
        self._resolved: dict[tuple[_EnrolmentKey, ...], tuple[Enrolment, ...]] = {}
        self._times: dict[tuple[str, str, str], tuple[int, dt.time, dt.time]] = {}
        self._resources: dict[tuple[str, frozenset[int]], Resource] = {}

    # --- streaming -----------------------------------------------------------------------

    def element_ended(self, element: etree._Element) -> None:
        parent = element.getparent()
        if not self.root_checked:
            self._root = element.getroottree().getroot()
            self._check_root(self._root)
        if parent is None:
            return
        grand = parent.getparent()
        if grand is None:
            self._section_ended(element)
            element.clear()
        # lxml hands out one proxy per node while it is referenced: the root held here is
        # the one ``getparent`` returns, so an item (depth 2) is told by identity.
        elif grand is self._root and _ITEM_SECTIONS.get(_local(parent)) == _local(element):
            _ITEM_HANDLERS[_local(element)](self, element)
            element.clear()
            while element.getprevious() is not None:
                del parent[0]

    def _check_root(self, root: etree._Element) -> None:
        self.root_checked = True
        if local_name(root) != PAYLOAD_ROOT:
            raise TimetableInvalid.one(
                "unknown_root",
                f"L'élément racine « {local_name(root)} » n'est pas celui d'un export d'emploi du "
                f"temps d'Index Education ({PAYLOAD_ROOT}).",
                REEXPORT,
            )
        self.version = _attr(root, "Version")
        if self.version and self.version.split(".")[0] != SUPPORTED_MAJOR_VERSION:
            raise TimetableInvalid.one(
                "unsupported_version",
                f"La version « {self.version} » du format ExportEmploiDuTemps n'est pas prise "
                "en charge (version 1.x attendue).",
                "Mettez à jour EDT ou PRONOTE, relancez l'export, ou signalez ce fichier à "
                "l'assistance de l'ENT.",
            )
        self.uai = _attr(root, "UAI").upper()

    def _section_ended(self, element: etree._Element) -> None:
        name = _local(element)
        if name == "AnneeScolaire":
            self._school_year(element)
        elif name == "GrilleHoraire":
            self._grid(element)

    # --- structure -------------------------------------------------------------------------

    def _error(self, code: str, message: str, ref: str = "", action: str = REEXPORT) -> None:
        self.errors.append(Problem(code=code, message=message, action=action, ref=ref))

    def _date(self, element: etree._Element, name: str, ref: str) -> dt.date | None:
        value = _attr(element, name)
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            self._error(
                "bad_date",
                f"{ref} : l'attribut {name} vaut « {value} », une date AAAA-MM-JJ est attendue.",
                ref=ref,
            )
            return None

    def _school_year(self, element: etree._Element) -> None:
        ref = "AnneeScolaire"
        start = self._date(element, "DateDebut", ref)
        last = self._date(element, "DateFin", ref)
        week1 = self._date(element, "DatePremierJourSemaine1", ref)
        if start is None or last is None or week1 is None:
            return
        if last < start:
            self._error(
                "bad_date",
                f"L'année scolaire finit ({last:%d/%m/%Y}) avant de commencer ({start:%d/%m/%Y}).",
                ref=ref,
                action="Corrigez les dates de l'année scolaire dans EDT ou PRONOTE et relancez "
                "l'export.",
            )
            return
        if week1.isoweekday() != 1:
            self._error(
                "bad_date",
                f"Le premier jour de la semaine 1 ({week1:%d/%m/%Y}) n'est pas un lundi.",
                ref=ref,
            )
            return
        self.year = SchoolYearSpan(start=start, end=last + _ONE_DAY, week1_monday=week1)

    def _time(self, value: str, ref: str, where: str) -> dt.time | None:
        try:
            return dt.time.fromisoformat(value[:8])
        except ValueError:
            self._error(
                "bad_time",
                f"{where} : l'heure « {value} » est illisible (HH:MM:SS attendu).",
                ref=ref,
            )
            return None

    def _grid(self, element: etree._Element) -> None:
        days: list[int] = []
        slots: dict[int, Slot] = {}
        for child in element.iter():
            if not isinstance(child.tag, str):
                continue
            name = _local(child)
            if name == "Jour" and is_number((child.text or "").strip()):
                days.append(int((child.text or "").strip()))
            elif name == "Place":
                self._place(child, slots)
        try:
            minutes = int(_attr(element, "DureePlace") or 0)
        except ValueError:
            minutes = 0
        if not slots:
            self._error(
                "empty_grid",
                "La grille horaire ne contient aucune place : les cours ne peuvent pas être "
                "placés dans la journée.",
                ref="GrilleHoraire",
            )
            return
        self.grid = TimeGrid(
            days=tuple(sorted(set(days))),
            slot_minutes=minutes,
            slots=tuple(slots[number] for number in sorted(slots)),
        )

    def _place(self, element: etree._Element, slots: dict[int, Slot]) -> None:
        number = _attr(element, "Numero")
        ref = f"Place Numero={number}"
        if not is_number(number):
            self._error("bad_grid", f"Une place de la grille horaire a un numéro « {number} ».")
            return
        where = f"La place n° {number} de la grille horaire"
        start = self._time(_attr(element, "LibelleHeureDebut"), ref, where)
        end = self._time(_attr(element, "LibelleHeureFin"), ref, where)
        if start is not None and end is not None:
            slots.setdefault(int(number), Slot(number=int(number), start=start, end=end))

    # --- items -----------------------------------------------------------------------------

    def _ident(self, element: etree._Element, kind: str, name: str = "") -> str:
        ident = _attr(element, "Ident")
        if not ident:
            labels = _KINDS[kind]
            item = f"{labels.the} « {name} »" if name else labels.an
            self.warnings.append(
                _problem(
                    "missing_ident",
                    f"{sentence(item)} n'a pas d'identifiant dans le fichier : {labels.ignored} "
                    "par l'import.",
                    f"Relancez l'export depuis EDT ou PRONOTE. {_SUPPORT}",
                    ref=kind,
                    name=name,
                )
            )
        return ident

    def _unique(self, table: Mapping[str, object], ident: str, kind: str, name: str) -> bool:
        """Tell whether ``ident`` is new in ``table``; warn, naming both items, if not."""
        if ident not in table:
            return True
        the = _KINDS[kind].the
        first = self._name_of(kind, ident)
        item = f"{the} « {first} »" if first else the
        second = f" ; la seconde, « {name} », est ignorée" if name and name != first else ""
        self.warnings.append(
            _problem(
                "duplicate_ident",
                f"{sentence(item)} figure deux fois dans le fichier sous le même identifiant : "
                f"seule la première fiche est retenue{second}.",
                f"Dans EDT ou PRONOTE, vérifiez {the} « {first or name} » (une seule fiche, "
                f"sans doublon) puis relancez l'export. {_SUPPORT}",
                ref=f"{kind} Ident={ident}",
                name=first or name,
            )
        )
        return False

    def _name_of(self, kind: str, ident: str) -> str:
        """Return the name a manager knows the item ``ident`` of ``kind`` by ("" if unknown)."""
        if kind == "Matiere" and (subject := self.subjects.get(ident)):
            return subject.label or subject.code
        if kind == "Professeur" and (teacher := self.teachers.get(ident)):
            return f"{teacher.last_name} {teacher.first_name}".strip()
        if kind == "Classe" and (school_class := self.classes.get(ident)):
            return school_class.name
        if kind == "PartieDeClasse" and (part := self.parts.get(ident)):
            owner = self.classes.get(part.class_ident)
            return f"partie de {owner.name}" if owner else ""
        if kind == "Groupe" and (group := self.groups.get(ident)):
            return group.name
        if kind == "Salle" and (room := self.rooms.get(ident)):
            return room.name
        return ""

    def _subject(self, element: etree._Element) -> None:
        name = _attr(element, "Libelle") or _attr(element, "Code")
        ident = self._ident(element, "Matiere", name)
        if ident and self._unique(self.subjects, ident, "Matiere", name):
            self.subjects[ident] = SourceSubject(
                ident=ident, code=_attr(element, "Code"), label=_attr(element, "Libelle")
            )

    def _optional_date(
        self, element: etree._Element, name: str, ref: str, who: str
    ) -> dt.date | None:
        value = _attr(element, name)
        if not value:
            return None
        date = self._dates.get(value)
        if date is not None:
            return date
        try:
            date = dt.date.fromisoformat(value[:10])
        except ValueError:
            self.warnings.append(
                _problem(
                    "bad_date",
                    f"{sentence(who)} : {_DATE_LABELS.get(name, name)} vaut « {value} », une "
                    "date AAAA-MM-JJ est attendue ; cette date est ignorée.",
                    f"Vérifiez cette date ({who}) dans EDT ou PRONOTE puis relancez l'export.",
                    ref=f"{ref} / {name}",
                )
            )
            return None
        if len(self._dates) < _MASKS_CACHED:
            self._dates[value] = date
        return date

    def _teacher(self, element: etree._Element) -> None:
        name = f"{_attr(element, 'Nom')} {_attr(element, 'Prenom')}".strip()
        ident = self._ident(element, "Professeur", name)
        if ident and self._unique(self.teachers, ident, "Professeur", name):
            self.teachers[ident] = Teacher(
                ident=ident,
                last_name=_attr(element, "Nom"),
                first_name=_attr(element, "Prenom"),
                birth_date=self._optional_date(
                    element,
                    "DateNaissance",
                    f"Professeur Ident={ident}",
                    f"le professeur « {name} »" if name else "un professeur sans nom",
                ),
                sts_id=_attr(element, "IDSTS"),
                idpn=_attr(element, "IDPN"),
                cas_id=_attr(element, "IDCAS"),
            )

    def _children(self, element: etree._Element, name: str) -> Iterable[etree._Element]:
        return (c for c in element if isinstance(c.tag, str) and _local(c) == name)

    def _class(self, element: etree._Element) -> None:
        name = _attr(element, "Nom")
        ident = self._ident(element, "Classe", name)
        if not ident or not self._unique(self.classes, ident, "Classe", name):
            return
        part_idents: list[str] = []
        for part in self._children(element, "PartieDeClasse"):
            part_name = f"partie de {name}" if name else ""
            part_ident = self._ident(part, "PartieDeClasse", part_name)
            if part_ident and self._unique(self.parts, part_ident, "PartieDeClasse", part_name):
                self.parts[part_ident] = ClassPart(ident=part_ident, class_ident=ident)
                part_idents.append(part_ident)
        self.classes[ident] = SourceClass(ident=ident, name=name, part_idents=tuple(part_idents))

    def _group(self, element: etree._Element) -> None:
        name = _attr(element, "Nom")
        ident = self._ident(element, "Groupe", name)
        if ident and self._unique(self.groups, ident, "Groupe", name):
            self.groups[ident] = Group(
                ident=ident,
                name=name,
                class_idents=tuple(_attr(c, "Ident") for c in self._children(element, "Classe")),
                part_idents=tuple(
                    _attr(p, "Ident") for p in self._children(element, "PartieDeClasse")
                ),
            )

    def _room(self, element: etree._Element) -> None:
        name = _attr(element, "Nom")
        ident = self._ident(element, "Salle", name)
        if ident and self._unique(self.rooms, ident, "Salle", name):
            self.rooms[ident] = Room(ident=ident, name=name)

    def _student(self, element: etree._Element) -> None:
        get = element.get
        last_name, first_name = (get("Nom") or "").strip(), (get("Prenom") or "").strip()
        full_name = f"{last_name} {first_name}".strip()
        ident = (get("Ident") or "").strip() or self._ident(element, "Eleve", full_name)
        if not ident:
            return
        ref = f"Eleve Ident={ident}"
        who = f"l'élève « {full_name} »" if full_name else "un élève sans nom"
        units: dict[str, list[etree._Element]] = {"Classe": [], "PartieDeClasse": []}
        for unit in element:
            if isinstance(unit.tag, str) and (found := units.get(_local(unit))) is not None:
                found.append(unit)
        enrolments: list[Enrolment] = []
        keys: list[_EnrolmentKey] = []
        for name, found in units.items():
            for unit in found:
                key = (name, _attr(unit, "Ident"), unit.get("DateEntree"), unit.get("DateSortie"))
                enrolment = self._enrolments.get(key)
                if enrolment is None:
                    enrolment = self._enrolment(unit, key, f"{ref} / {name} Ident={key[1]}", who)
                enrolments.append(enrolment)
                keys.append(key)
        birth = (get("DateNaissance") or "").strip()
        birth_date = self._dates.get(birth) if birth else None
        if birth and birth_date is None:
            birth_date = self._optional_date(element, "DateNaissance", ref, who)
        fields = (
            ident,
            last_name,
            first_name,
            birth_date,
            _SEX.get((get("Sexe") or "").strip().lower(), ""),
            (get("NumeroNational") or "").strip(),
            (get("IDSconet") or "").strip(),
            (get("IDPN") or "").strip(),
        )
        self.students.append(_RawStudent(fields, enrolments, tuple(keys)))

    def _enrolment(
        self,
        unit: etree._Element,
        key: _EnrolmentKey,
        unit_ref: str,
        who: str,
    ) -> Enrolment:
        """Read a student's enrolment in ``unit``; keep it for the next ones read alike."""
        warnings = len(self.warnings)
        last = self._optional_date(unit, "DateSortie", unit_ref, who)
        enrolment = Enrolment(
            kind=_UNIT_KINDS[key[0]],
            ident=key[1],
            start=self._optional_date(unit, "DateEntree", unit_ref, who),
            end=last + _ONE_DAY if last else None,
        )
        if len(self.warnings) == warnings and len(self._enrolments) < _MASKS_CACHED:
            self._enrolments[key] = enrolment
        return enrolment

    def _weeks(
        self, element: etree._Element, ref: str, where: Callable[[], str], *names: str
    ) -> frozenset[int] | None:
        """Read the first of the ``names`` attributes present as a week mask.

        ``where`` names the item for a warning; it is only called when there is one (a
        course's description costs more than reading its weeks).
        """
        for name in names:
            value = element.get(name)
            if value is None:
                continue
            weeks = self._masks.get(value)
            if weeks is not None:
                return weeks
            try:
                weeks = weeks_from_text(value)
            except WeekMaskError as exc:
                self.warnings.append(
                    _problem(
                        "bad_weeks",
                        f"{sentence(where())} : {exc} Cette donnée est ignorée.",
                        f"Vérifiez les semaines de ce cours dans EDT ou PRONOTE. {REEXPORT}",
                        ref=ref,
                    )
                )
                return None
            if len(self._masks) < _MASKS_CACHED:
                self._masks[value] = weeks
            return weeks
        return None

    def _course(self, element: etree._Element) -> None:
        ref = f"Cours n° {len(self.courses) + 1}"
        get = element.get
        raw = _RawCourse(
            ident=ref,
            day=(get("Jour") or "").strip(),
            first_place=(get("NumeroPlaceDebut") or "").strip(),
            places=(get("NombrePlaces") or "").strip(),
        )
        children = [(_local(c), c) for c in element if isinstance(c.tag, str)]
        # The subject and the audience name the course in warnings, whatever their order.
        for kind, child in children:
            if kind == "Matiere":
                raw.subject = raw.subject or _attr(child, "Ident")
            elif kind in ("Classe", "PartieDeClasse", "Groupe"):
                raw.audience.append((kind, _attr(child, "Ident")))
        cancelled = self._weeks(
            element,
            ref,
            lambda: f"{self._course_label(raw)} : semaines annulées",
            "SemainesAnnulation",
        )
        raw.cancelled = cancelled or frozenset()
        masks = self._masks
        for kind, child in children:
            if kind not in _RESOURCE_KINDS:
                continue
            ident = _attr(child, "Ident")
            value = child.get("Semaines")
            if value is None:
                value = child.get("SemainesInclusion")
            # A mask seen before was read without a warning: take it as it was read.
            weeks = masks.get(value) if value is not None else None
            if weeks is None:
                weeks = self._resource_weeks(raw, child, kind, ident)
            if weeks is not None:
                raw.resources.append((kind, ident, weeks))
        self.courses.append(raw)

    def _resource_weeks(
        self, raw: _RawCourse, child: etree._Element, kind: str, ident: str
    ) -> frozenset[int] | None:
        """Read the weeks of a course's resource, or warn and return ``None``."""
        item_ref = f"{raw.ident} / {kind} Ident={ident}"

        def where() -> str:
            name = self._name_of(kind, ident)
            item = f"{_KINDS[kind].the} « {name} »" if name else _KINDS[kind].an
            return f"{self._course_label(raw)}, {item}"

        if child.get("Semaines") is None and child.get("SemainesInclusion") is None:
            self.warnings.append(
                _problem(
                    "missing_weeks",
                    f"{sentence(where())} : aucune semaine n'est indiquée ; "
                    f"{_KINDS[kind].the} est {_KINDS[kind].ignored} pour ce cours.",
                    f"Vérifiez les semaines de ce cours dans EDT ou PRONOTE. {REEXPORT}",
                    ref=item_ref,
                )
            )
            return None
        return self._weeks(child, item_ref, where, "Semaines", "SemainesInclusion")

    def _course_label(
        self, raw: _RawCourse, times: tuple[int, dt.time, dt.time] | None = None
    ) -> str:
        """Describe ``raw`` as a manager finds it: subject, day, hours, classes and groups.

        While streaming, what the file gave before the course (subjects, grid, classes and
        groups precede the courses in an export) names it; the course's position in the file
        is the last resort.
        """
        subject = self._name_of("Matiere", raw.subject)
        day, start, end = times if times else (0, None, None)
        if times is None and is_number(raw.day) and self.grid is not None:
            day = int(raw.day)
            first = self.grid.slot(int(raw.first_place)) if is_number(raw.first_place) else None
            start = first.start if first else None
        audience = tuple(
            name for kind, ident in raw.audience if (name := self._name_of(kind, ident))
        )
        if not (subject or start or audience):
            return f"le {raw.ident.lower()} du fichier"
        return course_description(subject=subject, day=day, start=start, end=end, audience=audience)

    # --- resolution ------------------------------------------------------------------------

    def timetable(self, source_format: str) -> Timetable:
        if not self.root_checked:
            self._error("truncated", "Le fichier ne contient aucun élément.", ref=PAYLOAD_ROOT)
        if self.year is None and not any(p.ref == "AnneeScolaire" for p in self.errors):
            self._error(
                "missing_year",
                "L'export ne contient pas l'année scolaire (élément AnneeScolaire).",
                ref="AnneeScolaire",
            )
        if self.grid is None and not any(p.ref == "GrilleHoraire" for p in self.errors):
            self._error(
                "missing_grid",
                "L'export ne contient pas la grille horaire (élément GrilleHoraire).",
                ref="GrilleHoraire",
            )
        if self.errors or self.year is None or self.grid is None:
            raise TimetableInvalid(self.errors + self.warnings)
        self._check_groups()
        self._tables: dict[str, Mapping[str, object]] = {
            "Professeur": self.teachers,
            "Classe": self.classes,
            "PartieDeClasse": self.parts,
            "Groupe": self.groups,
            "Salle": self.rooms,
        }
        courses = [c for c in (self._resolve_course(raw, self.grid) for raw in self.courses) if c]
        if not courses:
            self.warnings.append(
                _problem(
                    "no_course",
                    "L'export ne contient aucun cours.",
                    "Vérifiez que l'emploi du temps est saisi dans EDT ou PRONOTE avant "
                    "d'exporter.",
                )
            )
        timetable = Timetable(
            source_format=source_format,
            uai=self.uai,
            year=self.year,
            format_version=self.version,
            grid=self.grid,
            subjects=self.subjects,
            teachers=self.teachers,
            classes=self.classes,
            parts=self.parts,
            groups=self.groups,
            rooms=self.rooms,
            students={raw.fields[0]: self._resolve_student(raw) for raw in self.students},
            courses=courses,
            closings=derive_closings(self.year, courses),
            warnings=self.warnings,
        )
        return timetable

    def _dangling(
        self, ref: str, kind: str, ident: str, *, who: str, link: str, what: str, check: str
    ) -> None:
        """Warn that ``who`` (a course, group or student) names an item absent from the file.

        ``link`` says how ``who`` relates to the item ("fait appel à", "contient"), ``what``
        what is dropped, ``check`` what to check in EDT or PRONOTE. The item's ``Ident`` goes
        only in the ``ref``, for support.
        """
        self.warnings.append(
            _problem(
                "unknown_ident",
                f"{sentence(who)} {link} {_KINDS[kind].missing} du fichier ; {what}.",
                f"Dans EDT ou PRONOTE, vérifiez {check} puis relancez l'export. {_SUPPORT}",
                ref=f"{ref} / {kind} Ident={ident}",
            )
        )

    def _check_groups(self) -> None:
        """Drop dangling members of groups; index groups by the classes and parts in them."""
        self._groups_of: dict[tuple[UnitKind, str], list[str]] = {}
        self._derived: dict[Enrolment, tuple[Enrolment, ...]] = {}
        for group in list(self.groups.values()):
            ref = f"Groupe Ident={group.ident}"
            who = f"le groupe « {group.name} »" if group.name else "un groupe sans nom"
            classes = tuple(i for i in group.class_idents if i in self.classes)
            parts = tuple(i for i in group.part_idents if i in self.parts)
            check = f"la composition {of(who)} (classes et parties de classe)"
            for ident in sorted(set(group.class_idents) - set(classes)):
                self._dangling(
                    ref,
                    "Classe",
                    ident,
                    who=who,
                    link="contient",
                    what="cette classe est ignorée dans le groupe",
                    check=check,
                )
            for ident in sorted(set(group.part_idents) - set(parts)):
                self._dangling(
                    ref,
                    "PartieDeClasse",
                    ident,
                    who=who,
                    link="contient",
                    what="cette partie de classe est ignorée dans le groupe",
                    check=check,
                )
            self.groups[group.ident] = Group(
                ident=group.ident, name=group.name, class_idents=classes, part_idents=parts
            )
            members = [(UnitKind.CLASS, i) for i in classes] + [(UnitKind.PART, i) for i in parts]
            for member in members:
                self._groups_of.setdefault(member, []).append(group.ident)

    def _resolve_student(self, raw: _RawStudent) -> Student:
        # Students enrolled alike (same units, same dates) get the same enrolments: they are
        # resolved once, unless a unit is unknown (the warning names each student).
        enrolments = self._resolved.get(raw.key)
        if enrolments is None:
            enrolments = self._resolve_enrolments(raw)
        return Student(*raw.fields, enrolments=enrolments)

    def _resolve_enrolments(self, raw: _RawStudent) -> tuple[Enrolment, ...]:
        tables: dict[UnitKind, Mapping[str, object]] = {
            UnitKind.CLASS: self.classes,
            UnitKind.PART: self.parts,
        }
        kept: list[Enrolment] = []
        for enrolment in raw.enrolments:
            if enrolment.ident in tables[enrolment.kind]:
                kept.append(enrolment)
            else:
                kind = "Classe" if enrolment.kind == UnitKind.CLASS else "PartieDeClasse"
                name = f"{raw.fields[1]} {raw.fields[2]}".strip()
                who = f"l'élève « {name} »" if name else "un élève sans nom"
                self._dangling(
                    f"Eleve Ident={raw.fields[0]}",
                    kind,
                    enrolment.ident,
                    who=who,
                    link="est inscrit dans",
                    what="cette inscription est ignorée",
                    check=f"les classes et parties de classe {of(who)}",
                )
        derived: list[Enrolment] = []
        for e in kept:
            # The students of a class mostly share its dates: its groups' enrolments are made
            # once per dates and shared (they are immutable).
            groups = self._derived.get(e)
            if groups is None:
                groups = self._derived[e] = tuple(
                    Enrolment(kind=UnitKind.GROUP, ident=group_ident, start=e.start, end=e.end)
                    for group_ident in self._groups_of.get((e.kind, e.ident), ())
                )
            derived += groups
        enrolments = tuple(dict.fromkeys(kept + derived))
        if len(kept) == len(raw.enrolments) and len(self._resolved) < _MASKS_CACHED:
            self._resolved[raw.key] = enrolments
        return enrolments

    def _resolve_course(self, raw: _RawCourse, grid: TimeGrid) -> Course | None:
        times = self._course_times(raw, grid)
        if times is None:
            return None
        if not raw.subject:
            self.warnings.append(
                _problem(
                    "unknown_ident",
                    f"{sentence(self._course_label(raw, times))} n'a pas de matière ; ce cours "
                    "est ignoré.",
                    "Dans EDT ou PRONOTE, donnez une matière à ce cours puis relancez l'export.",
                    ref=raw.ident,
                )
            )
            return None
        if raw.subject not in self.subjects:
            self._dangling(
                raw.ident,
                "Matiere",
                raw.subject,
                who=self._course_label(raw, times),
                link="porte sur",
                what="ce cours est ignoré",
                check="la matière de ce cours",
            )
            return None
        tables = self._tables
        by_kind: dict[str, list[Resource]] = {kind: [] for kind in tables}
        resources = self._resources
        for kind, ident, weeks in raw.resources:
            if ident in tables[kind]:
                # Equal resources of different courses are one (immutable) object.
                resource = resources.get((ident, weeks))
                if resource is None:
                    resource = Resource(ident=ident, weeks=weeks)
                    if len(resources) < _MASKS_CACHED:
                        resources[(ident, weeks)] = resource
                by_kind[kind].append(resource)
            else:
                self._dangling(
                    raw.ident,
                    kind,
                    ident,
                    who=self._course_label(raw, times),
                    link="fait appel à",
                    what=f"{_KINDS[kind].the} est {_KINDS[kind].ignored} pour ce cours",
                    check=f"{_KINDS[kind].the} de ce cours",
                )
        return Course(
            ident=raw.ident,
            day=times[0],
            start=times[1],
            end=times[2],
            subject_ident=raw.subject,
            teachers=tuple(by_kind["Professeur"]),
            classes=tuple(by_kind["Classe"]),
            parts=tuple(by_kind["PartieDeClasse"]),
            groups=tuple(by_kind["Groupe"]),
            rooms=tuple(by_kind["Salle"]),
            cancelled_weeks=raw.cancelled,
        )

    def _course_times(self, raw: _RawCourse, grid: TimeGrid) -> tuple[int, dt.time, dt.time] | None:
        numbers = (raw.day, raw.first_place, raw.places)
        times = self._times.get(numbers)
        if times is None:
            times = self._read_course_times(raw, grid)
            if times is not None and len(self._times) < _MASKS_CACHED:
                self._times[numbers] = times
        return times

    def _read_course_times(
        self, raw: _RawCourse, grid: TimeGrid
    ) -> tuple[int, dt.time, dt.time] | None:
        numbers = (raw.day, raw.first_place, raw.places)
        if not all(is_number(n) for n in numbers) or not 1 <= int(raw.day) <= 7:
            self.warnings.append(
                _problem(
                    "bad_course",
                    f"{sentence(self._course_label(raw))} : jour « {raw.day} », place "
                    f"« {raw.first_place} » ou nombre de places « {raw.places} » illisible ; ce "
                    "cours est ignoré.",
                    "Vérifiez ce cours dans EDT ou PRONOTE puis relancez l'export.",
                    ref=raw.ident,
                )
            )
            return None
        first, count = int(raw.first_place), max(int(raw.places), 1)
        # More places than the grid holds cannot all be in it (and a huge count must not
        # make the parser count to it).
        places = (
            [slot for n in range(first, first + count) if (slot := grid.slot(n))]
            if count <= len(grid.slots)
            else []
        )
        if len(places) != count:
            self.warnings.append(
                _problem(
                    "course_outside_grid",
                    f"{sentence(self._course_label(raw))} : les places {first} à "
                    f"{first + count - 1} ne sont pas toutes dans la grille horaire ; ce cours est "
                    "ignoré.",
                    "Vérifiez la grille horaire et ce cours dans EDT ou PRONOTE puis relancez "
                    "l'export.",
                    ref=raw.ident,
                )
            )
            return None
        return int(raw.day), places[0].start, places[-1].end


# The reader's method for each item, by tag. Held here, not as bound methods on the reader,
# which would make a reference cycle: the reader, and every record it collected, would then
# wait for the cycle collector instead of being freed as soon as the parse no longer needs it.
_ITEM_HANDLERS: dict[str, Callable[[_PayloadReader, etree._Element], None]] = {
    "Matiere": _PayloadReader._subject,
    "Professeur": _PayloadReader._teacher,
    "Classe": _PayloadReader._class,
    "Groupe": _PayloadReader._group,
    "Salle": _PayloadReader._room,
    "Eleve": _PayloadReader._student,
    "Cours": _PayloadReader._course,
}


def derive_closings(year: SchoolYearSpan, courses: Iterable[Course]) -> list[SourceClosing]:
    """Return the runs of school weeks without any active course, clipped to ``year``."""
    courses = list(courses)
    if not courses:
        return []
    active: set[int] = set()
    for course in courses:
        active |= course.weeks()
    first, last = year.week_of(year.start), year.last_week
    closings: list[SourceClosing] = []
    run_start: int | None = None
    for week in range(first, last + 2):
        idle = week <= last and week not in active
        if idle and run_start is None:
            run_start = week
        elif not idle and run_start is not None:
            closings.append(
                SourceClosing(
                    start=max(year.week_monday(run_start), year.start),
                    end=min(year.week_monday(week), year.end),
                    label=CLOSING_LABEL,
                )
            )
            run_start = None
    return closings
