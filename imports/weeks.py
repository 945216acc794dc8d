"""School-week bit masks, as EDT / PRONOTE write them in ``Semaines`` attributes.

A mask is an unsigned 64-bit integer written in decimal: bit ``i`` set (value ``1 << i``)
means school week ``i`` is active, for ``i`` = 1 … 63; bit 0 is unused. Week ``i`` starts on
``DatePremierJourSemaine1 + 7·(i−1)`` days (:meth:`imports.timetable.SchoolYearSpan.day`).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

MAX_MASK = 2**64 - 1
FIRST_WEEK = 1
LAST_WEEK = 63


class WeekMaskError(ValueError):
    """A ``Semaines`` value is not an unsigned 64-bit decimal integer (message in French)."""


@lru_cache(maxsize=4096)  # a file repeats a few dozen masks thousands of times
def weeks_from_mask(mask: int) -> frozenset[int]:
    """Return the school weeks whose bit is set in ``mask`` (bit 0 is ignored)."""
    if mask < 0 or mask > MAX_MASK:
        raise WeekMaskError(
            f"Le masque de semaines {mask} sort de l'intervalle autorisé (0 à {MAX_MASK})."
        )
    return frozenset(week for week in range(FIRST_WEEK, LAST_WEEK + 1) if mask >> week & 1)


def mask_from_weeks(weeks: Iterable[int]) -> int:
    """Return the mask with the bit of every week in ``weeks`` set (weeks 1 to 63)."""
    mask = 0
    for week in weeks:
        if not FIRST_WEEK <= week <= LAST_WEEK:
            raise WeekMaskError(
                f"La semaine {week} ne peut pas figurer dans un masque de semaines "
                f"(semaines {FIRST_WEEK} à {LAST_WEEK})."
            )
        mask |= 1 << week
    return mask


def parse_week_mask(text: str) -> int:
    """Return the mask written as the decimal string ``text``; raise :class:`WeekMaskError`."""
    value = text.strip()
    if not value.isascii() or not value.lstrip("+-").isdigit():
        raise WeekMaskError(
            f"« {text} » n'est pas un masque de semaines : un nombre entier positif est attendu."
        )
    mask = int(value)
    if mask < 0:
        raise WeekMaskError(f"Le masque de semaines « {text} » est négatif.")
    if mask > MAX_MASK:
        raise WeekMaskError(
            f"Le masque de semaines « {text} » dépasse la valeur maximale {MAX_MASK} "
            "(entier de 64 bits)."
        )
    return mask


def weeks_from_text(text: str) -> frozenset[int]:
    """Return the school weeks of the decimal mask ``text``; raise :class:`WeekMaskError`."""
    return weeks_from_mask(parse_week_mask(text))


def describe_weeks(weeks: Iterable[int]) -> str:
    """Return weeks as runs, the way EDT comments them: ``1..7,10..16,19``."""
    runs: list[list[int]] = []
    for week in sorted(set(weeks)):
        if runs and week == runs[-1][1] + 1:
            runs[-1][1] = week
        else:
            runs.append([week, week])
    return ",".join(str(a) if a == b else f"{a}..{b}" for a, b in runs)
