"""Forms of the depositor account pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from ent.models import Person


class DepositorAddForm(forms.Form):
    """Choose, among the staff of the school group in the annuaire, who gets an account."""

    person = forms.ModelChoiceField(
        queryset=Person.objects.none(),
        label=_("Personne de l'annuaire"),
        widget=forms.HiddenInput,
        error_messages={
            "invalid_choice": _(
                "Cette personne ne fait pas partie du personnel des établissements de la cité "
                "scolaire, ou a déjà un compte d'accès : choisissez-la dans la liste proposée."
            ),
            "required": _("Choisissez une personne dans la liste proposée."),
        },
    )
    notify = forms.BooleanField(
        label=_("Notification des imports"),
        required=False,
        initial=True,
        help_text=_("Le dépositaire est prévenu des imports automatisés qui posent problème."),
    )

    def __init__(self, *args: Any, candidates: QuerySet[Person], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = candidates  # type: ignore[attr-defined]


class DepositorNotifyForm(forms.Form):
    notify = forms.BooleanField(required=False)
