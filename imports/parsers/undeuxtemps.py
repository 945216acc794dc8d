"""Parse an UnDeuxTEMPS (UDT) publication zip into a normalised :class:`Timetable`.

The files and attributes read are listed in :mod:`imports.parsers.undeuxtemps_format`; the
zip is opened with :class:`~imports.parsers.safezip.SafeZip` (bounded, nothing on disk) and
every XML member with the hardened helpers of :mod:`ent.xmlsafe`. Unknown files, elements and
attributes are ignored; only the calendar (``UDCal_24.xml``) and the theoretical lignes
(``UDCal_12.xml``) are mandatory.

Weeks. The publication window runs from the first period start of ``semaines.xml`` (school
week 1 when there is none) to the week of ``fin_eleve``. ``UDCal_12.xml`` is the timetable of
every week of that window, except the weeks NN listed in ``semaines.xml`` that have a
``UDCal_12_NN.xml``: that file replaces it for week NN only (weekly files for unlisted weeks
are ignored with a warning). Each resource of a course is active on the weeks whose file has
it, so A/B weeks, replacements and one-off changes all land in the resources' week sets.

Courses. Within one file, lignes with the same division, subject, teacher, regroupement and
group (entcore's key) whose half-sequences follow each other on one day form one course; when
both ligne codes start with a 3-digit number, those numbers must also follow each other (two
back-to-back lessons stay apart). A single ligne is a course too (entcore drops it). Then the
courses of one fiche time range with the same subject and the same teachers (``prof`` plus
the ``coens`` of their lignes) are one course for all their classes, groups and rooms. A ligne
with a ``rgpmt`` is for that regroupement, one with a ``gpe`` for that group, otherwise for
its division.

Students. ``ele_gpe`` masks become enrolments: runs of consecutive weeks (gaps made only of
holiday weeks are bridged), from the Monday of the first week to the end of the last one,
clamped to the student year. A student in a group or division is also enrolled in the
regroupements that contain it.

Problems. Dangling references (a ligne pointing at an unknown fiche, subject, teacher,
division, group or room…) are WARNINGs with a ref such as
``UDCal_12.xml ligfiche code=00100001`` and the import goes on without them; a missing
calendar or lignes file, an unreadable XML file and bad calendar dates or times are ERRORs.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import operator
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import NamedTuple
from zoneinfo import ZoneInfo

from lxml import etree

from ent.xmlsafe import (
    PROLOG_SCAN_BYTES,
    UnsafeXmlError,
    check_prolog,
    check_tree,
    safe_parser,
    xml_syntax_error_fr,
)
from imports.parsers import undeuxtemps_format as fmt
from imports.parsers.base import FormatSpec, ParseContext, is_number
from imports.parsers.safezip import SafeZip
from imports.sessions import closed_days
from imports.timetable import (
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
)

PARIS = ZoneInfo("Europe/Paris")
SOFTWARE = "UnDeuxTEMPS"
_PREFIX = re.compile(r"^(\d{3})")
_REEXPORT = "Relancez la publication vers l'ENT depuis UnDeuxTEMPS et déposez le zip produit."


UNDEUXTEMPS = FormatSpec("UNDEUXTEMPS", "UnDeuxTEMPS")
ZIP_MAGIC = b"PK\x03\x04"


class UnDeuxTempsParser:
    """UnDeuxTEMPS publications: a zip of UDCal_*.xml files."""

    label = "UnDeuxTEMPS"
    description = "un export UnDeuxTEMPS (zip UDCal_*.xml)"
    suffixes: tuple[str, ...] = (".zip",)
    formats: tuple[FormatSpec, ...] = (UNDEUXTEMPS,)

    def sniff(self, head: bytes) -> bool:
        return head.startswith(ZIP_MAGIC)

    def parse(self, path: Path, *, filename: str, context: ParseContext) -> Timetable:
        return parse_undeuxtemps_zip(path, context=context, filename=filename)


UNDEUXTEMPS_PARSER = UnDeuxTempsParser()


def parse_undeuxtemps_zip(path: Path, *, context: ParseContext, filename: str = "") -> Timetable:
    """Parse the UnDeuxTEMPS zip at ``path`` (``filename``: the name it was deposited as).

    Raises TimetableInvalid when the zip or its mandatory content cannot be used.
    """
    with SafeZip(path, context.limits) as archive:
        files = _locate(archive.names)
        return _Parser(archive, files, filename or path.name).parse()


def _locate(names: list[str]) -> dict[str, str]:
    """Map lower-case UDT file names to members, from the root or the one folder holding them."""
    folders: dict[PurePosixPath, dict[str, str]] = defaultdict(dict)
    for name in names:
        member = PurePosixPath(name)
        if len(member.parts) <= 2:
            folders[member.parent].setdefault(member.name.lower(), name)
    holding = [folder for folder, files in folders.items() if fmt.CALENDAR.lower() in files]
    if not holding:
        raise TimetableInvalid.one(
            "udt_missing_calendar",
            f"Le zip ne contient pas le calendrier {fmt.CALENDAR} (à la racine ou dans un "
            "dossier) : ce n'est pas une publication UnDeuxTEMPS complète.",
            _REEXPORT,
            ref=fmt.CALENDAR,
        )
    if len(holding) > 1:
        raise TimetableInvalid.one(
            "udt_ambiguous_folders",
            f"Le zip contient plusieurs jeux de fichiers UnDeuxTEMPS ({len(holding)} dossiers "
            f"avec un {fmt.CALENDAR}).",
            "Déposez une seule publication UnDeuxTEMPS par zip.",
        )
    return folders[holding[0]]


class _Cell(NamedTuple):
    """The time range of a fiche (one half-sequence of one day); a tuple, so that the lignes
    of a key are grouped by cell at C speed."""

    day: int
    start: dt.time
    end: dt.time


@dataclass(slots=True)
class _Ligne:
    ref: str
    prefix: int | None
    cell: _Cell
    key: int  # the number of its (division, subject, teacher, regroupement, group)
    subject: str
    # A few codes each, in no order. Here and in pieces, tuples of strings rather than sets:
    # the garbage collector stops following them, and a parse builds tens of thousands.
    teachers: tuple[str, ...]
    classes: tuple[str, ...]
    groups: tuple[str, ...]
    rooms: tuple[str, ...]


@dataclass(slots=True)
class _Piece:
    """A course of one file: the lignes of one run, then of one time range, merged.

    Pieces are shared by the files that repeat them and never change once built: the keys
    they are joined and sorted by are computed once, with them.
    """

    ref: str
    day: int
    start: dt.time
    end: dt.time
    subject: str
    # Sorted codes (see _codes).
    teachers: tuple[str, ...]
    classes: tuple[str, ...]
    groups: tuple[str, ...]
    rooms: tuple[str, ...]
    # The pieces of one time range with the same subject and teachers are one course.
    range_key: tuple[int, dt.time, dt.time, str, tuple[str, ...]] = field(init=False)
    sort_key: tuple = field(init=False)

    def __post_init__(self) -> None:
        self.range_key = (self.day, self.start, self.end, self.subject, self.teachers)
        self.sort_key = (*self.range_key, self.classes, self.groups, self.rooms)


@dataclass(slots=True)
class _Accumulated:
    ref: str
    day: int
    start: dt.time
    end: dt.time
    subject: str
    weeks: dict[str, dict[str, set[int]]] = field(
        default_factory=lambda: {kind: defaultdict(set) for kind in _KINDS}
    )


_KINDS: tuple[str, ...] = ("teachers", "classes", "groups", "rooms")
_UNRESOLVED = object()
# One self-closing ligfiche element with double-quoted attributes alone on its line.
_LIGFICHE_LINE = re.compile(rb'\s*<ligfiche(?:\s+[A-Za-z_][\w.-]*\s*=\s*"[^"<]*")*\s*/>\s*')
_BLANK_LINE = re.compile(rb"\s*")
_CODE_ATTRIBUTE = re.compile(rb'\scode\s*=\s*"')
_ENCODING = re.compile(rb"""encoding\s*=\s*["']([^"']*)["']""")


@dataclass(slots=True)
class _LineBase:
    """The theoretical lignes file by lines: what precedes and follows its ligfiche lines, and
    the ligne of each ligfiche line (None: a ligne left out with a warning)."""

    head: list[bytes]
    tail: list[bytes]
    lignes: dict[bytes, _Ligne | None]
    codes: dict[bytes, str]  # each line's ligne code
    co_teachers: dict[str, set[str]]  # what the lignes were resolved with, by ligne code

    @classmethod
    def of(
        cls,
        data: bytes,
        at_line: list[tuple[int, str, _Ligne | None]],
        co_teachers: dict[str, set[str]],
    ) -> _LineBase | None:
        """Return the file's lines if each ligfiche element stands alone on its own line
        between the same head and tail, in UTF-8; None otherwise (weekly files are then
        parsed whole)."""
        lines = data.split(b"\n")
        declared = (
            _ENCODING.search(lines[0]) if lines and lines[0].lstrip().startswith(b"<?xml") else None
        )
        if declared and declared.group(1).lower().replace(b"-", b"") != b"utf8":
            return None
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return None
        ligfiche = [n for n, line in enumerate(lines) if _LIGFICHE_LINE.fullmatch(line)]
        if not ligfiche or len(ligfiche) != len(at_line):
            return None
        first, last = ligfiche[0], ligfiche[-1]
        middle = set(ligfiche)
        if any(n not in middle and not _BLANK_LINE.fullmatch(lines[n]) for n in range(first, last)):
            return None
        lignes: dict[bytes, _Ligne | None] = {}
        codes: dict[bytes, str] = {}
        for n, (sourceline, code, ligne) in zip(ligfiche, at_line, strict=True):
            # A ligne without a code is resolved afresh in each file: no shortcut for it.
            if sourceline != n + 1 or not _CODE_ATTRIBUTE.search(lines[n]):
                return None
            if lignes.get(lines[n], ligne) is not ligne:
                return None
            lignes[lines[n]], codes[lines[n]] = ligne, code
        return cls(lines[:first], lines[last + 1 :], lignes, codes, co_teachers)


# A ligfiche element's attributes (see _attributes_text) and the co-teachers of its code
# (sorted, joined by NUL).
_RowKey = tuple[str, str]
# The lignes of one key in one file and the pieces they make.
_CachedRuns = tuple[tuple[_Ligne, ...], list[_Piece]]


def _row(element: etree._Element) -> dict[str, str]:
    """Return an element's values by lower-case name: attributes, then child elements' text."""
    values = {key.lower(): value.strip() for key, value in element.items()}
    if len(element):
        for child in element:
            if isinstance(child.tag, str) and len(child) == 0:
                values.setdefault(_local_name(child.tag), (child.text or "").strip())
    return values


def _elements(root: etree._Element, tag: str) -> list[tuple[dict[str, str], int]]:
    """Return ``(values, line)`` of every element named ``tag`` (any case, any namespace)."""
    return [
        (_row(element), element.sourceline or 0)
        for element in root.iter(etree.Element)  # elements only: no comments, no PIs
        if _local_name(element.tag) == tag
    ]


@functools.lru_cache(maxsize=256)  # a file has a handful of tags, repeated on every element
def _local_name(tag: str) -> str:
    return tag.rpartition("}")[2].lower()


def _attributes_text(element: etree._Element) -> str:
    """Return an element's attribute names then values, in order, joined by NUL (which XML
    text never holds): equal for elements with the same attributes, and not a container the
    garbage collector has to follow."""
    return "\0".join(element.keys() + element.values())


def _recode_undeclared_windows_text(data: bytes) -> bytes | None:
    """Return ``data`` as UTF-8 if it is Windows-1252 text without an encoding declaration.

    A Windows program may write accented names in its own code page without saying so; lxml
    would then read them as broken UTF-8. Declared encodings are trusted as they are.
    """
    declaration = data[:200].split(b"?>", 1)[0] if data.lstrip().startswith(b"<?xml") else b""
    if b"encoding" in declaration:
        return None
    try:
        data.decode("utf-8")
        return None
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace").encode("utf-8")


def _week_bits(weeks: Iterable[int]) -> int:
    """Return school weeks (1 and up) as the bits of an int: a student's many memberships
    are joined with ``|`` rather than set unions."""
    bits = 0
    for week in weeks:
        bits |= 1 << week
    return bits


def _weeks_of_bits(bits: int) -> frozenset[int]:
    return frozenset(week for week in range(bits.bit_length()) if bits >> week & 1)


def _membership_ref(line: int) -> str:
    """The ref of a problem with the ``ele_gpe`` row at ``line`` (built only for a problem)."""
    return f"{fmt.MEMBERSHIPS} ele_gpe ligne {line}"


def _normalise_code(code: str) -> str:
    return str(int(code)) if is_number(code) else code


class _Parser:
    def __init__(self, archive: SafeZip, files: dict[str, str], filename: str) -> None:
        self.archive = archive
        self.files = files
        self.filename = filename
        self.warnings: list[Problem] = []
        self.dangling: dict[tuple[str, str, str], list[str]] = {}
        self.t: Timetable
        self.half_sequences: dict[tuple[int, str, str], _Cell] = {}
        self.fiches: dict[str, _Cell | None] = {}
        self.group_keys: dict[tuple[str, str], str] = {}
        self.rgpmt_idents: dict[str, str] = {}
        # (division, group code) → the regroupements that contain it ("" code: whole division)
        self.regroupements_of: dict[tuple[str, str], set[str]] = defaultdict(set)
        self.duree_seq = 0
        self.pieces_by_digest: dict[bytes, list[_Piece]] = {}
        self.lignes_by_row: dict[_RowKey, _Ligne | None] = {}
        self.runs_by_lignes: dict[tuple[int, ...], _CachedRuns] = {}
        # Pieces are shared between the files that repeat them: what is derived from a piece
        # (its merge with others of its time range, its sort key) is computed once, by id.
        self.merged: dict[tuple[int, ...], tuple[tuple[_Piece, ...], _Piece]] = {}
        self.line_base: _LineBase | None = None
        # Each (division, subject, teacher, regroupement, group) of a ligne, numbered.
        self.ligne_keys: dict[tuple[str, ...], int] = {}

    # Reading files

    def _rows(
        self, name: str, tag: str, data: bytes | None = None
    ) -> list[tuple[dict[str, str], int]]:
        """Return ``(values, line)`` of every ``tag`` element of file ``name`` (none if absent)."""
        root = self._document(name, data)
        return [] if root is None else _elements(root, tag)

    def _read(self, name: str) -> bytes | None:
        member = self.files.get(name.lower())
        return None if member is None else self.archive.read(member)

    def _document(self, name: str, data: bytes | None = None) -> etree._Element | None:
        if data is None:
            data = self._read(name)
        if data is None:
            return None
        try:
            check_prolog(data[:PROLOG_SCAN_BYTES])
            try:
                root = etree.fromstring(data, parser=safe_parser())
            except etree.XMLSyntaxError:
                recoded = _recode_undeclared_windows_text(data)
                if recoded is None:
                    raise
                root = etree.fromstring(recoded, parser=safe_parser())
            check_tree(root)
            return root
        except UnsafeXmlError as error:
            raise TimetableInvalid.one("unsafe_xml", str(error), _REEXPORT, ref=name) from None
        except etree.XMLSyntaxError as error:
            where, detail = xml_syntax_error_fr(error)
            raise TimetableInvalid.one(
                "udt_invalid_xml",
                f"Le fichier {name} du zip n'est pas un XML valide ({where}).",
                _REEXPORT,
                ref=name,
                detail=detail,
            ) from None

    def _warn(self, code: str, message: str, ref: str, action: str = "") -> None:
        self.warnings.append(
            Problem(code, message, action or _REEXPORT, ref=ref, severity=Severity.WARNING)
        )

    def _dangling(self, code: str, what: str, value: str, ref: str) -> None:
        self.dangling.setdefault((code, what, value), []).append(ref)

    # Whole file

    def parse(self) -> Timetable:
        year, closings = self._calendar()
        self.t = Timetable(
            source_format=UNDEUXTEMPS.value,
            uai="",
            year=year,
            software=SOFTWARE,
            closings=closings,
        )
        self._deposit_name()
        self._entities()
        self.t.grid = self._grid()
        self._fiches()
        self.t.courses = self._courses()
        self._students()
        self._flush_dangling()
        self.t.warnings = self.warnings
        return self.t

    def _deposit_name(self) -> None:
        match = fmt.DEPOSIT_NAME.match(PurePosixPath(self.filename).name)
        if match is None:
            return
        self.t.uai = match.group(1).upper()
        try:
            stamp = dt.datetime.strptime(match.group(2), "%Y%m%d%H%M%S")  # noqa: DTZ007
        except ValueError:
            return
        self.t.exported_at = stamp.replace(tzinfo=PARIS)

    # Calendar, parameters, periods

    def _calendar(self) -> tuple[SchoolYearSpan, list[SourceClosing]]:
        root = self._document(fmt.CALENDAR)
        if root is None:
            raise TimetableInvalid.one(
                "udt_missing_calendar",
                f"Le zip ne contient pas le calendrier {fmt.CALENDAR}.",
                _REEXPORT,
                ref=fmt.CALENDAR,
            )
        values: dict[str, str] = {}
        for element in root.iter():
            if not isinstance(element.tag, str):
                continue
            name = _local_name(element.tag)
            if name in ("annee", "debut_eleve", "fin_eleve") and (element.text or "").strip():
                values.setdefault(name, (element.text or "").strip())
            for key, value in element.attrib.items():
                if str(key).lower() in ("annee", "debut_eleve", "fin_eleve") and value.strip():
                    values.setdefault(str(key).lower(), value.strip())
        errors: list[Problem] = []
        start = self._calendar_date(values, "debut_eleve", errors)
        last = self._calendar_date(values, "fin_eleve", errors)
        if start and last and last < start:
            errors.append(
                Problem(
                    "udt_bad_calendar",
                    f"{fmt.CALENDAR} : la fin de l'année élèves ({fmt.format_date(last)}) "
                    f"précède son début ({fmt.format_date(start)}).",
                    "Corrigez les dates de l'année dans UnDeuxTEMPS puis republiez.",
                    ref=f"{fmt.CALENDAR} fin_eleve",
                )
            )
        closings = self._closings(root, errors)
        week1 = self._first_week(start, errors) if start else None
        if errors or start is None or last is None or week1 is None:
            raise TimetableInvalid(errors)
        year = SchoolYearSpan(start=start, end=last + dt.timedelta(days=1), week1_monday=week1)
        return year, closings

    def _calendar_date(
        self, values: dict[str, str], name: str, errors: list[Problem]
    ) -> dt.date | None:
        text = values.get(name, "")
        try:
            return fmt.parse_date(text)
        except ValueError:
            shown = f"« {text} »" if text else "absente"
            errors.append(
                Problem(
                    "udt_bad_date",
                    f"{fmt.CALENDAR} : la date {name} est {shown} ; une date jj/mm/aaaa est "
                    "attendue.",
                    "Vérifiez le calendrier de l'année dans UnDeuxTEMPS puis republiez.",
                    ref=f"{fmt.CALENDAR} {name}",
                )
            )
            return None

    def _closings(self, root: etree._Element, errors: list[Problem]) -> list[SourceClosing]:
        closings = []
        for values, line in _elements(root, "fermeture"):
            ref = f"{fmt.CALENDAR} fermeture ligne {line}"
            try:
                first = fmt.parse_date(values.get("debut", ""))
                last = fmt.parse_date(values.get("fin", ""))
            except ValueError:
                errors.append(
                    Problem(
                        "udt_bad_date",
                        f"{fmt.CALENDAR} : la période de fermeture (début « "
                        f"{values.get('debut', '')} », fin « {values.get('fin', '')} ») n'a pas "
                        "des dates jj/mm/aaaa.",
                        "Corrigez les périodes de fermeture dans UnDeuxTEMPS puis republiez.",
                        ref=ref,
                    )
                )
                continue
            if last < first:
                errors.append(
                    Problem(
                        "udt_bad_closing",
                        f"{fmt.CALENDAR} : la période de fermeture finit le "
                        f"{fmt.format_date(last)}, avant son début le {fmt.format_date(first)}.",
                        "Corrigez les périodes de fermeture dans UnDeuxTEMPS puis republiez.",
                        ref=ref,
                    )
                )
                continue
            label = values.get("libelle") or values.get("nom") or ""
            closings.append(SourceClosing(first, last + dt.timedelta(days=1), label))
        return sorted(closings, key=lambda c: (c.start, c.end, c.label))

    def _first_week(self, start: dt.date, errors: list[Problem]) -> dt.date | None:
        rows = self._rows(fmt.PARAMETERS, "init")
        values = rows[0][0] if rows else {}
        duree = values.get("duree_seq", "")
        if is_number(duree):
            self.duree_seq = int(duree)
        text = values.get("premiere_semaine_iso", "")
        if not text:
            return fmt.week1_monday(start, start.isocalendar().week)
        try:
            return fmt.week1_monday(start, int(text))
        except ValueError:
            errors.append(
                Problem(
                    "udt_bad_first_week",
                    f"{fmt.PARAMETERS} : premiere_semaine_ISO vaut « {text} », ce n'est pas "
                    "un numéro de semaine (1 à 53).",
                    "Vérifiez les paramètres de l'année dans UnDeuxTEMPS puis republiez.",
                    ref=f"{fmt.PARAMETERS} init",
                )
            )
            return None

    def _period_starts(self) -> list[int]:
        starts = set()
        for values, line in self._rows(fmt.PERIODS, "semaine"):
            week = self._school_week(values.get("num", ""))
            if week is None:
                self._warn(
                    "udt_bad_period",
                    f"{fmt.PERIODS} : la semaine « {values.get('num', '')} » n'est pas une "
                    "semaine de l'année scolaire ; elle est ignorée.",
                    f"{fmt.PERIODS} semaine ligne {line}",
                )
                continue
            starts.add(week)
        return sorted(starts)

    def _school_week(self, text: str) -> int | None:
        if not is_number(text.strip()):
            return None
        week = fmt.iso_to_school_week(int(text), self.t.year.week1_monday)
        if week is None or not 1 <= week <= self.t.year.last_week:
            return None
        return week

    # Directory entities

    def _entities(self) -> None:
        t = self.t
        for values, _ in self._rows(fmt.ROOMS, "salle"):
            if code := values.get("code", ""):
                t.rooms.setdefault(code, Room(code, values.get("nom") or code))
        for values, line in self._rows(fmt.TEACHERS, "prof"):
            if code := values.get("code", ""):
                birth = self._birth_date(values.get("date_naissance", ""), fmt.TEACHERS, line)
                teacher = Teacher(
                    ident=code,
                    last_name=values.get("nom", ""),
                    first_name=values.get("prenom", ""),
                    birth_date=birth,
                    sts_id=values.get("epj", ""),
                )
                t.teachers.setdefault(code, teacher)
        for values, _ in self._rows(fmt.SUBJECTS, "mat"):
            if code := values.get("code", ""):
                t.subjects.setdefault(
                    code, SourceSubject(code, code, values.get("libelle") or code)
                )
        for values, _ in self._rows(fmt.DIVISIONS, "div"):
            if code := values.get("code", ""):
                t.classes.setdefault(code, SourceClass(code, values.get("libelle") or code))
        self._groups()
        self._regroupements()

    def _birth_date(self, text: str, name: str, line: int) -> dt.date | None:
        if not text:
            return None
        try:
            return fmt.parse_date(text)
        except ValueError:
            self._warn(
                "udt_bad_birth_date",
                f"{name} : la date de naissance « {text} » n'est pas une date jj/mm/aaaa ; "
                "elle est ignorée.",
                f"{name} ligne {line}",
            )
            return None

    def _groups(self) -> None:
        for values, _ in self._rows(fmt.GROUPS, "gpe"):
            code, div = values.get("code", ""), values.get("code_div", "")
            ident = values.get("id") or (f"{div}/{code}" if div else code)
            if not code or ident in self.t.groups:
                continue
            if div and div not in self.t.classes:
                self._dangling(
                    "udt_unknown_division", "la division", div, f"{fmt.GROUPS} gpe code={code}"
                )
            name = values.get("code_sts") or values.get("libelle") or values.get("nom") or code
            classes = (div,) if div in self.t.classes else ()
            self.t.groups[ident] = Group(ident, name, class_idents=classes)
            self.group_keys[(div, code)] = ident
            self.group_keys.setdefault(("", ident), ident)

    def _regroupements(self) -> None:
        rows: dict[str, list[dict[str, str]]] = defaultdict(list)
        for values, _ in self._rows(fmt.REGROUPEMENTS, "rgpmt"):
            if code := values.get("code", ""):
                rows[code].append(values)
        for code, members in rows.items():
            ident = code if code not in self.t.groups else f"rgpmt-{code}"
            self.rgpmt_idents[code] = ident
            divisions = set()
            for values in members:
                div, gpe = values.get("code_div", ""), values.get("code_gpe", "")
                self.regroupements_of[(div, gpe)].add(ident)
                if div in self.t.classes:
                    divisions.add(div)
            name = next((v["nom"] for v in members if v.get("nom")), code)
            self.t.groups[ident] = Group(ident, name, class_idents=tuple(sorted(divisions)))

    def _group_ident(self, div: str, gpe: str) -> str | None:
        return self.group_keys.get((div, gpe)) or self.group_keys.get(("", gpe))

    # Grid and fiches

    def _grid(self) -> TimeGrid | None:
        errors: list[Problem] = []
        for values, line in self._rows(fmt.HALF_SEQUENCES, "demi_seq"):
            ref = f"{fmt.HALF_SEQUENCES} demi_seq ligne {line}"
            day_text, code = values.get("code_jour", ""), _normalise_code(values.get("code", ""))
            if not is_number(day_text) or not 1 <= int(day_text) <= 7 or not code:
                self._warn(
                    "udt_bad_half_sequence",
                    f"{fmt.HALF_SEQUENCES} : demi-séquence sans jour (1 à 7) ou sans code ; "
                    "elle est ignorée.",
                    ref,
                )
                continue
            cell = self._cell(int(day_text), values, ref, errors)
            if cell is not None:
                key = (cell.day, code, values.get("code_site", ""))
                self.half_sequences.setdefault(key, cell)
        if errors:
            raise TimetableInvalid(errors)
        if not self.half_sequences:
            return None
        slots: dict[int, Slot] = {}
        for (_, code, _), cell in sorted(self.half_sequences.items()):
            if is_number(code):
                slots.setdefault(int(code), Slot(int(code), cell.start, cell.end))
        days = tuple(sorted({day for day, _, _ in self.half_sequences}))
        minutes = self.duree_seq // 2  # the grid's slots are half-sequences
        return TimeGrid(
            days=days,
            slot_minutes=minutes,
            slots=tuple(sorted(slots.values(), key=lambda s: s.number)),
        )

    def _cell(
        self, day: int, values: dict[str, str], ref: str, errors: list[Problem]
    ) -> _Cell | None:
        start_text, end_text = values.get("hre_deb", ""), values.get("hre_fin", "")
        try:
            start = fmt.parse_time(start_text)
            if end_text:
                end = fmt.parse_time(end_text)
            elif self.duree_seq:
                moment = dt.datetime.combine(dt.date(2000, 1, 3), start)
                end = (moment + dt.timedelta(minutes=self.duree_seq / 2)).time()
            else:
                raise ValueError("no end")
        except ValueError:
            errors.append(
                Problem(
                    "udt_bad_time",
                    f"{fmt.HALF_SEQUENCES} : la demi-séquence a des horaires invalides (début "
                    f"« {start_text} », fin « {end_text} ») ; HH:MM est attendu.",
                    "Vérifiez la grille horaire dans UnDeuxTEMPS puis republiez.",
                    ref=ref,
                )
            )
            return None
        if end <= start:
            errors.append(
                Problem(
                    "udt_bad_time",
                    f"{fmt.HALF_SEQUENCES} : la demi-séquence finit ({fmt.format_time(end)}) "
                    f"avant de commencer ({fmt.format_time(start)}).",
                    "Vérifiez la grille horaire dans UnDeuxTEMPS puis republiez.",
                    ref=ref,
                )
            )
            return None
        return _Cell(day, start, end)

    def _fiches(self) -> None:
        by_slot: dict[tuple[int, str], list[_Cell]] = defaultdict(list)
        for (day, code, _), known in self.half_sequences.items():
            by_slot[(day, code)].append(known)
        for values, _ in self._rows(fmt.FICHES, "fiche"):
            code = values.get("code", "")
            if not code or code in self.fiches:
                continue
            day_text = values.get("jour", "")
            slot = _normalise_code(values.get("demi_seq", ""))
            day = int(day_text) if is_number(day_text) else 0
            cell = self.half_sequences.get((day, slot, values.get("site", "")))
            if cell is None and len(by_slot.get((day, slot), [])) == 1:
                cell = by_slot[(day, slot)][0]
            if cell is None:
                self._warn(
                    "udt_unknown_slot",
                    f"{fmt.FICHES} : la fiche {code} désigne une demi-séquence inconnue (jour "
                    f"« {day_text} », demi-séquence « {values.get('demi_seq', '')} ») ; ses "
                    "cours sont ignorés.",
                    f"{fmt.FICHES} fiche code={code}",
                )
            self.fiches[code] = cell

    # Courses

    def _courses(self) -> list[Course]:
        year = self.t.year
        starts = self._period_starts()
        window_start = starts[0] if starts else 1
        if fmt.LIGNES.lower() not in self.files:
            raise TimetableInvalid.one(
                "udt_missing_lignes",
                f"Le zip ne contient pas l'emploi du temps {fmt.LIGNES} (lignes de fiches).",
                _REEXPORT,
                ref=fmt.LIGNES,
            )
        theoretical = self._pieces(fmt.LIGNES, fmt.CO_TEACHING)
        weekly = self._weekly_pieces(set(starts))
        window = range(window_start, year.last_week + 1)
        sources = [(week, pieces, {week}) for week, pieces in weekly.items() if week in window]
        theoretical_weeks = {week for week in window if week not in weekly}
        if theoretical_weeks:
            sources.append((min(theoretical_weeks), theoretical, theoretical_weeks))
        accumulated: dict[tuple[int, int], _Accumulated] = {}
        # Each time range, subject and audience, numbered; and that number by piece id.
        numbers: dict[tuple, int] = {}
        bases: dict[int, int] = {}
        # (course key, piece id) → (piece, weeks): a piece repeated by several files is
        # spread over its course's resources once, with the union of those files' weeks.
        spread: dict[tuple[tuple[int, int], int], tuple[_Piece, set[int]]] = {}
        for _, pieces, weeks in sorted(sources, key=lambda source: source[0]):
            seen: dict[int, int] = defaultdict(int)
            for piece in pieces:
                base = bases.get(id(piece))
                if base is None:
                    audience = (
                        piece.day,
                        piece.start,
                        piece.end,
                        piece.subject,
                        piece.classes,
                        piece.groups,
                    )
                    base = bases[id(piece)] = numbers.setdefault(audience, len(numbers))
                key = (base, seen[base])
                seen[base] += 1
                if key not in accumulated:
                    accumulated[key] = _Accumulated(
                        piece.ref, piece.day, piece.start, piece.end, piece.subject
                    )
                slot = (key, id(piece))
                found = spread.get(slot)
                if found is None:
                    spread[slot] = (piece, set(weeks))
                else:
                    found[1].update(weeks)
        for (key, _), (piece, weeks) in spread.items():
            entry = accumulated[key]
            for kind, idents in (
                ("teachers", piece.teachers),
                ("classes", piece.classes),
                ("groups", piece.groups),
                ("rooms", piece.rooms),
            ):
                for ident in idents:
                    entry.weeks[kind][ident] |= weeks
        return _build_courses(accumulated.values())

    def _weekly_pieces(self, starts: set[int]) -> dict[int, list[_Piece]]:
        weekly = {}
        for lower, member in sorted(self.files.items()):
            match = fmt.WEEKLY_LIGNES.match(lower)
            if match is None:
                continue
            iso_week = int(match.group(1))
            name = PurePosixPath(member).name
            week = self._school_week(str(iso_week))
            if week is None or week not in starts:
                self._warn(
                    "udt_weekly_file_ignored",
                    f"Le fichier {name} est ignoré : la semaine {iso_week} n'est pas un début de "
                    f"période de {fmt.PERIODS} dans l'année scolaire.",
                    name,
                )
                continue
            co_teaching = fmt.weekly_co_teaching_name(iso_week)
            if co_teaching.lower() not in self.files:
                co_teaching = fmt.CO_TEACHING
            weekly[week] = self._pieces(name, co_teaching)
        return weekly

    def _co_teachers(self, name: str, data: bytes) -> dict[str, set[str]]:
        by_epj = {t.sts_id: ident for ident, t in self.t.teachers.items() if t.sts_id}
        co_teachers: dict[str, set[str]] = defaultdict(set)
        for values, _ in self._rows(name, "coens", data or None):
            ligne, prof, epj = (
                values.get("lignefic", ""),
                values.get("prof", ""),
                values.get("epj", ""),
            )
            teacher = prof if prof in self.t.teachers else by_epj.get(epj)
            if teacher is None:
                self._dangling(
                    "udt_unknown_teacher",
                    "l'enseignant",
                    prof or epj,
                    f"{name} coens lignefic={ligne}",
                )
                continue
            co_teachers[ligne].add(teacher)
        return co_teachers

    def _pieces(self, name: str, co_teaching: str) -> list[_Piece]:
        """Return the courses of one lignes file; identical files (same weeks A, say) are
        read once, and a weekly file is read as the lines it changes in the theoretical one
        when it can be (:meth:`_lignes_by_lines`)."""
        lignes_data, co_data = self._read(name) or b"", self._read(co_teaching) or b""
        digest = hashlib.sha256(lignes_data + b"\0" + co_data).digest()
        if digest in self.pieces_by_digest:
            return self.pieces_by_digest[digest]
        co_teachers = self._co_teachers(co_teaching, co_data)
        lignes = None
        if name.lower() != fmt.LIGNES.lower():
            lignes = self._lignes_by_lines(name, lignes_data, co_teachers)
        if lignes is None:
            lignes = self._lignes_by_elements(name, lignes_data, co_teachers)
        pieces = _merge_time_ranges(_runs(lignes, self.runs_by_lignes), self.merged)
        self.pieces_by_digest[digest] = pieces
        return pieces

    def _lignes_by_elements(
        self, name: str, data: bytes, co_teachers: dict[str, set[str]]
    ) -> list[_Ligne]:
        """Parse a lignes file whole; for the theoretical one, remember each line's ligne."""
        root = self._document(name, data)
        lignes = []
        at_line: list[tuple[int, str, _Ligne | None]] = []
        for element in root.iter() if root is not None else ():
            tag = element.tag
            if tag != "ligfiche" and not (isinstance(tag, str) and _local_name(tag) == "ligfiche"):
                continue
            ligne = self._resolve(name, element, co_teachers)
            at_line.append((element.sourceline or 0, (element.get("code") or "").strip(), ligne))
            if ligne is not None:
                lignes.append(ligne)
        if name.lower() == fmt.LIGNES.lower() and root is not None:
            self.line_base = _LineBase.of(data, at_line, co_teachers)
        return lignes

    def _resolve(
        self, name: str, element: etree._Element, co_teachers: dict[str, set[str]]
    ) -> _Ligne | None:
        """Resolve a ligne once per distinct row: weekly files repeat most theoretical lignes."""
        code = element.get("code")
        if code is None or len(element):
            return self._ligne(name, _row(element), co_teachers)
        co = co_teachers.get(code.strip()) if co_teachers else None
        key = (_attributes_text(element), "\0".join(sorted(co)) if co else "")
        ligne = self.lignes_by_row.get(key, _UNRESOLVED)
        if ligne is _UNRESOLVED:
            ligne = self.lignes_by_row[key] = self._ligne(name, _row(element), co_teachers)
        return ligne  # type: ignore[return-value]

    def _lignes_by_lines(
        self, name: str, data: bytes, co_teachers: dict[str, set[str]]
    ) -> list[_Ligne] | None:
        """Read a weekly lignes file as the theoretical file with other ligfiche lines.

        UnDeuxTEMPS writes one ``ligfiche`` element per line, and a weekly file repeats most
        lines of ``UDCal_12.xml``. When the weekly file has exactly the theoretical file's
        lines before and after its ligfiche lines, and every other line is one self-closing
        ``ligfiche`` element (or blank), it is that document with other elements in its root:
        only the lines the theoretical file lacks, or whose co-teachers differ in this week's
        co-teaching file, are parsed (with the same hardened parser). Otherwise return None
        and the file is parsed whole.
        """
        base = self.line_base
        if base is None:
            return None
        recast = {
            code
            for code in base.co_teachers.keys() | co_teachers.keys()
            if base.co_teachers.get(code, set()) != co_teachers.get(code, set())
        }
        lines = data.split(b"\n")
        head, tail = len(base.head), len(base.tail)
        if len(lines) < head + tail or lines[:head] != base.head:
            return None
        if lines[len(lines) - tail :] != base.tail:
            return None
        middle = lines[head : len(lines) - tail]
        known = base.lignes
        if recast:
            known = {line: ligne for line, ligne in known.items() if base.codes[line] not in recast}
        unknown = set(middle).difference(known)
        fresh = [
            line
            for line in dict.fromkeys(middle)  # in file order, once each
            if line in unknown and not _BLANK_LINE.fullmatch(line)
        ]
        if not all(_LIGFICHE_LINE.fullmatch(line) for line in fresh):
            return None
        parsed: dict[bytes, _Ligne | None] = {}
        if fresh:
            try:
                root = etree.fromstring(
                    b"<lignes>\n" + b"\n".join(fresh) + b"\n</lignes>", parser=safe_parser()
                )
            except etree.XMLSyntaxError:
                return None  # parsed whole, the file gets its own error message
            elements = [element for element in root if isinstance(element.tag, str)]
            if len(elements) != len(fresh):
                return None
            for line, element in zip(fresh, elements, strict=True):
                parsed[line] = self._resolve(name, element, co_teachers)
        resolved = known | parsed  # blank lines have no ligne
        return [ligne for ligne in map(resolved.get, middle) if ligne is not None]

    def _ligne(
        self, name: str, values: dict[str, str], co_teachers: dict[str, set[str]]
    ) -> _Ligne | None:
        t = self.t
        code = values.get("code", "")
        ref = f"{name} ligfiche code={code}"
        fiche = values.get("fic", "")
        if fiche not in self.fiches:
            self._dangling("udt_unknown_fiche", "la fiche", fiche, ref)
            return None
        cell = self.fiches[fiche]
        mat = values.get("mat", "")
        if mat not in t.subjects:
            self._dangling("udt_unknown_subject", "la matière", mat, ref)
            return None
        if cell is None:
            return None
        div, prof, salle = values.get("div", ""), values.get("prof", ""), values.get("salle", "")
        rgpmt, gpe = values.get("rgpmt", ""), values.get("gpe", "") or values.get("idgpe", "")
        teachers = set(co_teachers.get(code, ()))
        if prof in t.teachers:
            teachers.add(prof)
        elif prof:
            self._dangling("udt_unknown_teacher", "l'enseignant", prof, ref)
        rooms: tuple[str, ...] = ()
        if salle in t.rooms:
            rooms = (salle,)
        elif salle:
            self._dangling("udt_unknown_room", "la salle", salle, ref)
        classes: tuple[str, ...] = ()
        groups: tuple[str, ...] = ()
        if rgpmt:
            if rgpmt in self.rgpmt_idents:
                groups = (self.rgpmt_idents[rgpmt],)
            else:
                self._dangling("udt_unknown_regroupement", "le regroupement", rgpmt, ref)
        elif gpe:
            ident = self.group_keys.get(("", values.get("idgpe", ""))) or self._group_ident(
                div, gpe
            )
            if ident is not None:
                groups = (ident,)
            else:
                self._dangling("udt_unknown_group", "le groupe", f"{div}/{gpe}", ref)
        elif div in t.classes:
            classes = (div,)
        elif div:
            self._dangling("udt_unknown_division", "la division", div, ref)
        prefix = _PREFIX.match(code)
        key = (div, mat, prof, rgpmt, gpe)
        return _Ligne(
            ref=ref,
            prefix=int(prefix.group(1)) if prefix else None,
            cell=cell,
            key=self.ligne_keys.setdefault(key, len(self.ligne_keys)),
            subject=mat,
            teachers=tuple(teachers),
            classes=classes,
            groups=groups,
            rooms=rooms,
        )

    # Students

    def _students(self) -> None:
        t = self.t
        raw: dict[str, dict[str, str]] = {}
        lines: dict[str, int] = {}
        for values, line in self._rows(fmt.STUDENTS, "eleve"):
            if (code := values.get("code", "")) and code not in raw:
                raw[code], lines[code] = values, line
        weeks = self._membership_weeks(raw)
        holidays = self._holiday_weeks()
        school_weeks = frozenset(range(1, t.year.last_week + 1))
        # Most students share their units and week sets (a whole class, weeks A, …): the
        # periods of a week set, and the enrolments in a unit over them, are built once.
        periods: dict[int, list[tuple[dt.date, dt.date]]] = {}
        shared: dict[tuple[UnitKind, str, int], tuple[Enrolment, ...]] = {}
        for code, values in raw.items():
            enrolments: list[Enrolment] = []
            for (kind, ident), week_bits in sorted(weeks.get(code, {}).items()):
                unit_enrolments = shared.get((kind, ident, week_bits))
                if unit_enrolments is None:
                    spans = periods.get(week_bits)
                    if spans is None:
                        spans = periods[week_bits] = _periods(
                            t.year, _weeks_of_bits(week_bits), holidays, school_weeks
                        )
                    unit_enrolments = shared[(kind, ident, week_bits)] = tuple(
                        Enrolment(kind, ident, start, end) for start, end in spans
                    )
                enrolments.extend(unit_enrolments)
            t.students[code] = Student(
                ident=code,
                last_name=values.get("nom", ""),
                first_name=values.get("prenom", ""),
                birth_date=self._birth_date(values.get("naissance", ""), fmt.STUDENTS, lines[code]),
                enrolments=tuple(enrolments),
            )

    def _membership_weeks(
        self, students: dict[str, dict[str, str]]
    ) -> dict[str, dict[tuple[UnitKind, str], int]]:
        """Return each student's units with their school weeks as bits (see _week_bits)."""
        weeks: dict[str, dict[tuple[UnitKind, str], int]] = defaultdict(lambda: defaultdict(int))
        week1 = self.t.year.week1_monday
        school_week_of = {iso: fmt.iso_to_school_week(iso, week1) for iso in range(1, 54)}
        by_mask: dict[str, int] = {}
        # (division, group) → what a membership in it enrols in; unknown units are not kept,
        # so that each of their rows is reported.
        targets_of: dict[tuple[str, str], list[tuple[UnitKind, str]]] = {}
        for values, line in self._rows(fmt.MEMBERSHIPS, "ele_gpe"):
            student = values.get("ele", "")
            if student not in students:
                self._dangling("udt_unknown_student", "l'élève", student, _membership_ref(line))
                continue
            mask_text = values.get("semaines", "")
            if not is_number(mask_text):
                known = students[student]
                name = f"{known.get('nom', '')} {known.get('prenom', '')}".strip()
                self._warn(
                    "udt_bad_week_mask",
                    f"{fmt.MEMBERSHIPS} : le masque de semaines « {mask_text} » de l'élève "
                    f"« {name or student} » n'est pas un nombre ; l'appartenance est ignorée.",
                    _membership_ref(line),
                )
                continue
            school_weeks = by_mask.get(mask_text)
            if school_weeks is None:
                school_weeks = by_mask[mask_text] = _week_bits(
                    week
                    for iso_week in fmt.mask_to_iso_weeks(int(mask_text))
                    if (week := school_week_of.get(iso_week)) is not None
                )
            unit = (values.get("code_div", ""), values.get("gpe", ""))
            targets = targets_of.get(unit)
            if targets is None:
                targets = self._membership_targets(*unit, line)
                if targets:
                    targets_of[unit] = targets
            student_weeks = weeks[student]
            for target in targets:
                student_weeks[target] |= school_weeks
        return weeks

    def _membership_targets(self, div: str, gpe: str, line: int) -> list[tuple[UnitKind, str]]:
        targets: list[tuple[UnitKind, str]] = []
        if gpe:
            ident = self._group_ident(div, gpe)
            if ident is not None:
                targets.append((UnitKind.GROUP, ident))
            elif gpe in self.rgpmt_idents:
                return [(UnitKind.GROUP, self.rgpmt_idents[gpe])]
            else:
                self._dangling(
                    "udt_unknown_group", "le groupe", f"{div}/{gpe}", _membership_ref(line)
                )
                return []
        elif div in self.t.classes:
            targets.append((UnitKind.CLASS, div))
        else:
            self._dangling("udt_unknown_division", "la division", div, _membership_ref(line))
            return []
        for ident in sorted(self.regroupements_of.get((div, gpe), ())):
            targets.append((UnitKind.GROUP, ident))
        return targets

    def _holiday_weeks(self) -> set[int]:
        """Weeks whose Monday to Friday are all closed (or outside the student year)."""
        year = self.t.year
        closed = closed_days(self.t.closings)
        holidays = set()
        for week in range(1, year.last_week + 1):
            days = [year.day(week, weekday) for weekday in range(1, 6)]
            if all(day in closed or not year.contains(day) for day in days):
                holidays.add(week)
        return holidays

    # Problems

    def _flush_dangling(self) -> None:
        for (code, what, value), refs in self.dangling.items():
            shown = f"« {value} »" if value else "(vide)"
            more = f" (et {len(refs) - 1} autres références)" if len(refs) > 1 else ""
            self._warn(
                code,
                f"{refs[0].split(' ')[0]} : {what} {shown} n'existe pas dans la publication ; "
                f"la référence est ignorée{more}.",
                refs[0],
                "Vérifiez les données de base dans UnDeuxTEMPS (codes des enseignants, "
                "matières, divisions, groupes, salles) puis republiez.",
            )


def _runs(lignes: list[_Ligne], cache: dict[tuple[int, ...], _CachedRuns]) -> list[_Piece]:
    """Join lignes of one key on consecutive half-sequences of a day into pieces.

    ``cache`` keeps the pieces of each key's lignes (by identity: resolved lignes are shared
    between files), so the runs of a key that several weekly files repeat are built once.
    """
    by_key: dict[int, list[_Ligne]] = defaultdict(list)
    for ligne in lignes:
        by_key[ligne.key].append(ligne)
    pieces = []
    for members in by_key.values():
        identity = tuple(map(id, members))
        cached = cache.get(identity)
        if cached is None:
            # The lignes are kept with their pieces so that their ids stay unique.
            cached = cache[identity] = (tuple(members), _key_runs(members))
        pieces.extend(cached[1])
    return pieces


def _key_runs(lignes: list[_Ligne]) -> list[_Piece]:
    cells: dict[_Cell, list[_Ligne]] = defaultdict(list)
    for ligne in lignes:
        cells[ligne.cell].append(ligne)
    pieces = []
    run: list[tuple[_Cell, list[_Ligne]]] = []
    for cell, members in sorted(cells.items(), key=lambda item: (item[0].day, item[0].start)):
        if run and not _follows(run[-1], (cell, members)):
            pieces.append(_piece(run))
            run = []
        run.append((cell, members))
    if run:
        pieces.append(_piece(run))
    return pieces


def _follows(before: tuple[_Cell, list[_Ligne]], after: tuple[_Cell, list[_Ligne]]) -> bool:
    (cell_a, lignes_a), (cell_b, lignes_b) = before, after
    if cell_a.day != cell_b.day or cell_a.end != cell_b.start:
        return False
    prefixes_a = {ligne.prefix for ligne in lignes_a}
    prefixes_b = {ligne.prefix for ligne in lignes_b}
    if None in prefixes_a or None in prefixes_b:
        return True
    return any(prefix + 1 in prefixes_b for prefix in prefixes_a if prefix is not None)


def _piece(run: list[tuple[_Cell, list[_Ligne]]]) -> _Piece:
    lignes = [ligne for _, members in run for ligne in members]
    return _Piece(
        ref=min(ligne.ref for ligne in lignes),
        day=run[0][0].day,
        start=run[0][0].start,
        end=run[-1][0].end,
        subject=lignes[0].subject,
        teachers=_codes(ligne.teachers for ligne in lignes),
        classes=_codes(ligne.classes for ligne in lignes),
        groups=_codes(ligne.groups for ligne in lignes),
        rooms=_codes(ligne.rooms for ligne in lignes),
    )


def _codes(parts: Iterable[tuple[str, ...]]) -> tuple[str, ...]:
    """Return the distinct codes of ``parts``, sorted."""
    return tuple(sorted(set().union(*parts)))


def _merge_time_ranges(
    pieces: list[_Piece], merged_cache: dict[tuple[int, ...], tuple[tuple[_Piece, ...], _Piece]]
) -> list[_Piece]:
    """Join pieces of one time range, subject and teachers into one course for all audiences.

    The pieces are not changed (they may be shared with other files): joined ones are new,
    and the same pieces joined in another file give the same joined piece (``merged_cache``,
    by the pieces' ids).
    """
    same_range: dict[tuple, list[_Piece]] = defaultdict(list)
    for piece in pieces:
        same_range[piece.range_key].append(piece)
    merged = []
    for group in same_range.values():
        if len(group) == 1:
            merged.append(group[0])
            continue
        identity = tuple(map(id, group))
        cached = merged_cache.get(identity)
        if cached is None:
            first = min(group, key=lambda p: p.ref)
            joined = _Piece(
                ref=first.ref,
                day=first.day,
                start=first.start,
                end=first.end,
                subject=first.subject,
                teachers=first.teachers,
                classes=_codes(p.classes for p in group),
                groups=_codes(p.groups for p in group),
                rooms=_codes(p.rooms for p in group),
            )
            # The members are kept with the joined piece so that their ids stay unique.
            cached = merged_cache[identity] = (tuple(group), joined)
        merged.append(cached[1])
    merged.sort(key=_SORT_KEY)
    return merged


_SORT_KEY = operator.attrgetter("sort_key")


def _build_courses(entries: Iterable[_Accumulated]) -> list[Course]:
    courses = []
    used: set[str] = set()
    # Resources repeat from course to course (a teacher or a class all year long): each
    # distinct one is kept once, which spares memory and the garbage collector's time.
    distinct: dict[Resource, Resource] = {}
    for entry in entries:
        ident = entry.ref
        suffix = 2
        while ident in used:
            ident, suffix = f"{entry.ref} #{suffix}", suffix + 1
        used.add(ident)

        def resources(kind: str, entry: _Accumulated = entry) -> tuple[Resource, ...]:
            return tuple(
                distinct.setdefault(resource, resource)
                for resource in (
                    Resource(ident, frozenset(weeks))
                    for ident, weeks in sorted(entry.weeks[kind].items())
                )
            )

        courses.append(
            Course(
                ident=ident,
                day=entry.day,
                start=entry.start,
                end=entry.end,
                subject_ident=entry.subject,
                teachers=resources("teachers"),
                classes=resources("classes"),
                groups=resources("groups"),
                rooms=resources("rooms"),
            )
        )
    return courses


def _periods(
    year: SchoolYearSpan, weeks: frozenset[int], holidays: set[int], school_weeks: frozenset[int]
) -> list[tuple[dt.date, dt.date]]:
    """Turn a set of school weeks into enrolment periods, clamped to the student year."""
    runs: list[tuple[int, int]] = []
    for week in sorted(weeks & school_weeks):
        if runs and (
            week == runs[-1][1] + 1 or all(gap in holidays for gap in range(runs[-1][1] + 1, week))
        ):
            runs[-1] = (runs[-1][0], week)
        else:
            runs.append((week, week))
    periods = []
    for first, last in runs:
        start = max(year.week_monday(first), year.start)
        end = min(year.week_monday(last + 1), year.end)
        if start < end:
            periods.append((start, end))
    return periods
