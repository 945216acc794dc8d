"""Write a normalised :class:`~imports.timetable.Timetable` as an UnDeuxTEMPS zip.

Used by the synthetic generator and by tests; :mod:`imports.parsers.undeuxtemps` reads the
result back to the same dated occurrences (see ``undeuxtemps_format`` for the file subset).

How the normalised model is encoded (UDT has no per-resource week masks):

- **Weeks.** The content of every school week (its courses with the resources active that
  week, on the days that are open) is computed. The most frequent content becomes the
  theoretical ``UDCal_12.xml``; each week whose content differs gets ``UDCal_12_NN.xml`` and
  ``UDCal_23_NN.xml`` (always written, even empty, so the theoretical co-teaching never
  leaks into it), and NN is listed as a period start in ``semaines.xml`` after the first
  school week. Weeks A/B, replacement teachers, resources active some weeks only and
  cancelled weeks all come out of this.
- **Slots.** Each day's half-sequences are the pieces between all course and grid
  boundaries (grid places are split in two halves, as UDT's half-sequences are); one fiche
  per day and half-sequence. A course is one ligne per half-sequence it covers.
- **Audience.** A class is a ``div``; a class part and a group of exactly one class are a
  ``gpe`` of that division; any other group is a ``rgpmt``. A course with several classes,
  groups or rooms has one ligne per class/group per half-sequence, rooms spread over them.
- **Teachers.** ``prof`` is the first teacher; the others are ``coens`` of each ligne.
- **Ligne codes** start with a 3-digit number, consecutive along one course and with a gap
  between two courses of the same class/subject/teacher, so back-to-back lessons stay apart;
  then come the course's number (the same in every file) and the ligne's number in it.

Weekly files use the theoretical files' root elements, so identical weeks (all weeks B, say)
are byte-identical and compress alike; the zip members are sorted and stamped with
``exported_at``, so the same input always gives the same bytes.

Raises ValueError for what UDT cannot express: a course pointing at an unknown entity or with
no positive duration, or two courses of one subject and first teacher overlapping in the same
week (the parser joins lignes of one subject and teachers at the same time into one course).
"""

from __future__ import annotations

import datetime as dt
import itertools
import zipfile
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from imports.parsers import undeuxtemps_format as fmt
from imports.sessions import closed_days
from imports.timetable import Course, Group, Timetable, UnitKind

SITE = "1"
MAX_PREFIX = 999
MAX_ROWS_PER_UNIT = 999


@dataclass(frozen=True, order=True, slots=True)
class _Unit:
    """One course in one week, with the idents of the resources active that week."""

    day: int
    start: dt.time
    end: dt.time
    subject: str
    teachers: tuple[str, ...]
    classes: tuple[str, ...]
    parts: tuple[str, ...]
    groups: tuple[str, ...]
    rooms: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Audience:
    div: str = ""
    gpe: str = ""
    idgpe: str = ""
    rgpmt: str = ""


Content = tuple[_Unit, ...]


def write_undeuxtemps_zip(timetable: Timetable, path: Path, *, exported_at: dt.datetime) -> None:
    """Write ``timetable`` as an UnDeuxTEMPS zip at ``path`` (same input, same bytes).

    Raises ValueError when the timetable cannot be expressed in UnDeuxTEMPS.
    """
    members = _Encoder(timetable).members()
    _write_zip(path, members, exported_at)


def _write_zip(path: Path, members: dict[str, bytes], exported_at: dt.datetime) -> None:
    stamp = (max(exported_at.year, 1980), *exported_at.timetuple()[1:6])
    with zipfile.ZipFile(path, "w") as archive:
        for name in sorted(members):
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o100644 << 16
            archive.writestr(info, members[name], compresslevel=6)


def _xml(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _root(name: str) -> etree._Element:
    return etree.Element(name.removesuffix(".xml"))


class _Encoder:
    def __init__(self, timetable: Timetable) -> None:
        self.t = timetable
        year = timetable.year
        start_monday = year.start - dt.timedelta(days=year.start.weekday())
        self.week1 = min(year.week1_monday, start_monday)
        self.offset = (year.week1_monday - self.week1).days // 7
        self.last_week = (year.end - dt.timedelta(days=1) - self.week1).days // 7 + 1
        self.closed = closed_days(timetable.closings)
        self.subject_codes = _subject_codes(timetable)
        self.gpe_ids = self._gpe_ids()
        self.half_sequences: dict[int, list[tuple[dt.time, dt.time]]] = {}
        self.unit_numbers: dict[_Unit, int] = {}
        self.unit_width = 5
        self.fiche_codes: dict[tuple[int, int], str] = {}

    # Weeks

    def _date(self, week: int, day: int) -> dt.date:
        return self.week1 + dt.timedelta(days=7 * (week - 1) + day - 1)

    def _is_open(self, week: int, day: int) -> bool:
        date = self._date(week, day)
        return self.t.year.contains(date) and date not in self.closed

    def _restrict(self, content: Content, week: int) -> Content:
        return tuple(unit for unit in content if self._is_open(week, unit.day))

    def _contents(self) -> dict[int, Content]:
        units: dict[int, list[_Unit]] = defaultdict(list)
        for course in self.t.courses:
            self._check_course(course)
            for school_week in course.weeks():
                week = school_week + self.offset
                if 1 <= week <= self.last_week:
                    units[week].append(_unit(course, school_week))
        return {week: tuple(sorted(units[week])) for week in range(1, self.last_week + 1)}

    def _plan(self) -> tuple[Content, dict[int, Content]]:
        contents = self._contents()
        days = {unit.day for content in contents.values() for unit in content}
        weeks = list(contents)
        fully_open = [w for w in weeks if all(self._is_open(w, day) for day in days)]
        pool = fully_open or weeks
        counts = Counter(contents[w] for w in pool)
        theoretical = contents[max(pool, key=lambda w: (counts[contents[w]], -w))] if pool else ()
        weekly = {}
        for week in weeks:
            actual = self._restrict(contents[week], week)
            if actual != self._restrict(theoretical, week):
                weekly[week] = actual
        for content in (theoretical, *weekly.values()):
            _check_no_overlap(content)
        return theoretical, weekly

    # Checks and codes

    def _check_course(self, course: Course) -> None:
        known = (
            (course.teachers, self.t.teachers, "enseignant"),
            (course.classes, self.t.classes, "classe"),
            (course.parts, self.t.parts, "partie de classe"),
            (course.groups, self.t.groups, "groupe"),
            (course.rooms, self.t.rooms, "salle"),
        )
        if not 1 <= course.day <= 7 or course.end <= course.start:
            raise ValueError(f"course {course.ident}: no day 1-7 or no positive duration")
        if course.subject_ident not in self.t.subjects:
            raise ValueError(f"course {course.ident}: unknown subject {course.subject_ident}")
        for resources, entities, kind in known:
            for resource in resources:
                if resource.ident not in entities:
                    raise ValueError(f"course {course.ident}: unknown {kind} {resource.ident}")

    def _gpe_ids(self) -> dict[tuple[UnitKind, str], str]:
        """Give every UDT ``gpe`` (class parts and one-class groups) a unique ``id``."""
        ids: dict[tuple[UnitKind, str], str] = {}
        used: set[str] = set()
        for ident, group in sorted(self.t.groups.items()):
            if _is_division_group(group):
                ids[(UnitKind.GROUP, ident)] = ident
                used.add(ident)
        for ident in sorted(self.t.parts):
            gpe_id = ident if ident not in used else f"partie-{ident}"
            ids[(UnitKind.PART, ident)] = gpe_id
            used.add(gpe_id)
        return ids

    def _audiences(self, unit: _Unit) -> list[_Audience]:
        audiences = [_Audience(div=ident) for ident in unit.classes]
        for ident in unit.parts:
            gpe_id = self.gpe_ids[(UnitKind.PART, ident)]
            div = self.t.parts[ident].class_ident
            audiences.append(_Audience(div=div, gpe=gpe_id, idgpe=gpe_id))
        for ident in unit.groups:
            group = self.t.groups[ident]
            if _is_division_group(group):
                gpe_id = self.gpe_ids[(UnitKind.GROUP, ident)]
                audiences.append(_Audience(div=group.class_idents[0], gpe=gpe_id, idgpe=gpe_id))
            else:
                audiences.append(_Audience(rgpmt=ident))
        return audiences or [_Audience()]

    # Files

    def members(self) -> dict[str, bytes]:
        theoretical, weekly = self._plan()
        self.half_sequences = self._half_sequences([theoretical, *weekly.values()])
        units = sorted({unit for content in (theoretical, *weekly.values()) for unit in content})
        self.unit_numbers = {unit: number for number, unit in enumerate(units, start=1)}
        self.unit_width = max(5, len(str(len(units))))
        self.fiche_codes = self._fiche_codes()
        members = {
            fmt.CALENDAR: self._calendar(),
            fmt.PARAMETERS: self._parameters(),
            fmt.PERIODS: self._periods(weekly),
            fmt.ROOMS: self._rooms(),
            fmt.TEACHERS: self._teachers(),
            fmt.SUBJECTS: self._subjects(),
            fmt.HALF_SEQUENCES: self._half_sequence_file(),
            fmt.DIVISIONS: self._divisions(),
            fmt.STUDENTS: self._students(),
            fmt.GROUPS: self._groups(),
            fmt.REGROUPEMENTS: self._regroupements(),
            fmt.MEMBERSHIPS: self._memberships(),
            fmt.FICHES: self._fiches(),
        }
        members[fmt.LIGNES], members[fmt.CO_TEACHING] = self._lignes(theoretical, fmt.LIGNES)
        written: dict[Content, tuple[bytes, bytes]] = {}
        for week, content in weekly.items():
            iso_week = fmt.school_week_to_iso(week, self.week1)
            lignes_name = fmt.weekly_lignes_name(iso_week)
            if content not in written:
                written[content] = self._lignes(content, lignes_name)
            lignes, co_teaching = written[content]
            members[lignes_name] = lignes
            members[fmt.weekly_co_teaching_name(iso_week)] = co_teaching
        return members

    def _calendar(self) -> bytes:
        year = self.t.year
        root = _root(fmt.CALENDAR)
        calendar = etree.SubElement(root, "calendrier")
        etree.SubElement(calendar, "annee").text = str(year.start.year)
        etree.SubElement(calendar, "debut_eleve").text = fmt.format_date(year.start)
        last_day = year.end - dt.timedelta(days=1)
        etree.SubElement(calendar, "fin_eleve").text = fmt.format_date(last_day)
        for closing in sorted(self.t.closings, key=lambda c: (c.start, c.end, c.label)):
            attributes = {
                "debut": fmt.format_date(closing.start),
                "fin": fmt.format_date(closing.end - dt.timedelta(days=1)),
                "libelle": closing.label,
            }
            etree.SubElement(calendar, "fermeture", attributes)
        return _xml(root)

    def _parameters(self) -> bytes:
        root = _root(fmt.PARAMETERS)
        grid = self.t.grid
        attributes = {
            "premiere_semaine_ISO": str(self.week1.isocalendar().week),
            "duree_seq": str(grid.slot_minutes if grid and grid.slot_minutes else 60),
        }
        etree.SubElement(root, "init", attributes)
        return _xml(root)

    def _periods(self, weekly: dict[int, Content]) -> bytes:
        root = etree.Element("semaines")
        for week in [1, *sorted(w for w in weekly if w != 1)]:
            iso_week = fmt.school_week_to_iso(week, self.week1)
            etree.SubElement(root, "semaine", {"num": str(iso_week)})
        return _xml(root)

    def _rooms(self) -> bytes:
        root = _root(fmt.ROOMS)
        for code, room in sorted(self.t.rooms.items()):
            etree.SubElement(root, "salle", {"code": code, "nom": room.name})
        return _xml(root)

    def _teachers(self) -> bytes:
        root = _root(fmt.TEACHERS)
        for code, teacher in sorted(self.t.teachers.items()):
            attributes = {"code": code, "nom": teacher.last_name, "prenom": teacher.first_name}
            if teacher.birth_date:
                attributes["date_naissance"] = fmt.format_date(teacher.birth_date)
            attributes["epj"] = teacher.sts_id
            etree.SubElement(root, "prof", attributes)
        return _xml(root)

    def _subjects(self) -> bytes:
        root = _root(fmt.SUBJECTS)
        for ident, subject in sorted(self.t.subjects.items()):
            attributes = {"code": self.subject_codes[ident], "libelle": subject.label}
            etree.SubElement(root, "mat", attributes)
        return _xml(root)

    def _divisions(self) -> bytes:
        root = _root(fmt.DIVISIONS)
        for code, school_class in sorted(self.t.classes.items()):
            etree.SubElement(root, "div", {"code": code, "libelle": school_class.name})
        return _xml(root)

    def _students(self) -> bytes:
        root = _root(fmt.STUDENTS)
        for code, student in sorted(self.t.students.items()):
            attributes = {"code": code, "nom": student.last_name, "prenom": student.first_name}
            if student.birth_date:
                attributes["naissance"] = fmt.format_date(student.birth_date)
            etree.SubElement(root, "eleve", attributes)
        return _xml(root)

    def _groups(self) -> bytes:
        root = _root(fmt.GROUPS)
        rows = []
        for (kind, ident), gpe_id in self.gpe_ids.items():
            if kind is UnitKind.PART:
                part = self.t.parts[ident]
                rows.append((gpe_id, part.class_ident, self.t.part_name(ident)))
            else:
                group = self.t.groups[ident]
                rows.append((gpe_id, group.class_idents[0], group.name))
        for gpe_id, div, name in sorted(rows):
            attributes = {"code": gpe_id, "code_div": div, "id": gpe_id, "code_sts": name}
            etree.SubElement(root, "gpe", attributes)
        return _xml(root)

    def _regroupements(self) -> bytes:
        root = _root(fmt.REGROUPEMENTS)
        for ident, group in sorted(self.t.groups.items()):
            if _is_division_group(group):
                continue
            components = [(div, "") for div in group.class_idents]
            for part_ident in group.part_idents:
                part = self.t.parts.get(part_ident)
                if part is not None:
                    components.append((part.class_ident, self.gpe_ids[(UnitKind.PART, part_ident)]))
            for div, gpe in components or [("", "")]:
                attributes = {"code": ident, "nom": group.name, "code_div": div, "code_gpe": gpe}
                etree.SubElement(root, "rgpmt", {**attributes, "id": ident})
        return _xml(root)

    def _memberships(self) -> bytes:
        root = _root(fmt.MEMBERSHIPS)
        for code, student in sorted(self.t.students.items()):
            for enrolment in student.enrolments:
                target = self._membership_target(enrolment.kind, enrolment.ident)
                weeks = self._enrolment_iso_weeks(enrolment.start, enrolment.end)
                if target is None or not weeks:
                    continue
                gpe, div = target
                mask = str(fmt.iso_weeks_to_mask(weeks))
                attributes = {"ele": code, "gpe": gpe, "code_div": div, "semaines": mask}
                etree.SubElement(root, "ele_gpe", attributes)
        return _xml(root)

    def _membership_target(self, kind: UnitKind, ident: str) -> tuple[str, str] | None:
        if kind is UnitKind.CLASS:
            return ("", ident) if ident in self.t.classes else None
        if kind is UnitKind.PART:
            part = self.t.parts.get(ident)
            return (self.gpe_ids[(kind, ident)], part.class_ident) if part else None
        group = self.t.groups.get(ident)
        if group is None:
            return None
        if _is_division_group(group):
            return self.gpe_ids[(kind, ident)], group.class_idents[0]
        return ident, ""

    def _enrolment_iso_weeks(self, start: dt.date | None, end: dt.date | None) -> set[int]:
        year = self.t.year
        first = max(start or year.start, year.start)
        stop = min(end or year.end, year.end)
        if first >= stop:
            return set()
        first_week = (first - self.week1).days // 7 + 1
        last_week = (stop - dt.timedelta(days=1) - self.week1).days // 7 + 1
        return {
            fmt.school_week_to_iso(week, self.week1)
            for week in range(max(first_week, 1), min(last_week, self.last_week) + 1)
        }

    # Slots, fiches and lignes

    def _half_sequences(self, contents: list[Content]) -> dict[int, list[tuple[dt.time, dt.time]]]:
        intervals: dict[int, set[tuple[dt.time, dt.time]]] = defaultdict(set)
        for content in contents:
            for unit in content:
                intervals[unit.day].add((unit.start, unit.end))
        grid = self.t.grid
        if grid is not None:
            for day in grid.days:
                for slot in grid.slots:
                    intervals[day].update(_halves(slot.start, slot.end))
        pieces = {}
        for day, spans in sorted(intervals.items()):
            bounds = sorted({moment for span in spans for moment in span})
            pieces[day] = [
                (a, b)
                for a, b in itertools.pairwise(bounds)
                if any(s <= a and b <= e for s, e in spans)
            ]
        return pieces

    def _half_sequence_file(self) -> bytes:
        root = _root(fmt.HALF_SEQUENCES)
        for day, pieces in self.half_sequences.items():
            for number, (start, end) in enumerate(pieces, start=1):
                attributes = {
                    "code_jour": str(day),
                    "code": f"{number:02d}",
                    "code_site": SITE,
                    "hre_deb": fmt.format_time(start),
                    "hre_fin": fmt.format_time(end),
                }
                etree.SubElement(root, "demi_seq", attributes)
        return _xml(root)

    def _fiche_codes(self) -> dict[tuple[int, int], str]:
        codes: dict[tuple[int, int], str] = {}
        for day, pieces in self.half_sequences.items():
            for number in range(1, len(pieces) + 1):
                codes[(day, number)] = str(len(codes) + 1)
        return codes

    def _fiches(self) -> bytes:
        root = _root(fmt.FICHES)
        for (day, number), code in self.fiche_codes.items():
            attributes = {"code": code, "jour": str(day), "demi_seq": f"{number:02d}", "site": SITE}
            etree.SubElement(root, "fiche", attributes)
        return _xml(root)

    def _ligne_code(self, prefix: int, unit_number: int, row_number: int) -> str:
        """Return a ligne code: the 3-digit run number, then the course's number (the same in
        every file, so weekly files repeat the theoretical lignes word for word), then the
        ligne's number within the course."""
        if row_number > MAX_ROWS_PER_UNIT:
            raise ValueError(f"more than {MAX_ROWS_PER_UNIT} lignes for one course")
        return f"{prefix:03d}{unit_number:0{self.unit_width}d}{row_number:03d}"

    def _covered(self, unit: _Unit) -> list[int]:
        pieces = self.half_sequences[unit.day]
        return [n for n, (a, b) in enumerate(pieces, start=1) if unit.start <= a and b <= unit.end]

    def _lignes(self, content: Content, name: str) -> tuple[bytes, bytes]:
        fiche_codes = self.fiche_codes
        # Weekly files share the theoretical root names: identical weeks give identical bytes.
        lignes_root = _root(fmt.LIGNES)
        co_root = _root(fmt.CO_TEACHING)
        last_prefix: dict[tuple[str, ...], int] = {}
        for unit in content:
            numbers = self._covered(unit)
            mat = self.subject_codes[unit.subject]
            prof, co_teachers = (unit.teachers[0], unit.teachers[1:]) if unit.teachers else ("", ())
            audiences = self._audiences(unit)
            rows = list(zip(audiences, unit.rooms, strict=False))
            rows += [(audiences[0], room) for room in unit.rooms[len(audiences) :]]
            rows += [(audience, "") for audience in audiences[len(unit.rooms) :]]
            first_prefix: dict[tuple[str, ...], int] = {}
            unit_number = self.unit_numbers[unit]
            row_number = 0
            for audience, room in rows:
                key = (audience.div, mat, prof, audience.rgpmt, audience.gpe)
                if key not in first_prefix:
                    first_prefix[key] = last_prefix.get(key, -1) + 2
                    last_prefix[key] = first_prefix[key] + len(numbers) - 1
                    if last_prefix[key] > MAX_PREFIX:
                        raise ValueError(f"too many lignes for {key} in {name}")
                for offset, number in enumerate(numbers):
                    row_number += 1
                    code = self._ligne_code(first_prefix[key] + offset, unit_number, row_number)
                    attributes = {
                        "code": code,
                        "fic": fiche_codes[(unit.day, number)],
                        "div": audience.div,
                        "mat": mat,
                        "prof": prof,
                        "rgpmt": audience.rgpmt,
                        "gpe": audience.gpe,
                        "idgpe": audience.idgpe,
                        "salle": room,
                    }
                    etree.SubElement(lignes_root, "ligfiche", attributes)
                    for teacher in co_teachers:
                        epj = self.t.teachers[teacher].sts_id
                        attributes = {"lignefic": code, "prof": teacher, "epj": epj}
                        etree.SubElement(co_root, "coens", attributes)
        return _xml(lignes_root), _xml(co_root)


def _unit(course: Course, week: int) -> _Unit:
    def active(resources: tuple) -> tuple[str, ...]:
        return tuple(sorted({r.ident for r in resources if week in r.weeks}))

    return _Unit(
        day=course.day,
        start=course.start,
        end=course.end,
        subject=course.subject_ident,
        teachers=active(course.teachers),
        classes=active(course.classes),
        parts=active(course.parts),
        groups=active(course.groups),
        rooms=active(course.rooms),
    )


def _is_division_group(group: Group) -> bool:
    return len(group.class_idents) == 1 and not group.part_idents


def _subject_codes(timetable: Timetable) -> dict[str, str]:
    """Map subject idents to unique UDT ``mat`` codes (the subject's code when unique)."""
    counts = Counter(subject.code or ident for ident, subject in timetable.subjects.items())
    codes = {}
    for ident, subject in sorted(timetable.subjects.items()):
        code = subject.code or ident
        codes[ident] = code if counts[code] == 1 else f"{code}-{ident}"
    return codes


def _halves(start: dt.time, end: dt.time) -> list[tuple[dt.time, dt.time]]:
    day = dt.date(2000, 1, 3)
    begin, finish = dt.datetime.combine(day, start), dt.datetime.combine(day, end)
    middle = begin + (finish - begin) / 2
    middle -= dt.timedelta(seconds=middle.second, microseconds=middle.microsecond)
    if begin < middle < finish:
        return [(start, middle.time()), (middle.time(), end)]
    return [(start, end)] if begin < finish else []


def _check_no_overlap(content: Content) -> None:
    by_key: dict[tuple[int, str, tuple[str, ...]], list[_Unit]] = defaultdict(list)
    for unit in content:
        by_key[(unit.day, unit.subject, unit.teachers[:1])].append(unit)
    for (day, subject, teachers), units in by_key.items():
        units.sort(key=lambda u: (u.start, u.end))
        for before, after in itertools.pairwise(units):
            if after.start < before.end:
                raise ValueError(
                    f"UnDeuxTEMPS cannot express two courses of subject {subject} with "
                    f"first teacher {teachers} overlapping on day {day} "
                    f"({before.start}-{before.end} and {after.start}-{after.end})"
                )
