"""Forms of the ENT's own pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _


class SchoolYearForm(forms.Form):
    """The first and last day of a school year, both included, as users say them."""

    start_date = forms.DateField(
        label=_("Premier jour"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"required": _("Indiquez le premier jour de l'année scolaire.")},
    )
    last_day = forms.DateField(
        label=_("Dernier jour (inclus)"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"required": _("Indiquez le dernier jour de l'année scolaire.")},
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, last = cleaned.get("start_date"), cleaned.get("last_day")
        if start and last and last < start:
            raise forms.ValidationError(
                _("Le dernier jour doit suivre le premier : corrigez les dates."), code="reversed"
            )
        return cleaned
