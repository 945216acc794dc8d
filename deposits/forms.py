"""Forms of the depositor account pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import User


class DepositorAddForm(forms.Form):
    """Choose the ENT user who gets a depositor account."""

    user = forms.ModelChoiceField(
        queryset=User.objects.filter(is_active=True),
        label=_("Utilisateur"),
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": _("Cet utilisateur n'existe pas ou n'est plus actif.")},
    )
    notify = forms.BooleanField(
        label=_("Notification des imports"),
        required=False,
        initial=True,
        help_text=_("Le dépositaire reçoit le bilan de chaque import automatisé."),
    )


class DepositorNotifyForm(forms.Form):
    notify = forms.BooleanField(required=False)
