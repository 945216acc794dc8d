"""How numbers and moments are written for users: French conventions, Europe/Paris time.

One place for them, used by pages (template filters in ``ent.templatetags.fr``), bilans,
step messages and mails: a decimal comma, a narrow no-break space (U+202F) between
thousands and before "%", and dates as "16/11/2026 à 15:00" in the local time.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils import timezone

NARROW_NBSP = "\u202f"


def format_number(value: int | float | Decimal | str, *, places: int = 2) -> str:
    """Return ``value`` rounded to at most ``places`` decimals, French style ("1 234,5")."""
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    quantum = Decimal(1).scaleb(-places)
    rounded = number.quantize(quantum, rounding=ROUND_HALF_UP)
    text = f"{rounded:,.{places}f}" if places else f"{rounded:,.0f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(",", NARROW_NBSP).replace(".", ",")


def format_percent(value: int | float | Decimal | str, *, places: int = 2) -> str:
    """Return ``value`` as a French percentage ("12,5 %", narrow no-break space)."""
    return f"{format_number(value, places=places)}{NARROW_NBSP}%"


def format_moment(moment: dt.datetime) -> str:
    """Return ``moment`` in Europe/Paris (the site's time zone) as "16/11/2026 à 15:00"."""
    return f"{timezone.localtime(moment):%d/%m/%Y à %H:%M}"
