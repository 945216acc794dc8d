"""Declaring a school group's school year (the head or the vie-scolaire manager does it)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from ent.models import SchoolGroup, SchoolYear
from ent.school_years import SCHOOL_YEAR_MAX_SHIFT as MAX_SHIFT
from ent.school_years import national_school_year


class SchoolYearRefused(ValueError):
    """The declared dates cannot be a school year; the message says what to change, in French."""


def school_year_declare(
    *, school_group: SchoolGroup, start_date: dt.date, last_day: dt.date
) -> SchoolYear:
    """Declare (or adjust) the school group's year running from ``start_date`` to ``last_day``.

    ``last_day`` is included, as users enter it; the year is stored half-open. The year
    adjusted is the declared one of the same national school year, if any.

    Raises :class:`SchoolYearRefused` when the dates are reversed, stray too far from the
    national calendar or overlap another declared year of the school group.
    """
    end_date = last_day + dt.timedelta(days=1)
    if end_date <= start_date:
        raise SchoolYearRefused(
            "La date de fin doit être postérieure à la date de début : corrigez les dates."
        )
    national_start, national_end = national_school_year(start_date + MAX_SHIFT)
    if abs(start_date - national_start) > MAX_SHIFT or abs(end_date - national_end) > MAX_SHIFT:
        raise SchoolYearRefused(
            f"Une année scolaire commence vers le {national_start:%d/%m/%Y} et finit au plus "
            f"tard vers le {national_end - dt.timedelta(days=1):%d/%m/%Y} : vérifiez les dates "
            "saisies (à deux mois près)."
        )
    with transaction.atomic():
        SchoolGroup.objects.select_for_update().get(pk=school_group.pk)
        years = SchoolYear.objects.filter(school_group=school_group)
        same = years.filter(start_date__gte=national_start, start_date__lt=national_end).first()
        others = years.exclude(pk=same.pk) if same else years
        overlapping = others.filter(start_date__lt=end_date, end_date__gt=start_date).first()
        if overlapping is not None:
            raise SchoolYearRefused(
                f"Ces dates chevauchent l'année scolaire {overlapping.label} déjà déclarée (du "
                f"{overlapping.start_date:%d/%m/%Y} au "
                f"{overlapping.end_date - dt.timedelta(days=1):%d/%m/%Y}) : ajustez l'une ou "
                "l'autre."
            )
        if same is None:
            return SchoolYear.objects.create(
                school_group=school_group, start_date=start_date, end_date=end_date
            )
        same.start_date, same.end_date = start_date, end_date
        same.save(update_fields=["start_date", "end_date"])
        return same
