"""The school year: the ENT's national default and the one message saying who adjusts it.

A school group may declare its school year (``ent.models.SchoolYear``); when it has not, the
ENT uses the national calendar: 1 September to 31 August, that is ``[1 September,
1 September of the next year)``. Next year's default bounds are known in advance, so a school
can prepare its year change. Pure: no database access.
"""

from __future__ import annotations

import datetime as dt

# A declared year stays close to the national one: it may start or end a few weeks apart.
SCHOOL_YEAR_MAX_SHIFT = dt.timedelta(days=62)

# The one wording, used by every page and message, of who declares the year and where.
WHO_ADJUSTS = (
    "le chef d'établissement ou le gestionnaire de vie scolaire, dans l'onglet "
    "« Année scolaire » de la cité scolaire"
)


def national_school_year(day: dt.date) -> tuple[dt.date, dt.date]:
    """Return the national school year containing ``day`` as ``[start, end)``."""
    start_year = day.year if day.month >= 9 else day.year - 1
    return dt.date(start_year, 9, 1), dt.date(start_year + 1, 9, 1)


def national_school_year_next(day: dt.date) -> tuple[dt.date, dt.date]:
    """Return the national school year after the one containing ``day``."""
    _start, end = national_school_year(day)
    return national_school_year(end)


def school_year_label(start: dt.date) -> str:
    return f"{start.year}-{start.year + 1}"


def school_year_notice(*, start: dt.date, end: dt.date, declared: bool) -> str:
    """Return the French sentence telling which year applies, and who can change it."""
    last_day = end - dt.timedelta(days=1)
    span = f"du {start:%d/%m/%Y} au {last_day:%d/%m/%Y}"
    if declared:
        return (
            f"Année scolaire {school_year_label(start)} déclarée pour cette cité scolaire : "
            f"{span}. Pour l'ajuster : {WHO_ADJUSTS}."
        )
    return (
        f"Aucune année scolaire n'est déclarée pour cette cité scolaire : l'ENT applique le "
        f"calendrier national ({span}). Pour la déclarer ou l'ajuster : {WHO_ADJUSTS}."
    )
