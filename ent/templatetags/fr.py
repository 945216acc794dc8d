"""Template filters writing numbers the French way (see :mod:`ent.formatting`)."""

from __future__ import annotations

from django import template

from ent.formatting import format_number, format_percent

register = template.Library()


@register.filter
def percent_fr(value: object) -> str:
    """``{{ 12.5|percent_fr }}`` → "12,5 %"."""
    return format_percent(value)  # type: ignore[arg-type]


@register.filter
def number_fr(value: object) -> str:
    """``{{ 1234.5|number_fr }}`` → "1 234,5"."""
    return format_number(value)  # type: ignore[arg-type]
