"""National identifiers: UAI (establishment code) and INE (student number).

UAI: 7 digits and a check letter, ``ABCDEFGHJKLMNPRSTUVWXYZ[n mod 23]`` where ``n`` is the
7-digit number (``spec/national-formats.md`` §6.1).
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

UAI_ALPHABET = "ABCDEFGHJKLMNPRSTUVWXYZ"
UAI_PATTERN = re.compile(r"^[0-9]{7}[A-Z]$")
UAI_DB_REGEX = r"^[0-9]{7}[A-Z]$"
INE_PATTERN = re.compile(r"^(?:[0-9]{9}[A-Z]{2}|[0-9]{10}[A-Z]|[0-9]{4}A[0-9]{5}[A-Z])$")


def uai_check_letter(digits: str) -> str:
    """Return the check letter of a 7-digit UAI number."""
    return UAI_ALPHABET[int(digits) % 23]


def is_valid_uai(value: str) -> bool:
    """Tell whether ``value`` is a well-formed UAI whose check letter is right."""
    return bool(UAI_PATTERN.match(value)) and uai_check_letter(value[:7]) == value[7]


def make_uai(digits: str) -> str:
    """Return the full UAI for a 7-digit number (synthetic data, tests)."""
    return digits + uai_check_letter(digits)


def validate_uai(value: str) -> None:
    """Django validator: raise ``ValidationError`` with a French message for a bad UAI."""
    if not UAI_PATTERN.match(value or ""):
        raise ValidationError(
            _("« %(value)s » n'est pas un UAI : 7 chiffres suivis d'une lettre sont attendus."),
            code="uai_format",
            params={"value": value},
        )
    expected = uai_check_letter(value[:7])
    if value[7] != expected:
        raise ValidationError(
            _("L'UAI « %(value)s » a une lettre de contrôle incorrecte (attendu : %(expected)s)."),
            code="uai_check_letter",
            params={"value": value, "expected": expected},
        )


def is_valid_ine(value: str) -> bool:
    """Tell whether ``value`` has the shape of an INE (no public check algorithm exists)."""
    return bool(INE_PATTERN.match(value))
