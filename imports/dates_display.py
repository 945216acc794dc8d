"""Dates of half-open windows shown the way users entered them.

A relaxation entered "jusqu'au 15/12/2026 (inclus)" is stored as ``[…, 16/12/2026 00:00)``;
it is shown as "15/12/2026 inclus", never "16/12/2026 00:00". A window ended at another
moment (stopped early) shows that moment.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone


def until_label(ends_at: dt.datetime) -> str:
    """Return the end of ``[…, ends_at)`` as users say it: the last day included, or a time."""
    local = timezone.localtime(ends_at)
    if local.time() == dt.time.min:
        return f"{local.date() - dt.timedelta(days=1):%d/%m/%Y} inclus"
    return f"{local:%d/%m/%Y à %H:%M}"


def from_label(starts_at: dt.datetime) -> str:
    """Return the start of a window: the day alone when it starts at midnight, else the time."""
    local = timezone.localtime(starts_at)
    if local.time() == dt.time.min:
        return f"{local:%d/%m/%Y}"
    return f"{local:%d/%m/%Y à %H:%M}"
