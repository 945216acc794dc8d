"""The UnDeuxTEMPS (UDT) zip as this ENT reads and writes it: file names, value formats, weeks.

Shared by :mod:`imports.parsers.undeuxtemps` (the parser) and
:mod:`devtools.undeuxtemps_writer` (the writer used by the synthetic generator), so
both agree on one documented subset of the format. No public sample exists: the subset is
the one described in ``spec/undeuxtemps.md``. Every element is found by its local name
anywhere in its file (the root element's name is not checked) and every value is read from
an attribute, falling back to a child element's text, so a real export with other roots,
extra elements or extra attributes still parses. Files may use any declared encoding; text
that declares none and is not UTF-8 is read as Windows-1252. The writer writes UTF-8.

Files (``UDCal_NN.xml`` at the zip root or in exactly one sub-folder; names compared
case-insensitively):

=================  ==========================================================================
``UDCal_24.xml``   calendar, **mandatory**: ``debut_eleve``, ``fin_eleve`` (dd/MM/yyyy, the
                   last day is included), ``fermeture@debut/@fin`` (both days included;
                   ``@libelle`` optional); ``annee`` is written, not needed to read
``UDCal_00.xml``   ``init@premiere_semaine_ISO`` (default: ISO week of ``debut_eleve``),
                   ``init@duree_seq`` (minutes of a sequence; a half-sequence is half)
``semaines.xml``   ``semaine@num``: ISO weeks where a publication period starts
``UDCal_03.xml``   ``salle@code/@nom``
``UDCal_04.xml``   ``prof@code/@nom/@prenom/@date_naissance/@epj``
``UDCal_05.xml``   ``mat@code/@libelle``
``UDCal_07.xml``   ``demi_seq@code_jour/@code/@code_site/@hre_deb/@hre_fin``
``UDCal_08.xml``   ``div@code/@libelle``
``UDCal_10.xml``   ``eleve@code/@nom/@prenom/@naissance``
``UDCal_19.xml``   ``gpe@code/@code_div/@id/@code_sts`` (a group of one division; its name is
                   ``code_sts``, else ``libelle``, else ``code``)
``UDCal_13.xml``   ``rgpmt@code/@nom/@code_div/@code_gpe`` (one row per component; rows
                   sharing ``code`` form one regroupement)
``UDCal_21.xml``   ``ele_gpe@ele/@gpe/@code_div/@semaines`` (decimal mask, bit *i* = ISO
                   week *i* + 1)
``UDCal_11.xml``   ``fiche@code/@jour/@demi_seq/@site``
``UDCal_12.xml``   ``ligfiche@code/@fic/@div/@mat/@prof/@rgpmt/@gpe/@idgpe/@salle``,
                   **mandatory**: the theoretical timetable
``UDCal_12_NN``    the timetable of ISO week NN (used when NN is listed in ``semaines.xml``)
``UDCal_23.xml``   ``coens@lignefic/@prof/@epj`` co-teachers of a ligne; ``UDCal_23_NN`` for
                   the lignes of ``UDCal_12_NN`` (falls back to ``UDCal_23.xml`` when absent)
=================  ==========================================================================

Weeks: school week 1 starts on the Monday of ISO week ``premiere_semaine_ISO`` nearest to
``debut_eleve``; ISO weeks numbered below ``premiere_semaine_ISO`` belong to the next
calendar year (see :func:`iso_to_school_week`).
"""

from __future__ import annotations

import datetime as dt
import re

DATE_FORMAT = "%d/%m/%Y"

CALENDAR = "UDCal_24.xml"
PARAMETERS = "UDCal_00.xml"
PERIODS = "semaines.xml"
ROOMS = "UDCal_03.xml"
TEACHERS = "UDCal_04.xml"
SUBJECTS = "UDCal_05.xml"
HALF_SEQUENCES = "UDCal_07.xml"
DIVISIONS = "UDCal_08.xml"
STUDENTS = "UDCal_10.xml"
FICHES = "UDCal_11.xml"
LIGNES = "UDCal_12.xml"
REGROUPEMENTS = "UDCal_13.xml"
GROUPS = "UDCal_19.xml"
MEMBERSHIPS = "UDCal_21.xml"
CO_TEACHING = "UDCal_23.xml"

WEEKLY_LIGNES = re.compile(r"^udcal_12_(\d{1,2})\.xml$", re.IGNORECASE)
WEEKLY_CO_TEACHING = re.compile(r"^udcal_23_(\d{1,2})\.xml$", re.IGNORECASE)
DEPOSIT_NAME = re.compile(r"^(\d{7}[A-Z])_(\d{14})_UDT\.zip$", re.IGNORECASE)

_DATE = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*$")
_TIME = re.compile(r"^\s*(\d{1,2})\s*[:hH]\s*(\d{2})(?:\s*:\s*(\d{2}))?\s*$")


def weekly_lignes_name(iso_week: int) -> str:
    return f"UDCal_12_{iso_week:02d}.xml"


def weekly_co_teaching_name(iso_week: int) -> str:
    return f"UDCal_23_{iso_week:02d}.xml"


def deposit_filename(uai: str, exported_at: dt.datetime) -> str:
    """Return the name automated UDT deposits carry: ``<UAI>_<yyyyMMddHHmmss>_UDT.zip``."""
    return f"{uai}_{exported_at:%Y%m%d%H%M%S}_UDT.zip"


def parse_date(text: str) -> dt.date:
    """Parse a dd/MM/yyyy date (ValueError when it is not one)."""
    match = _DATE.match(text)
    if match is None:
        raise ValueError(f"not a dd/MM/yyyy date: {text!r}")
    day, month, year = (int(part) for part in match.groups())
    return dt.date(year, month, day)


def format_date(day: dt.date) -> str:
    return day.strftime(DATE_FORMAT)


def parse_time(text: str) -> dt.time:
    """Parse ``HH:MM``, ``HHhMM`` or ``HH:MM:SS`` (ValueError when it is none of them)."""
    match = _TIME.match(text)
    if match is None:
        raise ValueError(f"not a time: {text!r}")
    hour, minute, second = (int(part) if part else 0 for part in match.groups())
    return dt.time(hour, minute, second)


def format_time(moment: dt.time) -> str:
    return moment.strftime("%H:%M") if moment.second == 0 else moment.strftime("%H:%M:%S")


def iso_weeks_in_year(iso_year: int) -> int:
    return dt.date(iso_year, 12, 28).isocalendar().week


def week1_monday(student_start: dt.date, first_iso_week: int) -> dt.date:
    """Return the Monday of ISO week ``first_iso_week`` nearest to ``student_start``.

    Raises ValueError when ``first_iso_week`` is not a week number (1–53).
    """
    if not 1 <= first_iso_week <= 53:
        raise ValueError(f"not an ISO week: {first_iso_week}")
    candidates = []
    for iso_year in (student_start.year - 1, student_start.year, student_start.year + 1):
        if first_iso_week <= iso_weeks_in_year(iso_year):
            candidates.append(dt.date.fromisocalendar(iso_year, first_iso_week, 1))
    return min(candidates, key=lambda monday: (abs((monday - student_start).days), monday))


def iso_to_school_week(iso_week: int, week1: dt.date) -> int | None:
    """Return the school week of ISO week ``iso_week`` (None if that year has no such week).

    ISO weeks from the first school week's number on are in the first school week's ISO
    year; smaller numbers are in the next one.
    """
    first_iso_year, first_iso_week, _ = week1.isocalendar()
    iso_year = first_iso_year if iso_week >= first_iso_week else first_iso_year + 1
    if not 1 <= iso_week <= iso_weeks_in_year(iso_year):
        return None
    monday = dt.date.fromisocalendar(iso_year, iso_week, 1)
    return (monday - week1).days // 7 + 1


def school_week_to_iso(week: int, week1: dt.date) -> int:
    """Return the ISO week number of school week ``week``."""
    return (week1 + dt.timedelta(days=7 * (week - 1))).isocalendar().week


def mask_to_iso_weeks(mask: int) -> frozenset[int]:
    """Return the ISO weeks set in a ``semaines`` mask (bit *i* = ISO week *i* + 1)."""
    return frozenset(bit + 1 for bit in range(mask.bit_length()) if mask >> bit & 1)


def iso_weeks_to_mask(iso_weeks: set[int] | frozenset[int]) -> int:
    mask = 0
    for iso_week in iso_weeks:
        mask |= 1 << (iso_week - 1)
    return mask
