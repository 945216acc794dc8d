"""UnDeuxTEMPS test material: a feature-rich normalised timetable and hand-written zips.

:func:`feature_timetable` exercises everything the writer must encode: A/B weeks, a
replacement teacher, a room used some weeks only, co-teaching, class parts, a one-class group
and a cross-class group, a course for two classes in two rooms, back-to-back lessons, a
half-hour lesson, a teacherless lesson, Saturday lessons, cancelled weeks, closings, student
enrolments and a group sharing its ident with a class part. The school year runs from Monday
2 September 2024 (ISO week 36, school week 1) to Friday 4 July 2025 (school week 44).

:data:`MINIMAL` is a tiny publication written by hand in the documented subset; tests change
it (drop a file, add a ligne) and zip it with :func:`write_zip`.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

from imports.parsers.registry import SourceFormat
from imports.timetable import (
    ClassPart,
    Course,
    Enrolment,
    Group,
    Resource,
    Room,
    SchoolYearSpan,
    Slot,
    SourceClass,
    SourceClosing,
    SourceSubject,
    Student,
    Teacher,
    TimeGrid,
    Timetable,
    UnitKind,
)

YEAR = SchoolYearSpan(
    start=dt.date(2024, 9, 2), end=dt.date(2025, 7, 5), week1_monday=dt.date(2024, 9, 2)
)
ALL = frozenset(range(1, YEAR.last_week + 1))
WEEKS_A = frozenset(w for w in ALL if w % 2 == 1)
WEEKS_B = ALL - WEEKS_A
CLOSINGS = [
    SourceClosing(dt.date(2024, 10, 19), dt.date(2024, 11, 4), "Vacances de la Toussaint"),
    SourceClosing(dt.date(2024, 11, 11), dt.date(2024, 11, 12), "Armistice"),
    SourceClosing(dt.date(2024, 12, 21), dt.date(2025, 1, 6), "Vacances de Noël"),
    SourceClosing(dt.date(2025, 2, 15), dt.date(2025, 3, 3), "Vacances d'hiver"),
    SourceClosing(dt.date(2025, 4, 12), dt.date(2025, 4, 28), "Vacances de printemps"),
]
# School weeks whose Monday to Friday are all closed.
HOLIDAY_WEEKS = frozenset({8, 9, 17, 18, 25, 26, 33, 34})
GRID = TimeGrid(
    days=(1, 2, 3, 4, 5, 6),
    slot_minutes=55,
    slots=(
        Slot(1, dt.time(8, 0), dt.time(8, 55)),
        Slot(2, dt.time(8, 55), dt.time(9, 50)),
        Slot(3, dt.time(10, 5), dt.time(11, 0)),
        Slot(4, dt.time(11, 0), dt.time(11, 55)),
        Slot(5, dt.time(13, 30), dt.time(14, 25)),
        Slot(6, dt.time(14, 25), dt.time(15, 20)),
    ),
)


def _course(
    ident: str,
    day: int,
    start: tuple[int, int],
    end: tuple[int, int],
    subject: str,
    **resources: tuple[Resource, ...] | frozenset[int],
) -> Course:
    return Course(
        ident=ident,
        day=day,
        start=dt.time(*start),
        end=dt.time(*end),
        subject_ident=subject,
        **resources,  # type: ignore[arg-type]
    )


def _all(*idents: str) -> tuple[Resource, ...]:
    return tuple(Resource(ident, ALL) for ident in idents)


def feature_timetable() -> Timetable:
    replaced = frozenset(range(12, 15))
    return Timetable(
        source_format=SourceFormat.INDEX_EDUCATION,
        uai="0750001A",
        year=YEAR,
        software="générateur",
        grid=GRID,
        subjects={
            "M1": SourceSubject("M1", "MATHS", "Mathématiques"),
            "M2": SourceSubject("M2", "FRANC", "Français"),
            "M3": SourceSubject("M3", "ANG1", "Anglais LV1"),
            "M4": SourceSubject("M4", "ESP2", "Espagnol LV2"),
            "M5": SourceSubject("M5", "SVT", "Sciences de la vie et de la Terre"),
            "M6": SourceSubject("M6", "VIE", "Heure de vie de classe"),
            "M7": SourceSubject("M7", "PERM", "Permanence"),
        },
        teachers={
            "P1": Teacher("P1", "Martin", "Claire", dt.date(1980, 4, 2), sts_id="1001"),
            "P2": Teacher("P2", "Lefèvre", "Éric", dt.date(1975, 11, 30), sts_id="1002"),
            "P3": Teacher("P3", "N'Diaye", "Awa", None, sts_id="1003"),
            "P4": Teacher("P4", "Dubois-Laurent", "Jean-Marc", dt.date(1990, 1, 15)),
            "P5": Teacher("P5", "Rousseau", "Léa", dt.date(1988, 6, 6), sts_id="1005"),
        },
        classes={
            "C1": SourceClass("C1", "6A", part_idents=("H1", "H2")),
            "C2": SourceClass("C2", "6B"),
        },
        parts={
            "H1": ClassPart("H1", "C1", "6A groupe 1"),
            "H2": ClassPart("H2", "C1", ""),
        },
        groups={
            "G1": Group("G1", "6B LATIN", class_idents=("C2",)),
            "G2": Group("G2", "ESP 6AB", class_idents=("C1", "C2")),
            # EDT style: a group made of one class part, sharing the part's ident.
            "H2": Group("H2", "6A GR2", part_idents=("H2",)),
        },
        rooms={
            "R1": Room("R1", "Salle 101"),
            "R2": Room("R2", "Salle 102"),
            "R3": Room("R3", "Labo SVT"),
            "R4": Room("R4", "CDI"),
        },
        students={
            "E1": Student(
                "E1",
                "Bernard",
                "Lucas",
                dt.date(2013, 3, 14),
                enrolments=(
                    Enrolment(UnitKind.CLASS, "C1"),
                    Enrolment(UnitKind.PART, "H1", dt.date(2024, 9, 2), dt.date(2025, 2, 3)),
                ),
            ),
            "E2": Student(
                "E2",
                "Petit",
                "Inès",
                dt.date(2013, 7, 1),
                enrolments=(Enrolment(UnitKind.CLASS, "C2"), Enrolment(UnitKind.GROUP, "G1")),
            ),
            "E3": Student("E3", "Moreau", "Chloé", None, enrolments=()),
        },
        courses=[
            # Weeks A: 6A, weeks B: 6B, same slot, teacher and room.
            _course(
                "K1",
                1,
                (8, 0),
                (8, 55),
                "M1",
                teachers=(Resource("P1", WEEKS_A),),
                classes=(Resource("C1", WEEKS_A),),
                rooms=(Resource("R1", WEEKS_A),),
            ),
            _course(
                "K2",
                1,
                (8, 0),
                (8, 55),
                "M1",
                teachers=(Resource("P1", WEEKS_B),),
                classes=(Resource("C2", WEEKS_B),),
                rooms=(Resource("R1", WEEKS_B),),
            ),
            # Replacement teacher P5 for P2 in weeks 12–14; room R2 only from week 20.
            _course(
                "K3",
                2,
                (10, 5),
                (11, 0),
                "M2",
                teachers=(Resource("P2", ALL - replaced), Resource("P5", replaced)),
                classes=_all("C1"),
                rooms=(
                    Resource("R1", frozenset(range(1, 20))),
                    Resource("R2", frozenset(range(20, 45))),
                ),
            ),
            # Co-teaching, two classes, two rooms, over two places.
            _course(
                "K4",
                3,
                (8, 0),
                (9, 50),
                "M5",
                teachers=_all("P3", "P4"),
                classes=_all("C1", "C2"),
                rooms=_all("R3", "R4"),
            ),
            # Half-classes (class parts) of 6A at the same time with two teachers.
            _course(
                "K5",
                4,
                (13, 30),
                (14, 25),
                "M3",
                teachers=_all("P2"),
                parts=_all("H1"),
                rooms=_all("R1"),
            ),
            _course(
                "K6",
                4,
                (13, 30),
                (14, 25),
                "M3",
                teachers=_all("P5"),
                parts=_all("H2"),
                rooms=_all("R2"),
            ),
            # A one-class group and a cross-class group.
            _course(
                "K7",
                5,
                (11, 0),
                (11, 55),
                "M4",
                teachers=_all("P3"),
                groups=_all("G2"),
                rooms=_all("R4"),
            ),
            _course("K8", 5, (13, 30), (14, 25), "M2", teachers=_all("P4"), groups=_all("G1")),
            # Back-to-back lessons of one class, subject and teacher stay two courses.
            _course(
                "K9",
                2,
                (8, 0),
                (8, 55),
                "M1",
                teachers=_all("P1"),
                classes=_all("C1"),
                rooms=_all("R1"),
            ),
            _course(
                "K10",
                2,
                (8, 55),
                (9, 50),
                "M1",
                teachers=_all("P1"),
                classes=_all("C1"),
                rooms=_all("R1"),
            ),
            # A half-hour lesson: a single half-sequence, hence a single ligne.
            _course("K11", 1, (12, 0), (12, 30), "M6", teachers=_all("P4"), classes=_all("C2")),
            # Teacherless, on Saturday morning, cancelled on weeks 5 and 30.
            _course(
                "K12",
                6,
                (8, 55),
                (9, 50),
                "M7",
                classes=_all("C2"),
                rooms=_all("R4"),
                cancelled_weeks=frozenset({5, 30}),
            ),
            # The group that shares its ident with a class part.
            _course("K14", 4, (14, 25), (15, 20), "M3", teachers=_all("P2"), groups=_all("H2")),
            # Only some weeks (a term), then gone.
            _course(
                "K13",
                3,
                (13, 30),
                (15, 20),
                "M5",
                teachers=_all("P5"),
                classes=(Resource("C1", frozenset(range(3, 16))),),
                rooms=_all("R3"),
            ),
        ],
        closings=list(CLOSINGS),
    )


def write_zip(
    path: Path, files: dict[str, str | bytes], *, folder: str = "", lower: bool = False
) -> Path:
    """Zip ``files`` (name → content) at ``path``, in ``folder``, names lower-cased if asked."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            member = name.lower() if lower else name
            data = content.encode() if isinstance(content, str) else content
            archive.writestr(f"{folder}/{member}" if folder else member, data)
    return path


def _xml(root: str, body: str) -> str:
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<{root}>\n{body}\n</{root}>\n'


MINIMAL: dict[str, str] = {
    "UDCal_24.xml": _xml(
        "UDCal_24",
        "<calendrier><annee>2024</annee><debut_eleve>02/09/2024</debut_eleve>"
        "<fin_eleve>04/07/2025</fin_eleve>"
        '<fermeture debut="19/10/2024" fin="03/11/2024" libelle="Toussaint"/></calendrier>',
    ),
    "UDCal_00.xml": _xml("UDCal_00", '<init premiere_semaine_ISO="36" duree_seq="60"/>'),
    "semaines.xml": _xml("semaines", '<semaine num="36"/>'),
    "UDCal_03.xml": _xml("UDCal_03", '<salle code="R1" nom="Salle 101"/>'),
    "UDCal_04.xml": _xml(
        "UDCal_04",
        '<prof code="T1" nom="Martin" prenom="Claire" date_naissance="02/04/1980" epj="1001"/>\n'
        '<prof code="T2" nom="Roux" prenom="Paul" epj="1002"/>',
    ),
    "UDCal_05.xml": _xml("UDCal_05", '<mat code="MATHS" libelle="Mathématiques"/>'),
    "UDCal_07.xml": _xml(
        "UDCal_07",
        '<demi_seq code_jour="1" code="01" code_site="1" hre_deb="08:00" hre_fin="08:30"/>\n'
        '<demi_seq code_jour="1" code="02" code_site="1" hre_deb="08h30" hre_fin="09h00"/>\n'
        '<demi_seq code_jour="1" code="03" code_site="1" hre_deb="09:00:00" hre_fin="09:30:00"/>',
    ),
    "UDCal_08.xml": _xml("UDCal_08", '<div code="6A" libelle="6A"/>\n<div code="6B"/>'),
    "UDCal_10.xml": _xml(
        "UDCal_10", '<eleve code="E1" nom="Bernard" prenom="Lucas" naissance="14/03/2013"/>'
    ),
    "UDCal_19.xml": _xml("UDCal_19", '<gpe code="G1" code_div="6A" id="77" code_sts="6A_G1"/>'),
    "UDCal_13.xml": _xml(
        "UDCal_13",
        '<rgpmt code="R6" nom="LATIN 6" code_div="6A" code_gpe="G1"/>\n'
        '<rgpmt code="R6" nom="LATIN 6" code_div="6B" code_gpe=""/>',
    ),
    "UDCal_21.xml": _xml("UDCal_21", ""),
    "UDCal_11.xml": _xml(
        "UDCal_11",
        '<fiche code="1" jour="1" demi_seq="01" site="1"/>\n'
        '<fiche code="2" jour="1" demi_seq="02" site="1"/>\n'
        '<fiche code="3" jour="1" demi_seq="03" site="1"/>',
    ),
    "UDCal_12.xml": _xml(
        "UDCal_12",
        '<ligfiche code="00101" fic="1" div="6A" mat="MATHS" prof="T1" salle="R1"/>\n'
        '<ligfiche code="00202" fic="2" div="6A" mat="MATHS" prof="T1" salle="R1"/>',
    ),
    "UDCal_23.xml": _xml("UDCal_23", ""),
}


def minimal(**changes: str | None) -> dict[str, str]:
    """Return :data:`MINIMAL` with files replaced (``UDCal_12_xml="…"``) or dropped (None)."""
    files = dict(MINIMAL)
    for key, content in changes.items():
        name = key.replace("_xml", ".xml")
        if content is None:
            files.pop(name, None)
        else:
            files[name] = content
    return files


def body(root: str, *elements: str) -> str:
    return _xml(root, "\n".join(elements))
